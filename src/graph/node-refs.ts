import type { ImplementableObjectRef } from '@pothos/core';
import type { Row } from '../data/queries.js';
import type { EntityName } from '../model/dsl.js';
import { entityDef, entityDefs } from '../model/index.js';
import { builder, type Types } from './builder.js';
import { connectionType, type ConnectionRef } from './connections.js';
import { defineFilter, defineOrder, type OrderRef } from './inputs.js';

/**
 * The GraphQL object type of every record type, by model name, and the types derived from it (its
 * connection, filter and order). Refs are made on first use, so a type file can name any other type
 * (a relation's target) without importing it; src/graph/nodes.ts imports every type file.
 */

/** Link tables are not types of their own; they surface as relations of the classes they join. */
const HIDDEN = [
  'UserAgent', 'ClassTerm', 'CourseResource', 'ClassResource', 'UserResource', 'LineItemScoreScale', 'ResultScoreScale',
] as const satisfies readonly EntityName[];
const hidden: readonly EntityName[] = HIDDEN;

/** A record type of the graph. */
export type NodeName = Exclude<EntityName, (typeof HIDDEN)[number]>;
export const isNodeName = (name: EntityName): name is NodeName => !hidden.includes(name);
export const exposedDefs = entityDefs.filter((d) => isNodeName(d.name));

/** GraphQL name of a type: the model's, except UserRole, which OneRoster calls Role. */
export const typeNameOf = (name: string) => (name === 'UserRole' ? 'Role' : name);

/** Object fields of a record type read rows as the data layer returns them. */
export type NodeRef = ImplementableObjectRef<Types, Row>;
/** The field builder of a record type's fields. */
export type NodeFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<Types, Row>;

interface Derived { node: NodeRef; connection: ConnectionRef; order: OrderRef }
const derived = new Map<EntityName, Derived>();

function derivedOf(name: EntityName): Derived {
  let d = derived.get(name);
  if (!d) {
    if (!isNodeName(name)) throw new Error(`${name} is not a type of the graph`);
    const def = entityDef(name);
    const typeName = typeNameOf(name);
    const node = builder.objectRef<Row>(typeName);
    defineFilter(def, typeName, typeNameOf);
    d = { node, connection: connectionType(typeName, node), order: defineOrder(def, typeName) };
    derived.set(name, d);
  }
  return d;
}

export const nodeRef = (name: EntityName): NodeRef => derivedOf(name).node;
export const connectionOf = (name: EntityName): ConnectionRef => derivedOf(name).connection;
export const orderOf = (name: EntityName): OrderRef => derivedOf(name).order;
