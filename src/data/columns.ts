import { columnOf, isRef, type EntityDef } from '../model/dsl.js';

const quote = (name: string) => `"${name}"`;

/** The SQL expression that reads one property of a row aliased `t`, in the shape the graph serves it. */
export function columnExpr(def: EntityDef, prop: string, alias = 't'): string {
  if (prop === 'sourcedId') return `${alias}.sourced_id`;
  if (prop === 'status') return `${alias}.status`;
  if (prop === 'dateLastModified') return `${alias}.date_last_modified`;
  if (prop === 'metadata') return `${alias}.metadata`;
  const f = def.fields[prop];
  if (!f) throw new Error(`${def.name} has no field ${prop}`);
  return `${alias}.${quote(columnOf(prop, f))}`;
}

/** ISO 8601 with milliseconds and Z, the form the OneRoster binding prescribes for DateTimes. */
const isoDateTime = (expr: string) =>
  `to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** How a column is served: datetimes as ISO text, a missing list as an empty one (the graph exposes lists as they are). */
function shaped(kind: string, expr: string): string {
  if (kind === 'datetime') return isoDateTime(expr);
  if (kind === 'strings') return `coalesce(${expr}, '{}')`;
  if (kind === 'json') return `coalesce(${expr}, '[]'::jsonb)`;
  return expr;
}

const selectListCache = new Map<string, string>();

/**
 * `select` list returning each property under its own (camelCase) name; datetimes as ISO strings.
 * `props` narrows it to what a query reads (sourcedId is always there): fewer columns to read,
 * sort, send and parse.
 */
export function selectList(def: EntityDef, alias = 't', props?: readonly string[]): string {
  const key = `${def.name}:${alias}:${props?.join() ?? '*'}`;
  const cached = selectListCache.get(key);
  if (cached) return cached;
  const wanted = (prop: string) => !props || prop === 'sourcedId' || props.includes(prop);
  const parts: string[] = [];
  if (def.base) {
    if (wanted('sourcedId')) parts.push(`${alias}.sourced_id as "sourcedId"`);
    if (wanted('status')) parts.push(`${alias}.status`);
    if (wanted('dateLastModified')) parts.push(`${isoDateTime(`${alias}.date_last_modified`)} as "dateLastModified"`);
    if (wanted('metadata')) parts.push(`${alias}.metadata`);
  }
  for (const [prop, f] of Object.entries(def.fields)) {
    if (!wanted(prop)) continue;
    const expr = columnExpr(def, prop, alias);
    parts.push(`${shaped(f.kind, expr)} as ${quote(prop)}`);
  }
  // Link tables have no sourcedId; with nothing else asked for, their key columns identify the row.
  const list = parts.length ? parts.join(', ') : selectList(def, alias);
  selectListCache.set(key, list);
  return list;
}

export const refColumns = (def: EntityDef) =>
  Object.entries(def.fields).filter(([, f]) => isRef(f)).map(([p]) => p);
