import { getArgumentValues, getNamedType, isObjectType, visit, type ASTNode, type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import type { Embed, ListArgs, Page, Row } from '../data/queries.js';
import { embedColumn } from '../data/queries.js';
import type { EntityDef } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { relationsOf, type Relation } from '../model/relations.js';
import { listArgs, type CollectionArgs } from './connections.js';
import type { Context } from './context.js';
import { canRead } from './scopes.js';
import { connectionNodeFields, fieldsOf, perRequestFieldNode, propsFrom } from './selection.js';

/**
 * Which small relations of a page's rows to read in the page's own statement (data/queries.ts
 * `Embed`). A /users page of 1,000 asks for each user's roles, profiles, agents and resources: as
 * batched loads that is four more statements, a loader call and a promise per user and relation;
 * embedded it is four correlated subqueries in the page query and a synchronous field per row.
 *
 * Only what is certainly equivalent is embedded: relations marked small (`list` or `embed` in the
 * model), under a response key that appears once, without directives, readable with the request's
 * scopes, and for connections only plain offset paging (no filter, order or cursors) with nothing
 * but `nodes` selected. Anything else resolves through its loader as before. The same holds for a
 * single record read by sourcedId (REST `/users/{id}`): its relations come in its own statement.
 */
export const embedsFor: (info: GraphQLResolveInfo, def: EntityDef, ctx: Context) => Embed[] = perRequestFieldNode(planOnce);

/**
 * A plan depends on the field's selection, the values of the variables it uses, which relations the
 * caller may read and the page-size cap. It is kept per field node for each combination of those (at
 * most a few per node: a REST document's only variable in a selection is its reference-list cap), so a
 * document is planned once, not once per request.
 */
const planned = new WeakMap<FieldNode, Map<string, Embed[]>>();
const MAX_PLANS_PER_NODE = 16;

function planOnce(info: GraphQLResolveInfo, def: EntityDef, ctx: Context): Embed[] {
  const candidates = relationsOf(def.name).filter((r) => (r.list || r.embed) && canRead(ctx.scopes, r.target));
  if (!candidates.length) return [];
  const node = info.fieldNodes[0];
  if (info.fieldNodes.length !== 1 || !node) return plan(info, def, ctx, candidates);
  const values = variablesUsed(info, node).map((name) => info.variableValues[name]);
  const key = `${def.name}:${ctx.limits.maxLimit}:${candidates.map((r) => r.name).join()}:${JSON.stringify(values, keepUndefined)}`;
  let byKey = planned.get(node);
  if (!byKey) planned.set(node, (byKey = new Map()));
  let embeds = byKey.get(key);
  if (!embeds) {
    embeds = plan(info, def, ctx, candidates);
    if (byKey.size < MAX_PLANS_PER_NODE) byKey.set(key, embeds);
  }
  return embeds;
}

/** A variable left out and one given as null can plan differently: keys keep them apart. */
const keepUndefined = (_key: string, value: unknown) => (value === undefined ? { undefined: true } : value);

const variableNames = new WeakMap<FieldNode, string[]>();
/** The variables the field's selection names (arguments, directives, sub-selections, fragments). */
function variablesUsed(info: GraphQLResolveInfo, node: FieldNode): string[] {
  let names = variableNames.get(node);
  if (!names) {
    const found = new Set<string>();
    const seen = new Set<string>();
    const walk = (n: ASTNode) => visit(n, {
      Variable: (v) => { found.add(v.name.value); },
      FragmentSpread: (spread) => {
        const fragment = info.fragments[spread.name.value];
        if (fragment && !seen.has(spread.name.value)) { seen.add(spread.name.value); walk(fragment); }
      },
    });
    // The field's own arguments (a root field's `sourcedId: $id`) do not shape its embeds.
    if (node.selectionSet) walk(node.selectionSet);
    variableNames.set(node, (names = [...found].sort()));
  }
  return names;
}

function plan(info: GraphQLResolveInfo, def: EntityDef, ctx: Context, candidates: Relation[]): Embed[] {
  // A connection's rows are its nodes; a single record (a root field by sourcedId) is its own row.
  const returned = getNamedType(info.returnType).name;
  const connection = returned.endsWith('Connection');
  const nodeType = info.schema.getType(connection ? returned.slice(0, -'Connection'.length) : returned);
  if (!isObjectType(nodeType)) return [];
  const children = connection ? connectionNodeFields(info) : info.fieldNodes.flatMap((n) => fieldsOf(info, n.selectionSet));
  const keyCount = new Map<string, number>();
  for (const f of children) keyCount.set(responseKey(f), (keyCount.get(responseKey(f)) ?? 0) + 1);
  const embeds: Embed[] = [];
  for (const f of children) {
    if (keyCount.get(responseKey(f)) !== 1 || f.directives?.length) continue;
    const derivedFrom = DERIVED[`${def.name}.${f.name.value}`];
    const rel = candidates.find((r) => r.name === (derivedFrom ?? f.name.value));
    if (!rel) continue;
    // A derived field reads every column of its relation's rows, as its resolver's own load does.
    const args = derivedFrom ? { offset: 0, limit: 10_000, withTotal: false }
      : rel.list ? listArgsOf(info, f, rel) : connectionArgsOf(info, f, rel, nodeType, ctx);
    if (args) embeds.push({ key: responseKey(f), rel, args });
  }
  return embeds;
}

/** Fields computed from a relation's rows (learning-objectives.ts groups them by source). */
const DERIVED: Record<string, string> = {
  'LineItem.learningObjectiveSet': 'learningObjectives',
  'Result.learningObjectiveSet': 'learningObjectiveResults',
};

const responseKey = (f: FieldNode) => f.alias?.value ?? f.name.value;

function listArgsOf(info: GraphQLResolveInfo, f: FieldNode, rel: Relation): ListArgs {
  return { offset: 0, limit: 10_000, withTotal: false, props: propsFrom(entityDef(rel.target), fieldsOf(info, f.selectionSet)) };
}

function connectionArgsOf(info: GraphQLResolveInfo, f: FieldNode, rel: Relation, nodeType: GraphQLObjectType, ctx: Context): ListArgs | undefined {
  const selected = fieldsOf(info, f.selectionSet);
  if (!selected.every((s) => (s.name.value === 'nodes' || s.name.value === '__typename') && !s.directives?.length)) return undefined;
  const field = nodeType.getFields()[f.name.value];
  if (!field) return undefined;
  let args: CollectionArgs;
  try {
    // graphql-js returns argument values untyped; they are coerced to this field's arguments (relation-fields.ts collectionArgs).
    args = getArgumentValues(field, f, info.variableValues) as CollectionArgs;
  } catch {
    return undefined; // The field's own resolution reports it.
  }
  if (args.filter != null || args.orderBy != null || args.first != null || args.after != null || args.last != null || args.before != null) return undefined;
  let list: ListArgs;
  try {
    list = listArgs(args, ctx, false);
  } catch {
    return undefined;
  }
  const nodes = selected.filter((s) => s.name.value === 'nodes').flatMap((s) => fieldsOf(info, s.selectionSet));
  return { ...list, props: propsFrom(entityDef(rel.target), nodes) };
}

const isPage = (v: unknown): v is Page => typeof v === 'object' && v !== null && 'rows' in v;

/** The embedded page of this field on this row, when the row's page read it along. */
export function embeddedPage(row: Row, info: GraphQLResolveInfo): Page | undefined {
  const page = row[embedColumn(String(info.path.key))];
  return isPage(page) ? page : undefined;
}
