import type { FieldNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import type { EntityDef } from '../model/dsl.js';

/**
 * Which properties of a record the query reads, so that the data layer selects only those columns.
 * Derived fields map to their source: `roleToken`, `rolesEnum` and `userProfileUri` read `role`, `roles`
 * and `userProfile`, `profileId` reads sourcedId; relations need only the sourcedId, which is always read.
 */

/** Field nodes of a selection set, fragments flattened. */
export function fieldsOf(info: GraphQLResolveInfo, set: SelectionSetNode | undefined, out: FieldNode[] = []): FieldNode[] {
  for (const s of set?.selections ?? []) {
    if (s.kind === 'Field') out.push(s);
    else if (s.kind === 'InlineFragment') fieldsOf(info, s.selectionSet, out);
    else fieldsOf(info, info.fragments[s.name.value]?.selectionSet, out);
  }
  return out;
}

const BASE = ['sourcedId', 'status', 'dateLastModified', 'metadata'];

export function propsFrom(def: EntityDef, fields: FieldNode[]): string[] {
  const known = new Set([...(def.base ? BASE : []), ...Object.keys(def.fields)]);
  const props = new Set<string>();
  for (const f of fields) {
    const name = f.name.value;
    const source = known.has(name) ? name : name.replace(/(Token|Enum|Uri)$/, '');
    if (known.has(source)) props.add(source);
  }
  return [...props].sort();
}

/**
 * Caches an analysis of a field's selection. A field of a parsed document resolves once per parent
 * (20,000 times for the results of a school), and its selection never changes: parsed documents are
 * immutable (and shared between requests by yoga's parse cache), so the field node is the key.
 */
function perFieldNode<T>(analyse: (info: GraphQLResolveInfo) => T): (info: GraphQLResolveInfo) => T {
  const cache = new WeakMap<FieldNode, T>();
  return (info) => {
    if (info.fieldNodes.length !== 1) return analyse(info);
    let value = cache.get(info.fieldNodes[0]);
    if (value === undefined) cache.set(info.fieldNodes[0], (value = analyse(info)));
    return value;
  };
}

/**
 * Like perFieldNode, for work that also depends on the request's variables (argument values): one
 * result per field node and variables object, i.e. once per request rather than once per parent row.
 */
export function perRequestFieldNode<A extends unknown[], T>(analyse: (info: GraphQLResolveInfo, ...rest: A) => T): (info: GraphQLResolveInfo, ...rest: A) => T {
  const cache = new WeakMap<object, WeakMap<FieldNode, T>>();
  return (info, ...rest) => {
    if (info.fieldNodes.length !== 1 || !info.variableValues) return analyse(info, ...rest);
    let byNode = cache.get(info.variableValues);
    if (!byNode) cache.set(info.variableValues, (byNode = new WeakMap()));
    let value = byNode.get(info.fieldNodes[0]);
    if (value === undefined) byNode.set(info.fieldNodes[0], (value = analyse(info, ...rest)));
    return value;
  };
}

const objectPropsCache = new Map<EntityDef, (info: GraphQLResolveInfo) => string[]>();
/** Properties read on the object this field returns (a reference, a single relation). */
export function objectProps(info: GraphQLResolveInfo, def: EntityDef): string[] {
  let analyse = objectPropsCache.get(def);
  if (!analyse) {
    objectPropsCache.set(def, (analyse = perFieldNode((i) => propsFrom(def, i.fieldNodes.flatMap((n) => fieldsOf(i, n.selectionSet))))));
  }
  return analyse(info);
}

const nodePropsCache = new Map<EntityDef, (info: GraphQLResolveInfo) => string[]>();
/** Properties read on the nodes of the connection this field returns (`nodes` and `edges.node`). */
export function nodeProps(info: GraphQLResolveInfo, def: EntityDef): string[] {
  let analyse = nodePropsCache.get(def);
  if (!analyse) nodePropsCache.set(def, (analyse = perFieldNode((i) => propsFrom(def, connectionNodeFields(i)))));
  return analyse(info);
}

export function connectionNodeFields(info: GraphQLResolveInfo): FieldNode[] {
  const fields: FieldNode[] = [];
  for (const conn of info.fieldNodes.flatMap((n) => fieldsOf(info, n.selectionSet))) {
    if (conn.name.value === 'nodes') fieldsOf(info, conn.selectionSet, fields);
    if (conn.name.value === 'edges') {
      for (const e of fieldsOf(info, conn.selectionSet)) if (e.name.value === 'node') fieldsOf(info, e.selectionSet, fields);
    }
  }
  return fields;
}

/** Whether the selection under this field is only `sourcedId` (and `__typename`): a reference needs no query then. */
export const onlySourcedId = perFieldNode((info) => info.fieldNodes.every((n) => fieldsOf(info, n.selectionSet)
  .every((s) => s.name.value === 'sourcedId' || s.name.value === '__typename')));

/** Whether a connection's selection asks for its totalCount (which costs a count). */
export const wantsTotal = perFieldNode((info) => info.fieldNodes.some((n) => fieldsOf(info, n.selectionSet)
  .some((s) => s.name.value === 'totalCount')));
