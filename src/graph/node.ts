import type { FieldMap, ObjectRef } from '@pothos/core';
import { entityDef } from '../model/index.js';
import { relationsOf, type Relation } from '../model/relations.js';
import { modelFields } from './model-fields.js';
import type { Row } from '../data/queries.js';
import type { Types } from './builder.js';
import { nodeRef, type NodeFieldBuilder, type NodeName } from './node-refs.js';
import { relationField } from './relation-fields.js';
import type { RelationNames } from './relation-names.js';
import { readScopes } from './scopes.js';

/** The names of the relations of record type `N` in the model (src/model/relations.ts). */
export type RelationName<N extends NodeName> = RelationNames[N];

type Missing<N extends NodeName, R extends readonly string[]> = Exclude<RelationName<N>, R[number]>;

interface NodeOptions<N extends NodeName, R extends readonly RelationName<N>[]> {
  /**
   * The relations served as fields: every relation the model gives the type, so that the type's file
   * lists them all (tsc rejects a name the model lacks and names any relation left out).
   */
  relations: R & ([Missing<N, R>] extends [never] ? unknown : { missing: Missing<N, R> });
  /** Fields computed from the row or its relations, beyond what the model describes. */
  fields?: (t: NodeFieldBuilder) => FieldMap;
}

const relationNamed = (owner: NodeName, name: string): Relation => {
  const rel = relationsOf(owner).find((r) => r.name === name);
  if (!rel) throw new Error(`the model has no relation ${owner}.${name}`);
  return rel;
};

/**
 * Declares the GraphQL object type of record type `name`: the fields the model describes (base
 * fields, properties, references; model-fields.ts), the extra `fields`, and the listed relations.
 */
export function defineNode<N extends NodeName, const R extends readonly RelationName<N>[]>(name: N, options: NodeOptions<N, R>): ObjectRef<Types, Row> {
  if (!readScopes[name]) throw new Error(`no read scope declared for ${name}`);
  const def = entityDef(name);
  const relations = options.relations.map((r) => relationNamed(name, r));
  return nodeRef(name).implement({
    description: def.description,
    fields: (t) => {
      const fields: FieldMap = { ...modelFields(t, def), ...options.fields?.(t) };
      for (const rel of relations) fields[rel.name] = relationField(t, rel);
      return fields;
    },
  });
}
