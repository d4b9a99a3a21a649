import type { ArgBuilder } from '@pothos/core';
import type { GraphQLResolveInfo } from 'graphql';
import type { ListArgs, Row } from '../data/queries.js';
import type { EntityDef, EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import type { Relation } from '../model/relations.js';
import type { Types } from './builder.js';
import { listArgs, type CollectionArgs } from './connections.js';
import type { Context } from './context.js';
import { relationComplexity } from './cost.js';
import { embeddedPage, embedsFor } from './embeds.js';
import { filterRef } from './inputs.js';
import { connectionOf, nodeRef, orderOf, typeNameOf, type NodeFieldBuilder } from './node-refs.js';
import { crossesScope, readAuth } from './scopes.js';
import { nodeProps, objectProps, onlySourcedId, perRequestFieldNode, wantsTotal } from './selection.js';

/** Loads records by sourcedId: every property, or only `props` (one loader per property set). */
export const byId = (ctx: Context, name: EntityName, props?: readonly string[]) => ctx.loaders.byId(name, props);

/**
 * The scope-auth `authScopes` of a reference to `target`, with the one exception to the read scopes:
 * a reference read only for its sourcedId (a GUIDRef) is an address, not data (model.md §0.1), so a
 * result's `student { sourcedId }` needs only the gradebook scope. Any other selection needs the
 * target's read scope (readAuth).
 */
export const refAuth = (target: EntityName) => {
  const map = readAuth(target);
  return (_row: unknown, _args: unknown, _ctx: unknown, info: GraphQLResolveInfo) => (onlySourcedId(info) ? true : map);
};

/**
 * Resolves a reference; a reference read only for its sourcedId needs no query (the foreign key
 * guarantees it). Synchronous then on purpose: a promise per row costs graphql-js dearly on large pages.
 * The field's scopes are checked before (refAuth).
 */
export function resolveRef(target: EntityName, id: unknown, ctx: Context, info: GraphQLResolveInfo): Row | null | Promise<Row | null> {
  if (id == null) return null;
  // A bare GUIDRef still respects the client's sharing rules (an org outside its orgs is no reference).
  if (onlySourcedId(info)) return ctx.sharing.refVisible(target, String(id)) ? { sourcedId: id } : null;
  return byId(ctx, target, objectProps(info, entityDef(target))).load(String(id)).then((row) => row ?? null);
}

/**
 * The record a non-null field serves; a missing one fails as graphql-js fails a null in a non-null
 * field. Synchronous when `found` is (see resolveRef).
 */
export function nonNull(found: Row | null | undefined | Promise<Row | null | undefined>, info: GraphQLResolveInfo): Row | Promise<Row> {
  return found instanceof Promise ? found.then((row) => present(row, info)) : present(found, info);
}

function present(row: Row | null | undefined, info: GraphQLResolveInfo): Row {
  if (!row) throw new Error(`Cannot return null for non-nullable field ${info.parentType.name}.${info.fieldName}.`);
  return row;
}

/** The arguments of a collection of `name` (a root collection or a nested connection). */
export const collectionArgs = (arg: ArgBuilder<Types>, name: EntityName) => ({
  filter: arg({ type: filterRef(typeNameOf(name)), required: false }),
  orderBy: arg({ type: [orderOf(name)], required: false, description: 'Sort keys; sourcedId is always the final tiebreaker.' }),
  first: arg.int({ required: false }),
  after: arg.string({ required: false }),
  last: arg.int({ required: false }),
  before: arg.string({ required: false }),
  offset: arg.int({ required: false, description: 'Offset paging (as REST uses); not combinable with first/after.' }),
  limit: arg.int({ required: false }),
});

/**
 * A nested connection's arguments and page spec are the same for every parent row of one request
 * (they come from the field node and the variables), so they are worked out once; the loader is
 * looked up per row, as a write earlier in the document may have dropped it (loaders.ts).
 */
const nestedListOf = perRequestFieldNode((info: GraphQLResolveInfo, args: CollectionArgs, ctx: Context, _rel: Relation, def: EntityDef): ListArgs =>
  ({ ...listArgs(args, ctx, wantsTotal(info)), props: nodeProps(info, def), embeds: embedsFor(info, def, ctx) }));

/**
 * The rows of a plain-list relation (roles, profiles, learning objectives) or a single-object one
 * (its first row) of one owner row: read along with the owner's page when it could be (embeds.ts),
 * else through the relation's loader. `props` narrows the columns (all when absent).
 */
export function relationRows(rel: Relation, row: Row, ctx: Context, info: GraphQLResolveInfo, props?: readonly string[]): Row[] | Promise<Row[]> {
  const embedded = embeddedPage(row, info);
  if (embedded) return embedded.rows;
  return ctx.loaders.relation(rel, plainListArgs(rel, props)).load(String(row.sourcedId)).then((page) => page.rows);
}

/**
 * One args object per relation and property set (objectProps returns one array per field node), so
 * the loader registry works its key out once rather than once per owner row.
 */
const plainArgs = new WeakMap<object, Map<Relation, ListArgs>>();
const ALL_PROPS = {};
function plainListArgs(rel: Relation, props?: readonly string[]): ListArgs {
  let byRelation = plainArgs.get(props ?? ALL_PROPS);
  if (!byRelation) plainArgs.set(props ?? ALL_PROPS, (byRelation = new Map()));
  let args = byRelation.get(rel);
  if (!args) byRelation.set(rel, (args = { offset: 0, limit: rel.single ? 1 : 10_000, withTotal: false, props }));
  return args;
}

/**
 * The field of relation `rel` (src/model/relations.ts): a single object, a plain list, or a
 * paginated connection with filter, order and paging arguments.
 */
export function relationField(t: NodeFieldBuilder, rel: Relation) {
  const target = nodeRef(rel.target);
  const targetDef = entityDef(rel.target);
  const authScopes = readAuth(rel.target);
  // A navigation into another service's records may be refused; it is nullable so the rest of the answer survives.
  const crossing = crossesScope(rel.owner, rel.target);
  if (rel.list) {
    return t.field({
      type: [target], nullable: crossing, description: rel.description, authScopes,
      resolve: (row, _args, ctx, info) => relationRows(rel, row, ctx, info, objectProps(info, targetDef)),
    });
  }
  if (rel.single) {
    return t.field({
      type: target, nullable: true, description: rel.description, authScopes,
      resolve: (row, _args, ctx, info) => {
        const rows = relationRows(rel, row, ctx, info, objectProps(info, targetDef));
        return Array.isArray(rows) ? (rows[0] ?? null) : rows.then((r) => r[0] ?? null);
      },
    });
  }
  return t.field({
    type: connectionOf(rel.target),
    nullable: crossing,
    description: rel.description,
    args: collectionArgs(t.arg, rel.target),
    complexity: relationComplexity(rel),
    authScopes,
    resolve: (row, args, ctx, info) => {
      const embedded = embeddedPage(row, info);
      if (embedded) return { page: embedded, fromEnd: false };
      const list = nestedListOf(info, args, ctx, rel, targetDef);
      return ctx.loaders.relation(rel, list).load(String(row.sourcedId))
        .then((page) => ({ page, fromEnd: !!list.fromEnd }));
    },
  });
}
