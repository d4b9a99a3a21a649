import { joined, sql, type Sql } from '../db/sql.js';
import { EXT_PATTERN, isValidToken, type Vocabulary } from '../model/dsl.js';
import { SOURCED_ID, SOURCED_ID_CHARACTERS, SOURCED_ID_MAX_LENGTH, SOURCED_ID_RULE } from '../shared/sourced-id.js';
import type { CellKind, ColumnSpec } from './columns.js';

/**
 * The CSV cell rules, written once: one entry per column kind with its error message, its check
 * and conversion in Node (`node`: the csv-parse path, the optimistic path's row writers) and in
 * SQL (`sql`: PostgreSQL's parse of clean files). Both forms are built from the same constants
 * below (sourcedId characters, date and datetime shapes, number characters, vocabularies), and
 * the byte splitter (row-bytes.ts) takes its sourcedId byte class from here too.
 *
 * The SQL form may be cheaper but never looser: `valid` holds only for cells `node` accepts (a
 * row it rejects is re-read by csv-parse, which names the error), and `value` is what `node`
 * would stage. Where the SQL form leaves a check to a cast (calendar validity to ::date, number
 * syntax to float8in), a failing cast fails the statement, and the file falls back the same way.
 */

export type CellValue = string | number | boolean | string[] | Record<string, string>[] | null;
/** A parsed cell, or the reason it is invalid. */
export type Parsed = { ok: true; value: CellValue } | { ok: false; reason: string };
/** A non-empty cell `v` in SQL: when it is valid (absent: always), and its staging value. */
export interface CellSql { valid?: Sql; value: Sql }

const ok = (value: CellValue): Parsed => ({ ok: true, value });
const bad = (reason: string): Parsed => ({ ok: false, reason });

/** The message of an empty cell in a required column (every kind). */
export const REQUIRED_MESSAGE = 'required value is missing';

// --- the shared constants --------------------------------------------------------------------

/** Characters of a sourcedId, as a bracket expression both JavaScript and PostgreSQL read ('-' last). */
export const ID_CHARACTERS = SOURCED_ID_CHARACTERS;
const idClass = `${[...ID_CHARACTERS].filter((c) => c !== '-').join('')}-`;
/** In SQL a search for one character outside the set costs about half an anchored character-class regex. */
const NOT_ID_CHAR = `[^${idClass}]`;
/** A comma-separated list of sourcedIds (length checked apart). */
const ID_LIST = `^[${idClass}]+(,[${idClass}]+)*$`;
/** Digits written as 0, to compare a cell with a shape (cheaper than a regex with {n} repetitions in SQL). */
const digitsAsZeroNode = (s: string) => s.replace(/[1-9]/g, '0');
const digitsAsZeroSql = (v: Sql) => sql`translate(${v}, '123456789', '000000000')`;
const DATE_SHAPE = '0000-00-00';
const DATETIME_SHAPES = ['', '.0', '.00', '.000'].map((f) => `0000-00-00T00:00:00${f}Z`);
const YEAR_SHAPE = '0000';
/** Hour, minute and second of a datetime: (offset, highest value). PostgreSQL would read hour 24 and second 60. */
const TIME_FIELDS: readonly (readonly [number, string])[] = [[11, '23'], [14, '59'], [17, '59']];
/** The characters of a number; within them float8in (strtod) reads exactly the decimal forms FLOAT accepts. */
const NOT_FLOAT_CHAR = '[^-+.eE0-9]';
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** `{a:b}` items, comma-separated (userIds, scoreScaleValue). */
const BRACED = '^[{][^{}:]+:[^{}]*[}](,[{][^{}:]+:[^{}]*[}])*$';

/** A calendar date; JavaScript's Date.UTC maps years 0-99 onto 1900-1999, so those are refused (in SQL too). */
export function validDate(text: string): boolean {
  if (text.length !== DATE_SHAPE.length || digitsAsZeroNode(text) !== DATE_SHAPE) return false;
  const [y, mo, d] = [Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10))];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}
const notYear0To99 = (v: Sql) => sql`left(${v}, 2) <> '00'`;
const dateSql = (v: Sql) => sql`(${digitsAsZeroSql(v)} = ${DATE_SHAPE} and ${notYear0To99(v)})`;

function validDatetime(text: string): boolean {
  if (!DATETIME_SHAPES.includes(digitsAsZeroNode(text))) return false;
  return TIME_FIELDS.every(([at, max]) => text.slice(at, at + 2) <= max) && validDate(text.slice(0, 10));
}
const datetimeSql = (v: Sql) => sql`(${digitsAsZeroSql(v)} = any(${DATETIME_SHAPES}::text[]) and ${notYear0To99(v)}
  and ${joined(TIME_FIELDS.map(([at, max]) => sql`substr(${v}, ${sql.lit(at + 1)}, 2) <= ${max}`), sql` and `)})`;

const vocabText = (vocab: Vocabulary) => `${vocab.values.join(', ')}${vocab.ext ? ' or ext:<token>' : ''}`;
const tokenSql = (v: Sql, vocab: Vocabulary) =>
  (vocab.ext ? sql`(${v} = any(${vocab.values}::text[]) or ${v} ~ ${EXT_PATTERN.source})` : sql`${v} = any(${vocab.values}::text[])`);
const itemsSql = (v: Sql) => sql`unnest(string_to_array(${v}, ','))`;

function parseBraced(text: string, what: string, keys: [string, string]): Parsed {
  if (!text.startsWith('{') || !text.endsWith('}')) return bad(`expected ${what} items like {a:b}, comma-separated`);
  const items: Record<string, string>[] = [];
  for (const part of text.slice(1, -1).split('},{')) {
    const colon = part.indexOf(':');
    if (colon <= 0 || part.includes('{') || part.includes('}')) return bad(`malformed ${what} item "{${part}}"; expected {a:b}`);
    items.push({ [keys[0]]: part.slice(0, colon), [keys[1]]: part.slice(colon + 1) });
  }
  return ok(items);
}
const bracedSql = (v: Sql, [k, val]: [string, string]): CellSql => ({
  valid: sql`${v} ~ ${BRACED}`,
  value: sql`(select jsonb_agg(jsonb_build_object(${sql.lit(k)}, split_part(p, ':', 1), ${sql.lit(val)}, substr(p, strpos(p, ':') + 1)) order by o)
    from unnest(string_to_array(substr(${v}, 2, length(${v}) - 2), '},{')) with ordinality u(p, o))`,
});

function parseList(text: string, col: ColumnSpec): Parsed {
  const items = text.split(',');
  if (items.some((i) => i === '')) return bad('list has an empty item');
  if (col.kind === 'idList') {
    const wrong = items.find((i) => !SOURCED_ID.test(i));
    if (wrong !== undefined) return bad(`"${wrong}" is not a valid sourcedId`);
  } else if (col.vocab) {
    const wrong = items.find((i) => !isValidToken(col.vocab!, i));
    if (wrong !== undefined) return bad(`"${wrong}" is not one of ${col.vocab.values.join(', ')} or ext:<token>`);
  }
  return ok(items);
}
function listSql(v: Sql, col: ColumnSpec): CellSql {
  const itemsOk = col.kind === 'idList'
    ? sql`${v} ~ ${ID_LIST} and (length(${v}) <= ${sql.lit(SOURCED_ID_MAX_LENGTH)}
        or not exists (select 1 from ${itemsSql(v)} i where length(i) > ${sql.lit(SOURCED_ID_MAX_LENGTH)}))`
    : col.vocab ? sql`not exists (select 1 from ${itemsSql(v)} i where not ${tokenSql(sql`i`, col.vocab)})` : sql`true`;
  return { valid: sql`(${v} !~ '^,|,,|,$' and ${itemsOk})`, value: sql`string_to_array(${v}, ',')` };
}

// --- the table -------------------------------------------------------------------------------

export interface CellRule {
  /** The check and conversion of a non-empty cell in Node. */
  node(raw: string, col: ColumnSpec): Parsed;
  /** The same in SQL, over a non-empty cell `v`. */
  sql(v: Sql, col: ColumnSpec): CellSql;
}

/** The 1.0 status value `inactive` is read as tobedeleted (model.md §0.1). */
const isLegacyStatus = (raw: string, col: ColumnSpec) => col.name === 'status' && raw === 'inactive';

export const CELL_RULES: Readonly<Record<CellKind, CellRule>> = {
  string: { node: (raw) => ok(raw), sql: (v) => ({ value: v }) },
  id: {
    node: (raw) => (SOURCED_ID.test(raw) ? ok(raw) : bad(`not a valid sourcedId (${SOURCED_ID_RULE})`)),
    sql: (v) => ({ valid: sql`(${v} !~ ${NOT_ID_CHAR} and length(${v}) <= ${sql.lit(SOURCED_ID_MAX_LENGTH)})`, value: v }),
  },
  enum: {
    node: (raw, col) => (isLegacyStatus(raw, col) ? ok('tobedeleted')
      : isValidToken(col.vocab!, raw) ? ok(raw) : bad(`not one of ${vocabText(col.vocab!)}`)),
    sql: (v, col) => (col.name === 'status'
      ? { valid: sql`(${v} = 'inactive' or ${tokenSql(v, col.vocab!)})`, value: sql`case when ${v} = 'inactive' then 'tobedeleted' else ${v} end` }
      : { valid: tokenSql(v, col.vocab!), value: v }),
  },
  date: {
    node: (raw) => (validDate(raw) ? ok(raw) : bad('not a date YYYY-MM-DD')),
    sql: (v) => ({ valid: dateSql(v), value: sql`${v}::date` }),
  },
  datetime: {
    node: (raw) => (validDatetime(raw) ? ok(raw) : bad('not a datetime YYYY-MM-DDTHH:MM:SS.sssZ')),
    sql: (v) => ({ valid: datetimeSql(v), value: sql`${v}::timestamptz` }),
  },
  // lineItems assign/due dates: a Date (midnight UTC) or a DateTime.
  dateOrDatetime: {
    node: (raw) => (validDate(raw) ? ok(`${raw}T00:00:00.000Z`) : validDatetime(raw) ? ok(raw)
      : bad('not a date YYYY-MM-DD or datetime YYYY-MM-DDTHH:MM:SS.sssZ')),
    sql: (v) => ({
      valid: sql`case when length(${v}) = 10 then ${dateSql(v)} else ${datetimeSql(v)} end`,
      value: sql`case when length(${v}) = 10 then (${v} || 'T00:00:00.000Z')::timestamptz else ${v}::timestamptz end`,
    }),
  },
  year: {
    node: (raw) => (digitsAsZeroNode(raw) === YEAR_SHAPE ? ok(raw) : bad('not a year YYYY')),
    sql: (v) => ({ valid: sql`${digitsAsZeroSql(v)} = ${YEAR_SHAPE}`, value: v }),
  },
  float: {
    node: (raw) => {
      const n = Number(raw);
      return FLOAT.test(raw) && Number.isFinite(n) ? ok(n) : bad('not a number');
    },
    // "+ 0" turns -0 into 0, as JavaScript's String(-0) does; out-of-range values fail the cast (and fall back).
    sql: (v) => ({ valid: sql`${v} !~ ${NOT_FLOAT_CHAR}`, value: sql`(${v}::float8 + 0)` }),
  },
  boolean: {
    node: (raw) => (raw === 'true' ? ok(true) : raw === 'false' ? ok(false) : bad('not true or false (lower case)')),
    sql: (v) => ({ valid: sql`${v} in ('true', 'false')`, value: sql`${v}::boolean` }),
  },
  list: { node: parseList, sql: listSql },
  idList: { node: parseList, sql: listSql },
  userIds: {
    node: (raw) => parseBraced(raw, 'userIds', ['type', 'identifier']),
    sql: (v) => bracedSql(v, ['type', 'identifier']),
  },
  scoreScaleValue: {
    node: (raw) => parseBraced(raw, 'scoreScaleValue', ['itemValueLHS', 'itemValueRHS']),
    sql: (v) => bracedSql(v, ['itemValueLHS', 'itemValueRHS']),
  },
};
