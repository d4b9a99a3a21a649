import { and, column, or, sql, tableAs, type Sql } from '../db/sql.js';
import { isRef, type EntityDef, type EntityName, type FieldDef } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { relationsOf } from '../model/relations.js';
import { columnExpr } from './columns.js';
import { conditionsSql, linkSql, live, visible } from './links.js';
import type { ReadPolicy } from './read-policy.js';

/** The comparisons every filterable field takes (GraphQL `*Comparison` inputs). */
export interface Comparison {
  eq?: unknown; ne?: unknown; gt?: unknown; gte?: unknown; lt?: unknown; lte?: unknown;
  contains?: string; in?: unknown[]; isNull?: boolean;
}

/** A GraphQL `*Filter` input: field comparisons, reference filters and relation filters, with AND/OR/NOT. */
export type FilterInput = { AND?: FilterInput[]; OR?: FilterInput[]; NOT?: FilterInput } & Record<string, unknown>;

const NO_CAST = sql``;
const CASTS: Partial<Record<FieldDef['kind'], Sql>> = {
  date: sql`::date`, datetime: sql`::timestamptz`, float: sql`::double precision`, int: sql`::integer`, boolean: sql`::boolean`,
};
const castOf = (f: FieldDef | undefined): Sql => (f && CASTS[f.kind]) || NO_CAST;

const OPS: Record<string, Sql> = { eq: sql`=`, ne: sql`is distinct from`, gt: sql`>`, gte: sql`>=`, lt: sql`<`, lte: sql`<=` };
/** `element op value` written as `value mirrored-op any(list)`. */
const MIRRORED: Record<string, Sql> = { eq: sql`=`, gt: sql`<`, gte: sql`<=`, lt: sql`>`, lte: sql`>=` };

/** The SQL operator of a comparison; the GraphQL schema admits no other, so another one is a bug here. */
function operator(ops: Record<string, Sql>, op: string): Sql {
  const known = ops[op];
  if (!known) throw new Error(`no SQL operator for comparison ${op}`);
  return known;
}

function compareScalar(expr: Sql, f: FieldDef | undefined, c: Comparison): Sql[] {
  const out: Sql[] = [];
  const cast = castOf(f);
  const list = f?.kind === 'strings';
  for (const [op, value] of Object.entries(c)) {
    if (value === undefined || value === null) continue;
    if (op === 'isNull') {
      // A list field reads as [] when null, so an empty list counts as null too.
      const empty = list ? sql`coalesce(cardinality(${expr}), 0) = 0` : sql`${expr} is null`;
      out.push(value ? empty : sql`not (${empty})`);
    } else if (op === 'contains') {
      const needle = String(value);
      // Case-insensitive substring, on each element for list fields.
      out.push(list
        ? sql`exists (select 1 from unnest(${expr}) e where strpos(lower(e), lower(${needle})) > 0)`
        : sql`strpos(lower(${expr}::text), lower(${needle})) > 0`);
    } else if (op === 'in') {
      const values = JSON.stringify((value as unknown[]).map((v) => String(v)));
      out.push(list
        ? sql`${expr} && array(select jsonb_array_elements_text(${values}::jsonb))`
        : sql`${expr} in (select jsonb_array_elements_text(${values}::jsonb)${cast})`);
    } else if (list) {
      // A list field matches when any element does (grades='09'), as REST clients expect; `ne` when none
      // does, null lists included. The value stands left of ANY, so the operator is mirrored.
      const v = String(value);
      out.push(op === 'ne' ? sql`not coalesce(${v} = any(${expr}), false)` : sql`${v} ${operator(MIRRORED, op)} any(${expr})`);
    } else {
      out.push(sql`${expr} ${operator(OPS, op)} ${value}${cast}`);
    }
  }
  return out;
}

/**
 * Compiles a filter into a SQL condition over the row alias `alias` of entity `name`. Relation filters
 * read other tables, so they take the request's read policy: a hidden row matches nothing.
 */
export function compileFilter(name: EntityName, filter: FilterInput | undefined, policy: ReadPolicy, alias = 't', depth = 0): Sql {
  if (!filter) return sql`true`;
  const def = entityDef(name);
  const parts: Sql[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || value === null) continue;
    if (key === 'AND') parts.push(...(value as FilterInput[]).map((f) => compileFilter(name, f, policy, alias, depth)));
    else if (key === 'OR') parts.push(or((value as FilterInput[]).map((f) => compileFilter(name, f, policy, alias, depth))));
    else if (key === 'NOT') parts.push(sql`not (${compileFilter(name, value as FilterInput, policy, alias, depth)})`);
    else parts.push(...compileField(def, key, value, policy, alias, depth));
  }
  return parts.length ? and(parts) : sql`true`;
}

function compileField(def: EntityDef, key: string, value: unknown, policy: ReadPolicy, alias: string, depth: number): Sql[] {
  const f = def.fields[key];
  if (f && isRef(f)) return compareScalar(columnExpr(def, key, alias), undefined, (value as { sourcedId: Comparison }).sourcedId ?? {});
  if (f || ['sourcedId', 'status', 'dateLastModified'].includes(key)) {
    const field = f ?? (key === 'dateLastModified' ? { kind: 'datetime' as const } : { kind: 'string' as const });
    return compareScalar(columnExpr(def, key, alias), field, value as Comparison);
  }
  const rel = relationsOf(def.name).find((r) => r.name === key && r.filterable);
  if (!rel) throw new Error(`${def.name} cannot be filtered on ${key}`);
  // "Some related row matches": an EXISTS over the relation's link, joined to the target. Tombstones
  // make no relation: the owner, the target and (in the link) every row it goes through must be live.
  const inner = `r${depth}`;
  const matches = and([
    compileFilter(rel.target, value as FilterInput, policy, inner, depth + 1),
    ...conditionsSql(rel.where, inner, policy, depth),
    live(inner),
    ...visible(policy, rel.target, inner),
  ]);
  const target = tableAs(entityDef(rel.target).table, inner);
  if ('fk' in rel.source) {
    return [live(alias), sql`exists (select 1 from ${target} where ${column(inner, rel.source.fk)} = ${column(alias, 'sourced_id')} and ${matches})`];
  }
  const l = `l${depth}`;
  return [live(alias), sql`exists (select 1 from (${linkSql(rel.source, policy)}) as ${sql.id(l)} join ${target} on ${column(inner, 'sourced_id')} = ${column(l, 'target')}
    where ${column(l, 'owner')} = ${column(alias, 'sourced_id')} and ${matches})`];
}
