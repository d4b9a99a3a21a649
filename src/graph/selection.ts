import type { FieldNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import type { EntityDef } from '../model/dsl.js';

/**
 * Which properties of a record the query reads, so that the data layer selects only those columns.
 * Derived fields map to their source: `roleToken` and `rolesEnum` read `role`/`roles`, `profileId`
 * reads sourcedId; relations need only the sourcedId, which is always read.
 */

/** Field nodes of a selection set, fragments flattened. */
function fieldsOf(info: GraphQLResolveInfo, set: SelectionSetNode | undefined, out: FieldNode[] = []): FieldNode[] {
  for (const s of set?.selections ?? []) {
    if (s.kind === 'Field') out.push(s);
    else if (s.kind === 'InlineFragment') fieldsOf(info, s.selectionSet, out);
    else fieldsOf(info, info.fragments[s.name.value]?.selectionSet, out);
  }
  return out;
}

const BASE = ['sourcedId', 'status', 'dateLastModified', 'metadata'];

function propsFrom(def: EntityDef, fields: FieldNode[]): string[] {
  const known = new Set([...(def.base ? BASE : []), ...Object.keys(def.fields)]);
  const props = new Set<string>();
  for (const f of fields) {
    const name = f.name.value;
    const source = known.has(name) ? name : name.replace(/(Token|Enum)$/, '');
    if (known.has(source)) props.add(source);
  }
  return [...props].sort();
}

/** Properties read on the object this field returns (a reference, a single relation). */
export function objectProps(info: GraphQLResolveInfo, def: EntityDef): string[] {
  return propsFrom(def, info.fieldNodes.flatMap((n) => fieldsOf(info, n.selectionSet)));
}

/** Properties read on the nodes of the connection this field returns (`nodes` and `edges.node`). */
export function nodeProps(info: GraphQLResolveInfo, def: EntityDef): string[] {
  const fields: FieldNode[] = [];
  for (const conn of info.fieldNodes.flatMap((n) => fieldsOf(info, n.selectionSet))) {
    if (conn.name.value === 'nodes') fieldsOf(info, conn.selectionSet, fields);
    if (conn.name.value === 'edges') {
      for (const e of fieldsOf(info, conn.selectionSet)) if (e.name.value === 'node') fieldsOf(info, e.selectionSet, fields);
    }
  }
  return propsFrom(def, fields);
}
