import { joined, sql, type Sql } from '../db/sql.js';
import { CELL_RULES, type CellSql } from './cell-rules.js';
import type { ColumnSpec, FileSpec, Mode } from './columns.js';
import type { HeaderLayout } from './validate.js';

/**
 * The cell rules (cell-rules.ts) as SQL over one all-text column of raw COPY rows: `valid` holds
 * exactly for cells parseCell accepts or is stricter (a row it rejects is re-read by the csv-parse
 * path, which then names the error), and `value` is what parseCell would stage. COPY reads an
 * unquoted empty cell as NULL and `""` as '', the same distinction as QUOTED_EMPTY.
 */

/**
 * A cell: empty (NULL), `""` ('') or a value. `resolved`: the column is a reference that the caller
 * checks resolves to a record whose sourcedId was itself checked (the optimistic path: its foreign
 * keys are validated after the load), so the sourcedId characters need no check of their own.
 */
function cell(v: Sql, col: ColumnSpec, requiredHere: boolean, resolved = false): CellSql {
  if (col.kind === 'string') return { valid: requiredHere ? sql`${v} is not null` : undefined, value: v };
  const inner = resolved && col.kind === 'id' ? { value: v } : CELL_RULES[col.kind].sql(v, col);
  const empty = col.required ? sql`false` : sql`true`;
  const valid = sql`case when coalesce(${v}, '') = '' then ${empty} else ${inner.valid ?? sql`true`} end`;
  return { valid: requiredHere && !col.required ? sql`${v} is not null and ${valid}` : valid, value: sql`case when ${v} <> '' then ${inner.value} end` };
}

export const rawColumn = (i: number) => `c${i}`;

/**
 * `select ... from <raw> r where <every cell valid>`: the staging row of every valid record
 * (columns named as the staging table's, see stagingColumns), numbered by its physical line (the
 * raw table's row number plus the header). `resolved` names reference columns whose characters
 * need no check (see cell()); `unchecked` leaves out the checks (for rows already known valid).
 */
export function rawSelectSql(spec: FileSpec, mode: Mode, layout: HeaderLayout, raw: string,
  opts: { resolved?: (col: ColumnSpec) => boolean; unchecked?: boolean } = {}): Sql {
  const valid: Sql[] = [];
  const values = spec.columns.map((col, i) => {
    // status and dateLastModified are required in delta files (csv.md §4), as in validate.ts.
    const c = cell(sql.ref(`r.${rawColumn(i)}`), col, col.required || (mode === 'delta' && (i === 1 || i === 2)), opts.resolved?.(col));
    if (c.valid && !opts.unchecked) valid.push(sql`(${c.valid})`);
    return sql`${c.value} as ${sql.id(col.column)}`;
  });
  const pairs = layout.metadata.map(([i, key]) => sql`${key}::text, ${sql.ref(`r.${rawColumn(i)}`)}`);
  const objects: Sql[] = [];
  for (let k = 0; k < pairs.length; k += 40) objects.push(sql`jsonb_build_object(${joined(pairs.slice(k, k + 40))})`);
  const metadata = objects.length ? sql`nullif(jsonb_strip_nulls(${joined(objects, sql` || `)}), '{}'::jsonb)` : sql`null::jsonb`;
  return sql`select (r.n + 1)::int as "line", ${joined(values)}, ${metadata} as "metadata" from ${sql.table(raw)} r
    where ${valid.length ? joined(valid, sql` and `) : sql`true`}`;
}

/** `insert into <staging> <rawSelectSql>`. */
export function convertRawSql(spec: FileSpec, mode: Mode, layout: HeaderLayout, raw: string, staging: string, stagingCols: string[]): Sql {
  return sql`insert into ${sql.table(staging)} (${joined(stagingCols.map((c) => sql.id(c)))}) ${rawSelectSql(spec, mode, layout, raw)}`;
}
