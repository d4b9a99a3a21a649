import {
  getNamedType, GraphQLInputObjectType, TypeInfo, valueFromAST, visit, visitWithTypeInfo,
  type DocumentNode, type GraphQLSchema,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { V1P1_SCOPE_PREFIX, V1P2_SCOPE_PREFIX } from '../auth/scopes.js';
import type { FilterInput } from '../data/filters.js';
import { entityDefs } from '../model/index.js';
import type { EntityName } from '../model/dsl.js';
import { CodedError, forbidden } from '../shared/errors.js';
import type { Context, FilterLimits } from './context.js';
import { readScopes } from './scopes.js';

export type { FilterLimits };

/**
 * Checks a filter before any SQL is built from it: its size (predicates, nesting), that the type it
 * filters and every relation it reaches into are ones the caller may read, and that it never
 * compares a secret. Scopes come from the one declaration per type (readScopes, src/graph/scopes.ts)
 * that the schema's authScopes derive from too; a filter or order type maps to its record type by
 * name, so a new relation filter is covered without being listed here. A sort only ever names
 * fields of the type being read, so it needs that type's scope, and no secret.
 */
export const DEFAULT_FILTER_LIMITS: FilterLimits = { maxPredicates: 100, maxDepth: 10 };

/** Fields no filter or sort may name: comparing them is an oracle on their value. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['password']);

const graphName = (name: EntityName) => (name === 'UserRole' ? 'Role' : name);
const entityOfFilter = new Map<string, EntityName>(entityDefs.map((d) => [`${graphName(d.name)}Filter`, d.name]));
const entityOfOrder = new Map<string, EntityName>(entityDefs.map((d) => [`${graphName(d.name)}Order`, d.name]));

/** Refuses, before anything is evaluated, a filter or sort on a type the caller may not read. */
function requireReadable(readable: ReadonlySet<string>, entity: EntityName, use: string): void {
  if (!(readScopes[entity] ?? []).some((s) => readable.has(s))) {
    throw forbidden(`the access token lacks a scope to read ${graphName(entity)}, so it cannot ${use}`);
  }
}

/** The caller's scopes with each v1.1 scope standing also for its v1.2 twin (the REST guard's rule). */
export function readableWith(scopes: ReadonlySet<string>): ReadonlySet<string> {
  const out = new Set(scopes);
  for (const s of scopes) if (s.startsWith(V1P1_SCOPE_PREFIX)) out.add(V1P2_SCOPE_PREFIX + s.slice(V1P1_SCOPE_PREFIX.length));
  return out;
}

const tooLarge = (message: string, limit: string) => new CodedError('FILTER_TOO_COMPLEX', message, { limit });
const secret = (kind: 'filter' | 'sort', path: string) =>
  new CodedError(kind === 'filter' ? 'INVALID_FILTER_FIELD' : 'INVALID_SORT_FIELD', `${path} cannot be used to ${kind}`);

export function checkFilter(schema: GraphQLSchema, typeName: string, filter: FilterInput, scopes: ReadonlySet<string>, limits: FilterLimits = DEFAULT_FILTER_LIMITS): void {
  const readable = readableWith(scopes);
  let predicates = 0;
  const walk = (type: GraphQLInputObjectType, value: FilterInput, depth: number, path: string) => {
    if (depth > limits.maxDepth) throw tooLarge(`filter nests deeper than ${limits.maxDepth} levels (MAX_FILTER_DEPTH)`, 'MAX_FILTER_DEPTH');
    const fields = type.getFields();
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      const at = path ? `${path}.${key}` : key;
      if (key === 'AND' || key === 'OR') {
        for (const item of [v].flat()) if (isFilter(item)) walk(type, item, depth + 1, path);
        continue;
      }
      if (key === 'NOT') { if (isFilter(v)) walk(type, v, depth + 1, path); continue; }
      if (SECRET_FIELDS.has(key)) throw secret('filter', at);
      const inner = fields[key] && getNamedType(fields[key].type);
      if (!(inner instanceof GraphQLInputObjectType)) continue; // unknown keys are the schema's to refuse
      const target = entityOfFilter.get(inner.name);
      if (target) {
        requireReadable(readable, target, `filter on ${at}`);
        if (isFilter(v)) walk(inner, v, depth + 1, at);
        continue;
      }
      // A comparison, or a reference's { sourcedId: comparison }: each operator is one predicate.
      predicates += countComparisons(v);
      if (predicates > limits.maxPredicates) {
        throw tooLarge(`filter has more than ${limits.maxPredicates} predicates (MAX_FILTER_PREDICATES)`, 'MAX_FILTER_PREDICATES');
      }
    }
  };
  const root = schema.getType(`${typeName}Filter`);
  if (!(root instanceof GraphQLInputObjectType)) throw new Error(`the schema has no input type ${typeName}Filter`);
  const entity = entityOfFilter.get(root.name);
  if (entity) requireReadable(readable, entity, `filter ${typeName} records`);
  walk(root, filter, 0, '');
}

/** A filter object (coerced input objects are plain objects; lists arrive as arrays). */
const isFilter = (v: unknown): v is FilterInput => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `field` of each sort key of an orderBy value (one key or a list of them). */
const sortFields = (v: unknown): string[] => [v].flat().flatMap((o) => (isFilter(o) && typeof o.field === 'string' ? [o.field] : []));

const countComparisons = (v: unknown): number => (v && typeof v === 'object' && !Array.isArray(v)
  ? Object.values(v).reduce<number>((n, x) => n + (x && typeof x === 'object' && !Array.isArray(x) ? countComparisons(x) : x === undefined || x === null ? 0 : 1), 0)
  : 1);

/** A sort's fields; with `entity` and the caller's scopes, also that the caller may read the type sorted. */
export function checkSort(fields: readonly string[], on?: { entity: EntityName; scopes: ReadonlySet<string> }): void {
  if (on && fields.length) requireReadable(readableWith(on.scopes), on.entity, `sort ${graphName(on.entity)} records`);
  for (const f of fields) if (SECRET_FIELDS.has(f)) throw secret('sort', f);
}

/** Every `filter` and `orderBy` argument of a document, with its variables, checked as above. */
export function checkDocumentFilters(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, scopes: ReadonlySet<string>, limits: FilterLimits): void {
  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    Argument(node) {
      const arg = typeInfo.getArgument();
      if (!arg) return;
      const named = getNamedType(arg.type);
      if (named instanceof GraphQLInputObjectType && entityOfFilter.has(named.name)) {
        const value = valueFromAST(node.value, arg.type, variables);
        if (isFilter(value)) checkFilter(schema, named.name.replace(/Filter$/, ''), value, scopes, limits);
      } else if (named instanceof GraphQLInputObjectType && named.name.endsWith('Order')) {
        const value = valueFromAST(node.value, arg.type, variables);
        const entity = entityOfOrder.get(named.name);
        if (value) checkSort(sortFields(value), entity && { entity, scopes });
      }
    },
  }));
}

/** The yoga plugin: filters and sorts are checked after validation, before execution starts. */
export function filterGuardPlugin(): Plugin<Context> {
  return {
    onExecute({ args }) {
      const ctx = args.contextValue;
      checkDocumentFilters(args.schema, args.document, args.variableValues ?? undefined, ctx.scopes, ctx.limits.filter ?? DEFAULT_FILTER_LIMITS);
    },
  };
}
