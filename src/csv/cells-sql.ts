import type { ColumnSpec, FileSpec, Mode } from './columns.js';
import type { HeaderLayout } from './validate.js';

/**
 * The rules of `cells.ts` as SQL over one all-text column of raw COPY rows: `valid` holds exactly
 * for cells parseCell accepts or is stricter (a row it rejects is re-read by the csv-parse path,
 * which then names the error), and `value` is what parseCell would stage. COPY reads an unquoted
 * empty cell as NULL and `""` as '', the same distinction as QUOTED_EMPTY.
 */
interface CellSql { valid?: string; value: string }

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const oneOf = (v: string, values: readonly string[]) => `${v} in (${values.map(literal).join(', ')})`;

const ID_CHARS = '[0-9A-Za-z._/@-]';
const DATE = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
const DATETIME = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,3})?Z$';
const FLOAT = '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$';
// JavaScript's Date.UTC maps years 0-99 onto 1900-1999, so cells.ts rejects them; so does this.
const calendarDate = (v: string) => {
  const [y, m, d] = [`substr(${v}, 1, 4)::int`, `substr(${v}, 6, 2)::int`, `substr(${v}, 9, 2)::int`];
  const leap = `(${y} % 4 = 0 and (${y} % 100 <> 0 or ${y} % 400 = 0))`;
  return `(${y} >= 100 and ${m} between 1 and 12 and ${d} between 1 and case ${m} when 2 then case when ${leap} then 29 else 28 end
    when 4 then 30 when 6 then 30 when 9 then 30 when 11 then 30 else 31 end)`;
};
/** EXT_PATTERN of src/model/dsl.ts. */
const EXT = '^ext:[a-zA-Z0-9._-]+$';
const token = (v: string, col: ColumnSpec) => {
  const ext = col.vocab!.ext ? ` or ${v} ~ '${EXT}'` : '';
  return `(${oneOf(v, col.vocab!.values)}${ext})`;
};
const items = (v: string) => `unnest(string_to_array(${v}, ','))`;
const braced = (v: string, [k, val]: [string, string]): CellSql => ({
  valid: `${v} ~ '^[{][^{}:]+:[^{}]*[}](,[{][^{}:]+:[^{}]*[}])*$'`,
  value: `(select jsonb_agg(jsonb_build_object('${k}', split_part(p, ':', 1), '${val}', substr(p, strpos(p, ':') + 1)) order by o)
    from unnest(string_to_array(substr(${v}, 2, length(${v}) - 2), '},{')) with ordinality u(p, o))`,
});

/** Check and conversion of a non-empty cell `v`. */
function nonEmpty(v: string, col: ColumnSpec): CellSql {
  switch (col.kind) {
    case 'string': return { value: v };
    case 'id': return { valid: `(${v} ~ '^${ID_CHARS}+$' and length(${v}) <= 255)`, value: v };
    case 'enum':
      if (col.name === 'status') return { valid: `(${v} = 'inactive' or ${token(v, col)})`, value: `case when ${v} = 'inactive' then 'tobedeleted' else ${v} end` };
      return { valid: token(v, col), value: v };
    case 'date': return { valid: `case when ${v} ~ '${DATE}' then ${calendarDate(v)} else false end`, value: `${v}::date` };
    case 'datetime': return { valid: `case when ${v} ~ '${DATETIME}' then ${calendarDate(v)} else false end`, value: `${v}::timestamptz` };
    case 'dateOrDatetime': return {
      valid: `case when ${v} ~ '${DATE}' or ${v} ~ '${DATETIME}' then ${calendarDate(v)} else false end`,
      value: `case when length(${v}) = 10 then (${v} || 'T00:00:00.000Z')::timestamptz else ${v}::timestamptz end`,
    };
    case 'year': return { valid: `${v} ~ '^[0-9]{4}$'`, value: v };
    // "+ 0" turns -0 into 0, as JavaScript's String(-0) does; out-of-range values fail the cast (and fall back).
    case 'float': return { valid: `${v} ~ '${FLOAT}'`, value: `(${v}::float8 + 0)` };
    case 'boolean': return { valid: oneOf(v, ['true', 'false']), value: `${v}::boolean` };
    case 'list': case 'idList': {
      const itemsOk = col.kind === 'idList'
        ? `${v} ~ '^${ID_CHARS}+(,${ID_CHARS}+)*$' and (length(${v}) <= 255 or not exists (select 1 from ${items(v)} i where length(i) > 255))`
        : col.vocab ? `not exists (select 1 from ${items(v)} i where not ${token('i', col)})` : 'true';
      return { valid: `(${v} !~ '^,|,,|,$' and ${itemsOk})`, value: `string_to_array(${v}, ',')` };
    }
    case 'userIds': return braced(v, ['type', 'identifier']);
    case 'scoreScaleValue': return braced(v, ['itemValueLHS', 'itemValueRHS']);
  }
}

/** A cell: empty (NULL), `""` ('') or a value. */
function cell(v: string, col: ColumnSpec, requiredHere: boolean): CellSql {
  if (col.kind === 'string') return { valid: requiredHere ? `${v} is not null` : undefined, value: v };
  const inner = nonEmpty(v, col);
  const empty = col.required ? 'false' : 'true';
  const valid = `case when coalesce(${v}, '') = '' then ${empty} else ${inner.valid ?? 'true'} end`;
  return { valid: requiredHere && !col.required ? `${v} is not null and ${valid}` : valid, value: `case when ${v} <> '' then ${inner.value} end` };
}

export const rawColumn = (i: number) => `c${i}`;

/**
 * `insert into <staging> select ... from <raw> r where <every cell valid>`: the staging row of
 * every valid record, numbered by its physical line (the raw table's row number plus the header).
 */
export function convertRawSql(spec: FileSpec, mode: Mode, layout: HeaderLayout, raw: string, staging: string, stagingCols: string[]): string {
  const valid: string[] = [];
  const values = spec.columns.map((col, i) => {
    // status and dateLastModified are required in delta files (csv.md §4), as in validate.ts.
    const c = cell(`r.${rawColumn(i)}`, col, col.required || (mode === 'delta' && (i === 1 || i === 2)));
    if (c.valid) valid.push(`(${c.valid})`);
    return c.value;
  });
  const pairs = layout.metadata.map(([i, key]) => `${literal(key)}, r.${rawColumn(i)}`);
  const objects: string[] = [];
  for (let k = 0; k < pairs.length; k += 40) objects.push(`jsonb_build_object(${pairs.slice(k, k + 40).join(', ')})`);
  const metadata = objects.length ? `nullif(jsonb_strip_nulls(${objects.join(' || ')}), '{}'::jsonb)` : 'null::jsonb';
  return `insert into ${staging} (${stagingCols.map((c) => `"${c}"`).join(', ')})
    select r.n + 1, ${values.join(', ')}, ${metadata} from ${raw} r where ${valid.length ? valid.join(' and ') : 'true'}`;
}
