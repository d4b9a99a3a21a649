import { and, column, joined, sql, tableAs, type Sql } from '../db/sql.js';
import type { EntityName } from '../model/dsl.js';
import { entityDef, entityDefs } from '../model/index.js';
import type { Link, LinkPath, RowCondition } from '../model/relations.js';
import type { ReadPolicy } from './read-policy.js';

/**
 * Where the relations of the model (src/model/relations.ts, plain data) become SQL: links as
 * `select owner, target` statements, fixed row conditions, liveness, and the read policy's extra
 * condition on every entity table a statement reads.
 */

/** The condition under which a row of alias `alias` takes part in relations. */
export const live = (alias: string): Sql => sql`${column(alias, 'status')} <> 'tobedeleted'`;

/** The policy's condition on the rows of `entity` under `alias`, as a list of zero or one condition to spread into `and`. */
export function visible(policy: ReadPolicy, entity: EntityName, alias: string): Sql[] {
  const condition = policy.rows(entity, alias);
  return condition ? [condition] : [];
}

const entityOfTable = new Map(entityDefs.map((d) => [d.table, d.name]));
/** Tables with the OneRoster base fields, so with a status; link tables (class_terms, user_agents) have none. */
const withStatus = new Set(entityDefs.filter((d) => d.base).map((d) => d.table));

/** The policy's condition on a table a link passes through, when the table holds an entity. */
function visibleTable(policy: ReadPolicy, table: string, alias: string): Sql[] {
  const entity = entityOfTable.get(table);
  return entity ? visible(policy, entity, alias) : [];
}

function pathSql(p: LinkPath, policy: ReadPolicy): Sql {
  const from = joined(p.hops.map((h) => (h.on
    ? sql`join ${tableAs(h.table, h.alias)} on ${column(h.alias, h.on.column)} = ${column(h.on.equals.alias, h.on.equals.column)}`
    : tableAs(h.table, h.alias))), sql` `);
  const conditions = [
    ...(p.where ?? []).map((w) => sql`${column(w.alias, w.column)} = ${w.equals}`),
    ...p.hops.filter((h) => withStatus.has(h.table)).map((h) => live(h.alias)),
    ...p.hops.flatMap((h) => visibleTable(policy, h.table, h.alias)),
  ];
  const where = conditions.length ? sql` where ${and(conditions)}` : sql``;
  return sql`select ${column(p.owner.alias, p.owner.column)} as owner, ${column(p.target.alias, p.target.column)} as target from ${from}${where}`;
}

const linkCache = new WeakMap<ReadPolicy, WeakMap<Link, Sql>>();

/**
 * The `(owner, target)` pairs of a link, tombstoned link rows and rows the policy hides left out.
 * Built once per policy and link: a statement is immutable, so nested pages reuse it.
 */
export function linkSql(link: Link, policy: ReadPolicy): Sql {
  let byLink = linkCache.get(policy);
  if (!byLink) linkCache.set(policy, (byLink = new WeakMap()));
  let statement = byLink.get(link);
  if (!statement) byLink.set(link, (statement = joined(link.paths.map((p) => pathSql(p, policy)), sql` union all `)));
  return statement;
}

/**
 * Fixed conditions on the rows under `alias` (a view such as "schools", a relation's
 * "only terms"), each value bound. `depth` keeps the aliases of nested `some` subqueries apart.
 */
export function conditionsSql(conditions: readonly RowCondition[] | undefined, alias: string, policy: ReadPolicy, depth = 0): Sql[] {
  return (conditions ?? []).map((c) => {
    if ('column' in c) return sql`${column(alias, c.column)} = ${c.equals}`;
    // A tombstoned row of `some` holds nothing (a tombstoned role makes no student), and one the policy hides counts for nothing.
    const inner = `w${depth}`;
    const matches = and([
      sql`${column(inner, c.via)} = ${column(alias, 'sourced_id')}`,
      ...conditionsSql(c.where, inner, policy, depth + 1),
      live(inner),
      ...visible(policy, c.some, inner),
    ]);
    return sql`exists (select 1 from ${tableAs(entityDef(c.some).table, inner)} where ${matches})`;
  });
}
