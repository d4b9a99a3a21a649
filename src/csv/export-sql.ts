import type { ColumnSpec, FileSpec } from './columns.js';

/**
 * The SELECT that renders one file's rows as CSV-ready text columns, so that PostgreSQL does the
 * formatting (lists comma-joined, booleans lower case, datetimes YYYY-MM-DDTHH:MM:SS.sssZ) and the
 * rows can leave through COPY ... TO STDOUT untouched.
 */
export interface ExportQuery { header: string[]; sql: string }

const DATETIME = (e: string) => `to_char(${e} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const braced = (col: string, a: string, b: string) =>
  `(select string_agg('{' || (e->>'${a}') || ':' || (e->>'${b}') || '}', ',' order by o) from jsonb_array_elements(t.${col}) with ordinality x(e, o))`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

function expression(spec: FileSpec, col: ColumnSpec, delta: boolean): string {
  const c = `t."${col.column}"`;
  if (col.name === 'status') return delta ? c : 'null';
  if (col.name === 'dateLastModified') return delta ? DATETIME(c) : 'null';
  if (col.column === 'terms') return `(select string_agg(x.term_sourced_id, ',' order by x.term_sourced_id) from class_terms x where x.class_sourced_id = t.sourced_id)`;
  if (col.column === 'agents') return `(select string_agg(x.agent_sourced_id, ',' order by x.agent_sourced_id) from user_agents x where x.user_sourced_id = t.sourced_id)`;
  if (col.column.startsWith('credential_')) return `t.credentials->0->>${lit(col.column.slice('credential_'.length))}`;
  switch (col.kind) {
    case 'date': case 'float': case 'boolean': return `${c}::text`;
    case 'datetime': case 'dateOrDatetime': return DATETIME(c);
    case 'list': case 'idList': return `array_to_string(${c}, ',')`;
    case 'userIds': return braced(col.column, 'type', 'identifier');
    case 'scoreScaleValue': return braced(col.column, 'itemValueLHS', 'itemValueRHS');
    default: return c;
  }
}

/** Rows of a bulk file are the active records; a delta file holds every record changed after `since`. */
export const exportFilter = (since: string | undefined) =>
  (since ? `t.date_last_modified > ${lit(since)}::timestamptz` : `t.status = 'active'`);

export function exportQuery(spec: FileSpec, metadataKeys: string[], since: string | undefined): ExportQuery {
  const exprs = [...spec.columns.map((col) => expression(spec, col, !!since)), ...metadataKeys.map((k) => `t.metadata->>${lit(k)}`)];
  return {
    header: [...spec.columns.map((c) => c.name), ...metadataKeys.map((k) => `metadata.${k}`)],
    sql: `select ${exprs.join(', ')} from ${spec.table} t where ${exportFilter(since)}`,
  };
}
