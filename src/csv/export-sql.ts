import { joined, sql, type Sql } from '../db/sql.js';
import type { ColumnSpec, FileSpec } from './columns.js';
import { LINKS } from './load.js';

/**
 * The SELECT that renders one file's rows as CSV-ready text columns, so that PostgreSQL does the
 * formatting (lists comma-joined, booleans lower case, dates YYYY-MM-DD, datetimes YYYY-MM-DDTHH:MM:SS.sssZ) and the
 * rows can leave through COPY ... TO STDOUT untouched.
 *
 * COPY takes no bind parameters, so the query carries none: the two values that come from outside
 * (the `since` instant, the metadata keys in use) are set on the transaction first (`exportSettings`,
 * bound there) and read back by `current_setting`, each once per statement (an uncorrelated subquery).
 */
export interface ExportQuery { header: string[]; query: Sql }

const SINCE = 'oneroster_export.since';
const KEYS = 'oneroster_export.metadata_keys';

/** Binds the export's values to the transaction (set_config, local): run before the queries below. */
export const exportSettings = (since: string | undefined, metadataKeys: readonly string[]): Sql =>
  sql`select set_config(${SINCE}, ${since ?? ''}, true), set_config(${KEYS}, ${JSON.stringify(metadataKeys)}, true)`;

const DATETIME = (e: Sql) => sql`to_char(${e} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
// The guard skips the per-row subquery for the usual empty or missing list.
const braced = (col: string, a: string, b: string) => {
  const c = sql.ref(`t.${col}`);
  return sql`case when jsonb_array_length(${c}) > 0 then (select string_agg('{' || (e->>${sql.lit(a)}) || ':' || (e->>${sql.lit(b)}) || '}', ',' order by o)
    from jsonb_array_elements(${c}) with ordinality x(e, o)) end`;
};
/**
 * A list kept in a link table (class terms, user agents), aggregated once and joined: a subquery per
 * row probed the link table's index once per record (figures: bench/README.md).
 */
const linked = (list: string) => {
  const { table, owner, other } = LINKS[list];
  return sql`left join (select ${sql.id(owner)} as id, string_agg(${sql.id(other)}, ',' order by ${sql.id(other)}) as v
    from ${sql.table(table)} group by 1) ${sql.id(list)} on ${sql.ref(`${list}.id`)} = t.sourced_id`;
};

function expression(col: ColumnSpec, delta: boolean): Sql {
  const c = sql.ref(`t.${col.column}`);
  if (col.name === 'status') return delta ? c : sql`null`;
  if (col.name === 'dateLastModified') return delta ? DATETIME(c) : sql`null`;
  if (col.column in LINKS) return sql.ref(`${col.column}.v`);
  // The credential's key is a model constant (credential_type -> type), not a value from outside.
  if (col.column.startsWith('credential_')) return sql`t.credentials->0->>${sql.lit(col.column.slice('credential_'.length))}`;
  switch (col.kind) {
    case 'date': case 'float': case 'boolean': return sql`${c}::text`;
    case 'datetime': return DATETIME(c);
    // The CSV binding's lineItems assign/due dates are Dates (REST keeps the DateTime): the UTC day.
    case 'dateOrDatetime': return sql`to_char(${c} at time zone 'UTC', 'YYYY-MM-DD')`;
    case 'list': case 'idList': return sql`array_to_string(${c}, ',')`;
    case 'userIds': return braced(col.column, 'type', 'identifier');
    case 'scoreScaleValue': return braced(col.column, 'itemValueLHS', 'itemValueRHS');
    default: return c;
  }
}

/** Rows of a bulk file are the active records; a delta file holds every record changed after `since` (exportSettings). */
export const exportFilter = (delta: boolean): Sql =>
  (delta ? sql`t.date_last_modified > (select current_setting(${sql.lit(SINCE)})::timestamptz)` : sql`t.status = 'active'`);

/** The file's query; its metadata columns are the keys bound by exportSettings, in that order. */
export function exportQuery(spec: FileSpec, metadataKeys: readonly string[], delta: boolean): ExportQuery {
  const keys = sql`(select current_setting(${sql.lit(KEYS)})::jsonb)`;
  const exprs = [...spec.columns.map((col) => expression(col, delta)), ...metadataKeys.map((_, i) => sql`t.metadata->>(${keys}->>${sql.lit(i)})`)];
  // Named columns: the cursor path reads rows as objects, whose keys must not collide.
  const named = exprs.map((e, i) => sql`${e} as ${sql.id(`c${i}`)}`);
  return {
    header: [...spec.columns.map((c) => c.name), ...metadataKeys.map((k) => `metadata.${k}`)],
    query: sql`select ${joined(named)} from ${sql.table(spec.table)} t
      ${joined(spec.columns.filter((c) => c.column in LINKS).map((c) => linked(c.column)), sql` `)}
      where ${exportFilter(delta)}`,
  };
}
