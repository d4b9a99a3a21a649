import type { FieldMap } from '@pothos/core';
import type { EntityDef, EntityName, FieldDef, Vocabulary } from '../model/dsl.js';
import { StatusType } from '../model/vocabularies.js';
import { builder } from './builder.js';
import { jsonTypes } from './embedded-types.js';
import { nodeRef, type NodeFieldBuilder } from './node-refs.js';
import { nonNull, refAuth, resolveRef } from './relation-fields.js';
import { crossesScope } from './scopes.js';

/**
 * The fields of a record type that the model (src/model) describes: the base fields, one field per
 * property, and the enum and token views of vocabulary properties. A property added to the model
 * appears here without touching the graph.
 */

/** GraphQL enum name of a OneRoster token: `fully graded` → `fully_graded`. */
export const enumValueName = (token: string) => token.replace(/[^A-Za-z0-9_]/g, '_');
export const EXTENSION = 'EXTENSION';

const enums = new Map<string, ReturnType<typeof makeEnum>>();
const makeEnum = (v: Vocabulary) => {
  const values: Record<string, { value: string; description?: string }> =
    Object.fromEntries(v.values.map((token) => [enumValueName(token), { value: token }]));
  if (v.ext) values[EXTENSION] = { value: EXTENSION, description: 'An `ext:` token; read the `...Token` field for its value.' };
  return builder.enumType(v.name, { values });
};
function enumFor(v: Vocabulary) {
  let e = enums.get(v.name);
  if (!e) enums.set(v.name, (e = makeEnum(v)));
  return e;
}
/** OneRoster's StatusType (active, tobedeleted), also an input of the gradebook mutations. */
export const StatusEnum = enumFor(StatusType);

/** The enum value of a stored token: itself, or EXTENSION for an `ext:` token. */
const asEnum = (v: Vocabulary, token: string) => (v.values.includes(token) || !v.ext ? token : EXTENSION);

// Typed reads of a row's property (rows are untyped: the data layer selects whatever the model names).
const text = (v: unknown) => (v == null ? null : String(v));
const num = (v: unknown) => (v == null ? null : Number(v));
const flag = (v: unknown) => (v == null ? null : Boolean(v));
const texts = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const objects = (v: unknown) => (Array.isArray(v) ? v.filter(isObject) : []);

/**
 * Marks a field that serves the row's property of the same name as Pothos's `expose*` marks its
 * fields, so it keeps GraphQL's default resolver, which graphql-jit compiles to a property read
 * rather than a call per row; the field's `resolve` then only types the value (`expose*` itself
 * checks property names against a typed row, which a row derived from the model is not).
 */
const exposing = (name: string) => ({ extensions: { pothosExposedField: name } });

/** The field of property `name`; nullable exactly when the model calls the property optional. */
function propertyField(t: NodeFieldBuilder, owner: EntityName, name: string, f: FieldDef) {
  const o = { description: f.description, ...exposing(name) };
  const req = !!f.required;
  switch (f.kind) {
    case 'string': return req ? t.string({ ...o, resolve: (r) => String(r[name]) }) : t.string({ ...o, nullable: true, resolve: (r) => text(r[name]) });
    case 'date': return req ? t.field({ type: 'Date', ...o, resolve: (r) => String(r[name]) })
      : t.field({ type: 'Date', ...o, nullable: true, resolve: (r) => text(r[name]) });
    case 'datetime': return req ? t.field({ type: 'DateTime', ...o, resolve: (r) => String(r[name]) })
      : t.field({ type: 'DateTime', ...o, nullable: true, resolve: (r) => text(r[name]) });
    case 'float': return req ? t.float({ ...o, resolve: (r) => Number(r[name]) }) : t.float({ ...o, nullable: true, resolve: (r) => num(r[name]) });
    case 'int': return req ? t.int({ ...o, resolve: (r) => Number(r[name]) }) : t.int({ ...o, nullable: true, resolve: (r) => num(r[name]) });
    case 'boolean': return req ? t.boolean({ ...o, resolve: (r) => Boolean(r[name]) }) : t.boolean({ ...o, nullable: true, resolve: (r) => flag(r[name]) });
    // Lists are never null in rows: selectList reads a missing list as an empty one.
    case 'strings': return t.stringList({ ...o, resolve: (r) => texts(r[name]) });
    case 'json': {
      const type = f.jsonType ? jsonTypes[f.jsonType] : undefined;
      if (!type) throw new Error(`${owner}.${name}: unknown json type ${f.jsonType}`);
      return t.field({ type: [type], ...o, resolve: (r) => objects(r[name]) });
    }
    case 'enum': {
      const v = f.vocab;
      if (!v) throw new Error(`${owner}.${name}: an enum field needs its vocabulary`);
      const type = enumFor(v);
      // Without ext: tokens every stored token is an enum value, so the property is served as it is.
      const served = v.ext ? { description: f.description } : o;
      return req ? t.field({ type, ...served, resolve: (r) => asEnum(v, String(r[name])) })
        : t.field({ type, ...served, nullable: true, resolve: (r) => (r[name] == null ? null : asEnum(v, String(r[name]))) });
    }
    case 'ref': {
      const target = nodeRef(f.target);
      const description = f.description;
      // Only a reference into another scope's data declares scopes: every field that reaches the owner
      // (root, relation, crossing reference, mutation payload) declared the owner's, which are the target's.
      // Leaving the others unwrapped keeps scope-auth off the per-row path of large pages.
      if (crossesScope(owner, f.target)) {
        return t.field({ type: target, nullable: true, description, authScopes: refAuth(f.target), resolve: (r, _args, ctx, info) => resolveRef(f.target, r[name], ctx, info) });
      }
      return req
        ? t.field({ type: target, description, resolve: (r, _args, ctx, info) => nonNull(resolveRef(f.target, r[name], ctx, info), info) })
        : t.field({ type: target, nullable: true, description, resolve: (r, _args, ctx, info) => resolveRef(f.target, r[name], ctx, info) });
    }
  }
}

/** Every field the model gives record type `def`, by GraphQL field name. */
export function modelFields(t: NodeFieldBuilder, def: EntityDef): FieldMap {
  const fields: FieldMap = {};
  if (def.base) {
    fields.sourcedId = t.id({ description: 'The interoperability identifier of the record.', ...exposing('sourcedId'), resolve: (r) => String(r.sourcedId) });
    fields.status = t.field({ type: StatusEnum, ...exposing('status'), resolve: (r) => String(r.status) });
    fields.dateLastModified = t.field({
      type: 'DateTime', description: 'Last change; the basis of delta sync.', ...exposing('dateLastModified'),
      resolve: (r) => String(r.dateLastModified),
    });
    fields.metadata = t.field({
      type: 'JSONObject', nullable: true, description: 'Extension properties.', ...exposing('metadata'),
      resolve: (r) => (isObject(r.metadata) ? r.metadata : null),
    });
  }
  for (const [name, f] of Object.entries(def.fields)) {
    fields[name] = propertyField(t, def.name, name, f);
    // A list of vocabulary tokens stays a token list (what REST serves); the enum view sits beside it.
    if (f.kind === 'strings' && f.vocab) {
      const v = f.vocab;
      fields[`${name}Enum`] = t.field({
        type: [enumFor(v)], description: `${name} as ${v.name} values; ext: tokens read as EXTENSION.`,
        resolve: (r) => texts(r[name]).map((token) => asEnum(v, token)),
      });
    }
    if (f.kind === 'enum') {
      const description = `The OneRoster token of ${name}, including ext: values.`;
      fields[`${name}Token`] = f.required ? t.string({ description, resolve: (r) => String(r[name]) })
        : t.string({ nullable: true, description, resolve: (r) => text(r[name]) });
    }
  }
  return fields;
}
