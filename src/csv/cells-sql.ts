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
// Cheap forms of the checks (profiled on a million rows): an anchored character-class regex costs
// about twice a search for one bad character, and a regex with {n} repetitions about twice
// translate() plus a comparison. Calendar validity is left to the ::date / ::timestamptz cast in
// `value`: an impossible date makes the statement fail, and the file falls back to csv-parse,
// which names the error (as for a float out of range).
const NOT_ID_CHAR = '[^0-9A-Za-z._/@-]';
const digitsAsZero = (v: string) => `translate(${v}, '123456789', '000000000')`;
const DATE_SHAPE = '0000-00-00';
const DATETIME_SHAPES = ['', '.0', '.00', '.000'].map((f) => `0000-00-00T00:00:00${f}Z`);
/** JavaScript's Date.UTC maps years 0-99 onto 1900-1999, so cells.ts rejects them; so does this. */
const notYear0To99 = (v: string) => `left(${v}, 2) <> '00'`;
const dateOk = (v: string) => `(${digitsAsZero(v)} = '${DATE_SHAPE}' and ${notYear0To99(v)})`;
// PostgreSQL reads hour 24 and second 60 (cells.ts does not), so those are checked here.
const datetimeOk = (v: string) => `(${oneOf(digitsAsZero(v), DATETIME_SHAPES)} and ${notYear0To99(v)}
  and substr(${v}, 12, 2) <= '23' and substr(${v}, 15, 2) <= '59' and substr(${v}, 18, 2) <= '59')`;
// Within these characters float8in (strtod) reads exactly the decimal forms of cells.ts's FLOAT
// (no spaces, NaN, Infinity or hex) and fails on anything else, which falls back like a bad date.
const NOT_FLOAT_CHAR = '[^-+.eE0-9]';
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
    case 'id': return { valid: `(${v} !~ '${NOT_ID_CHAR}' and length(${v}) <= 255)`, value: v };
    case 'enum':
      if (col.name === 'status') return { valid: `(${v} = 'inactive' or ${token(v, col)})`, value: `case when ${v} = 'inactive' then 'tobedeleted' else ${v} end` };
      return { valid: token(v, col), value: v };
    case 'date': return { valid: dateOk(v), value: `${v}::date` };
    case 'datetime': return { valid: datetimeOk(v), value: `${v}::timestamptz` };
    case 'dateOrDatetime': return {
      valid: `case when length(${v}) = 10 then ${dateOk(v)} else ${datetimeOk(v)} end`,
      value: `case when length(${v}) = 10 then (${v} || 'T00:00:00.000Z')::timestamptz else ${v}::timestamptz end`,
    };
    case 'year': return { valid: `${v} ~ '^[0-9]{4}$'`, value: v };
    // "+ 0" turns -0 into 0, as JavaScript's String(-0) does; out-of-range values fail the cast (and fall back).
    case 'float': return { valid: `${v} !~ '${NOT_FLOAT_CHAR}'`, value: `(${v}::float8 + 0)` };
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

/**
 * A cell: empty (NULL), `""` ('') or a value. `resolved`: the column is a reference that the caller
 * checks resolves to a record whose sourcedId was itself checked (the optimistic path: its foreign
 * keys are validated after the load), so the sourcedId characters need no check of their own.
 */
function cell(v: string, col: ColumnSpec, requiredHere: boolean, resolved = false): CellSql {
  if (col.kind === 'string') return { valid: requiredHere ? `${v} is not null` : undefined, value: v };
  const inner = resolved && col.kind === 'id' ? { value: v } : nonEmpty(v, col);
  const empty = col.required ? 'false' : 'true';
  const valid = `case when coalesce(${v}, '') = '' then ${empty} else ${inner.valid ?? 'true'} end`;
  return { valid: requiredHere && !col.required ? `${v} is not null and ${valid}` : valid, value: `case when ${v} <> '' then ${inner.value} end` };
}

export const rawColumn = (i: number) => `c${i}`;

/**
 * `select ... from <raw> r where <every cell valid>`: the staging row of every valid record
 * (columns named as the staging table's, see stagingColumns), numbered by its physical line (the
 * raw table's row number plus the header). `resolved` names reference columns whose characters
 * need no check (see cell()); `unchecked` leaves out the checks (for rows already known valid).
 */
export function rawSelectSql(spec: FileSpec, mode: Mode, layout: HeaderLayout, raw: string,
  opts: { resolved?: (col: ColumnSpec) => boolean; unchecked?: boolean } = {}): string {
  const valid: string[] = [];
  const values = spec.columns.map((col, i) => {
    // status and dateLastModified are required in delta files (csv.md §4), as in validate.ts.
    const c = cell(`r.${rawColumn(i)}`, col, col.required || (mode === 'delta' && (i === 1 || i === 2)), opts.resolved?.(col));
    if (c.valid && !opts.unchecked) valid.push(`(${c.valid})`);
    return `${c.value} as "${col.column}"`;
  });
  const pairs = layout.metadata.map(([i, key]) => `${literal(key)}, r.${rawColumn(i)}`);
  const objects: string[] = [];
  for (let k = 0; k < pairs.length; k += 40) objects.push(`jsonb_build_object(${pairs.slice(k, k + 40).join(', ')})`);
  const metadata = objects.length ? `nullif(jsonb_strip_nulls(${objects.join(' || ')}), '{}'::jsonb)` : 'null::jsonb';
  return `select (r.n + 1)::int as "line", ${values.join(', ')}, ${metadata} as "metadata" from ${raw} r where ${valid.length ? valid.join(' and ') : 'true'}`;
}

/** `insert into <staging> <rawSelectSql>`. */
export function convertRawSql(spec: FileSpec, mode: Mode, layout: HeaderLayout, raw: string, staging: string, stagingCols: string[]): string {
  return `insert into ${staging} (${stagingCols.map((c) => `"${c}"`).join(', ')}) ${rawSelectSql(spec, mode, layout, raw)}`;
}
