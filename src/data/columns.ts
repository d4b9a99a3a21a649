import { column, joined, sql, type Sql } from '../db/sql.js';
import { columnOf, type EntityDef, type ScalarKind } from '../model/dsl.js';

/** The column that holds one property of a row aliased `alias`, as the model names it. */
export function columnExpr(def: EntityDef, prop: string, alias = 't'): Sql {
  if (prop === 'sourcedId') return column(alias, 'sourced_id');
  if (prop === 'status') return column(alias, 'status');
  if (prop === 'dateLastModified') return column(alias, 'date_last_modified');
  if (prop === 'metadata') return column(alias, 'metadata');
  const f = def.fields[prop];
  if (!f) throw new Error(`${def.name} has no field ${prop}`);
  return column(alias, columnOf(prop, f));
}

/** ISO 8601 with milliseconds and Z, the form the OneRoster binding prescribes for DateTimes. */
const isoDateTime = (expr: Sql): Sql =>
  sql`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** How a column is served: datetimes as ISO text, a missing list as an empty one (the graph exposes lists as they are). */
function shaped(kind: ScalarKind | 'ref', expr: Sql): Sql {
  if (kind === 'datetime') return isoDateTime(expr);
  if (kind === 'strings') return sql`coalesce(${expr}, '{}')`;
  if (kind === 'json') return sql`coalesce(${expr}, '[]'::jsonb)`;
  return expr;
}

const as = (expr: Sql, name: string): Sql => sql`${expr} as ${sql.id(name)}`;

const selectListCache = new Map<string, Sql>();

/**
 * `select` list returning each property under its own (camelCase) name; datetimes as ISO strings.
 * `props` narrows it to what a query reads (sourcedId is always there): fewer columns to read,
 * sort, send and parse. Built once per type, alias and property set (a statement piece is immutable).
 */
export function selectList(def: EntityDef, alias = 't', props?: readonly string[]): Sql {
  const key = `${def.name}:${alias}:${props?.join() ?? '*'}`;
  const cached = selectListCache.get(key);
  if (cached) return cached;
  const wanted = (prop: string) => !props || prop === 'sourcedId' || props.includes(prop);
  const parts: Sql[] = [];
  if (def.base) {
    if (wanted('sourcedId')) parts.push(as(column(alias, 'sourced_id'), 'sourcedId'));
    if (wanted('status')) parts.push(as(column(alias, 'status'), 'status'));
    if (wanted('dateLastModified')) parts.push(as(isoDateTime(column(alias, 'date_last_modified')), 'dateLastModified'));
    if (wanted('metadata')) parts.push(as(column(alias, 'metadata'), 'metadata'));
  }
  for (const [prop, f] of Object.entries(def.fields)) {
    if (!wanted(prop)) continue;
    parts.push(as(shaped(f.kind, columnExpr(def, prop, alias)), prop));
  }
  // Link tables have no sourcedId; with nothing else asked for, their key columns identify the row.
  const list = parts.length ? joined(parts) : selectList(def, alias);
  // Property sets come from GraphQL selections, so the memo is bounded.
  if (selectListCache.size < 5000) selectListCache.set(key, list);
  return list;
}
