import type { GraphQLResolveInfo } from 'graphql';
import type { ListArgs, Row } from '../data/queries.js';
import type { EntityDef, EntityName, FieldDef, Vocabulary } from '../model/dsl.js';
import { entityDef, entityDefs } from '../model/index.js';
import { relationsOf, type Relation } from '../model/relations.js';
import { StatusType } from '../model/vocabularies.js';
import { profileIdUri } from '../shared/profile-id.js';
import { builder } from './builder.js';
import { relationComplexity } from './cost.js';
import { connectionType, listArgs, type CollectionArgs } from './connections.js';
import type { Context } from './context.js';
import { jsonTypes } from './embedded-types.js';
import { defineFilter, defineOrder, filterRef } from './inputs.js';
import { crossesScope, readScopes, requireRead } from './scopes.js';
import { embeddedPage, embedsFor } from './embeds.js';
import { nodeProps, objectProps, onlySourcedId, perRequestFieldNode, wantsTotal } from './selection.js';

/** Link tables are not types of their own; they surface as relations of the classes they join. */
const HIDDEN: EntityName[] = ['UserAgent', 'ClassTerm', 'CourseResource', 'ClassResource', 'UserResource', 'LineItemScoreScale', 'ResultScoreScale'];
export const exposedDefs = entityDefs.filter((d) => !HIDDEN.includes(d.name));

export const typeNameOf = (name: string) => (name === 'UserRole' ? 'Role' : name);

type NodeRef = ReturnType<typeof builder.objectRef<Row>>;
export const nodeRefs = new Map<EntityName, NodeRef>();
const connections = new Map<EntityName, ReturnType<typeof connectionType>>();
const orders = new Map<EntityName, ReturnType<typeof defineOrder>>();

for (const def of exposedDefs) nodeRefs.set(def.name, builder.objectRef<Row>(typeNameOf(def.name)));
for (const def of exposedDefs) {
  const name = typeNameOf(def.name);
  defineFilter(def, name, (n) => typeNameOf(n));
  orders.set(def.name, defineOrder(def, name));
  connections.set(def.name, connectionType(name, nodeRefs.get(def.name)!));
}

/** GraphQL enum name of a OneRoster token: `fully graded` → `fully_graded`. */
export const enumValueName = (token: string) => token.replace(/[^A-Za-z0-9_]/g, '_');
export const EXTENSION = 'EXTENSION';
const enums = new Map<string, ReturnType<typeof builder.enumType>>();
function enumFor(v: Vocabulary) {
  let e = enums.get(v.name);
  if (!e) {
    const values: Record<string, { value: string; description?: string }> =
      Object.fromEntries(v.values.map((token) => [enumValueName(token), { value: token }]));
    if (v.ext) values[EXTENSION] = { value: EXTENSION, description: 'An `ext:` token; read the `...Token` field for its value.' };
    enums.set(v.name, (e = builder.enumType(v.name, { values })));
  }
  return e;
}
const asEnum = (v: Vocabulary, token: unknown) =>
  token == null ? null : v.values.includes(String(token)) ? token : v.ext ? EXTENSION : token;

/** Loads records by sourcedId: every property, or only `props` (one loader per property set). */
export const byId = (ctx: Context, name: EntityName, props?: readonly string[]) => ctx.loaders.byId(name, props);

/**
 * Resolves a reference; a reference read only for its sourcedId needs no query (the foreign key
 * guarantees it). Synchronous then on purpose: a promise per row costs graphql-js dearly on large pages.
 */
export function resolveRef(target: EntityName, id: unknown, ctx: Context, info: GraphQLResolveInfo): Row | null | Promise<Row | null> {
  if (id == null) return null;
  // A bare GUIDRef still respects the client's sharing rules (an org outside its orgs is no reference).
  if (onlySourcedId(info)) return ctx.sharing.refVisible(target, String(id)) ? { sourcedId: id } : null;
  requireRead(ctx.scopes, target, `${info.parentType.name}.${info.fieldName}`);
  return byId(ctx, target, objectProps(info, entityDef(target))).load(String(id)).then((row) => row ?? null);
}

export const collectionArgs = (t: any, name: EntityName) => ({
  filter: t.arg({ type: filterRef(typeNameOf(name)), required: false }),
  orderBy: t.arg({ type: [orders.get(name)!], required: false, description: 'Sort keys; sourcedId is always the final tiebreaker.' }),
  first: t.arg.int({ required: false }),
  after: t.arg.string({ required: false }),
  last: t.arg.int({ required: false }),
  before: t.arg.string({ required: false }),
  offset: t.arg.int({ required: false, description: 'Offset paging (as REST uses); not combinable with first/after.' }),
  limit: t.arg.int({ required: false }),
});

export const connectionOf = (name: EntityName) => connections.get(name)!;

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

function relationField(t: any, rel: Relation) {
  const target = nodeRefs.get(rel.target)!;
  const targetDef = entityDef(rel.target);
  const where = `${typeNameOf(rel.owner)}.${rel.name}`;
  // A navigation into another service's records may be refused; it is nullable so the rest of the answer survives.
  const crossing = crossesScope(rel.owner, rel.target);
  if (rel.single || rel.list) {
    const many = !!rel.list;
    return t.field({
      type: many ? [target] : target,
      nullable: !many || crossing,
      description: rel.description,
      resolve: (row: Row, _args: unknown, ctx: Context, info: GraphQLResolveInfo) => {
        requireRead(ctx.scopes, rel.target, where);
        const rows = relationRows(rel, row, ctx, info, objectProps(info, targetDef));
        if (many) return rows;
        return Array.isArray(rows) ? (rows[0] ?? null) : rows.then((r) => r[0] ?? null);
      },
    });
  }
  return t.field({
    type: connectionOf(rel.target),
    nullable: crossing,
    description: rel.description,
    args: collectionArgs(t, rel.target),
    complexity: relationComplexity(rel),
    resolve: (row: Row, args: CollectionArgs, ctx: Context, info: GraphQLResolveInfo) => {
      requireRead(ctx.scopes, rel.target, where);
      const embedded = embeddedPage(row, info);
      if (embedded) return { page: embedded, fromEnd: false };
      const list = nestedListOf(info, args, ctx, rel, targetDef);
      return ctx.loaders.relation(rel, list).load(String(row.sourcedId))
        .then((page) => ({ page, fromEnd: !!list.fromEnd }));
    },
  });
}

function scalarField(t: any, owner: EntityName, name: string, f: FieldDef) {
  const nullable = !f.required;
  const description = 'description' in f ? f.description : undefined;
  // Fields that read their own property are exposed: they keep GraphQL's default resolver, which
  // graphql-jit compiles to a property read instead of a resolver call per row.
  switch (f.kind) {
    case 'string': return t.exposeString(name, { nullable, description });
    // Without ext: tokens every stored token is an enum value (asEnum would return it unchanged).
    case 'enum': return f.vocab!.ext
      ? t.field({ type: enumFor(f.vocab!), nullable, description, resolve: (r: Row) => asEnum(f.vocab!, r[name]) })
      : t.expose(name, { type: enumFor(f.vocab!), nullable, description });
    case 'date': return t.expose(name, { type: 'Date', nullable, description });
    case 'datetime': return t.expose(name, { type: 'DateTime', nullable, description });
    case 'float': return t.exposeFloat(name, { nullable, description });
    case 'int': return t.exposeInt(name, { nullable, description });
    case 'boolean': return t.exposeBoolean(name, { nullable, description });
    // Lists are never null in rows: selectList reads a missing list as an empty one.
    case 'strings': return t.exposeStringList(name, { description });
    case 'json': return t.expose(name, { type: [jsonTypes[f.jsonType!]], description });
    case 'ref': return t.field({
      type: nodeRefs.get(f.target)!, nullable: nullable || crossesScope(owner, f.target), description,
      resolve: (r: Row, _a: unknown, ctx: Context, info: GraphQLResolveInfo) => resolveRef(f.target, r[name], ctx, info),
    });
  }
}

function fieldsOf(def: EntityDef) {
  return (t: any) => {
    const fields: Record<string, unknown> = {};
    if (def.base) {
      fields.sourcedId = t.exposeID('sourcedId', { description: 'The interoperability identifier of the record.' });
      fields.status = t.expose('status', { type: enumFor(StatusType) });
      fields.dateLastModified = t.expose('dateLastModified', { type: 'DateTime', description: 'Last change; the basis of delta sync.' });
      fields.metadata = t.expose('metadata', { type: 'JSONObject', nullable: true, description: 'Extension properties.' });
    }
    // profileId is an AnyURI in REST; the sourcedId (CSV's) is not one, so both are served (src/shared/profile-id.ts).
    if (def.name === 'UserProfile') {
      fields.profileId = t.id({
        description: 'The profileId as REST serves it: a URI (urn:oneroster-graph:profile:<sourcedId>, or the sourcedId when that is a URI).',
        resolve: (r: Row) => profileIdUri(String(r.sourcedId)),
      });
    }
    if (def.name === 'UserRole') {
      fields.userProfileUri = t.id({
        nullable: true, description: 'userProfile as REST serves it: the profileId URI of that user profile.',
        resolve: (r: Row) => (r.userProfile == null ? null : profileIdUri(String(r.userProfile))),
      });
    }
    for (const [name, f] of Object.entries(def.fields)) {
      fields[name] = scalarField(t, def.name, name, f);
      // A list of vocabulary tokens stays a token list (what REST serves); the enum view sits beside it.
      if (f.kind === 'strings' && f.vocab) {
        const v = f.vocab;
        fields[`${name}Enum`] = t.field({
          type: [enumFor(v)], description: `${name} as ${v.name} values; ext: tokens read as EXTENSION.`,
          resolve: (r: Row) => ((r[name] as string[] | null) ?? []).map((token) => asEnum(v, token)),
        });
      }
      if (f.kind === 'enum') {
        fields[`${name}Token`] = t.string({
          nullable: !f.required, description: `The OneRoster token of ${name}, including ext: values.`,
          resolve: (r: Row) => r[name],
        });
      }
    }
    for (const rel of relationsOf(def.name)) fields[rel.name] = relationField(t, rel);
    return fields;
  };
}

for (const def of exposedDefs) {
  if (!readScopes[def.name]) throw new Error(`no read scope declared for ${def.name}`);
  nodeRefs.get(def.name)!.implement({ description: def.description, fields: fieldsOf(def) as never });
}


