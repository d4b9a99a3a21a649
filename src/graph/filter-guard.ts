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
 * Checks a filter before any SQL is built from it: its size (predicates, nesting), that every
 * relation it reaches into is one the caller may read, and that it never compares a secret. A
 * relation filter's scope is that of its target type (src/graph/scopes.ts), read from the schema's
 * input types, so a new relation filter is covered without being listed here. Sorts are checked
 * for secrets too; a sort only ever names fields of the type being read.
 */
export const DEFAULT_FILTER_LIMITS: FilterLimits = { maxPredicates: 100, maxDepth: 10 };

/** Fields no filter or sort may name: comparing them is an oracle on their value. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['password']);

const entityOfFilter = new Map<string, EntityName>(
  entityDefs.map((d) => [`${d.name === 'UserRole' ? 'Role' : d.name}Filter`, d.name]),
);

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
        if (!(readScopes[target] ?? []).some((s) => readable.has(s))) {
          throw forbidden(`the access token lacks a scope to read ${inner.name.replace(/Filter$/, '')}, so it cannot filter on ${at}`);
        }
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
  walk(root, filter, 0, '');
}

/** A filter object (coerced input objects are plain objects; lists arrive as arrays). */
const isFilter = (v: unknown): v is FilterInput => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `field` of each sort key of an orderBy value (one key or a list of them). */
const sortFields = (v: unknown): string[] => [v].flat().flatMap((o) => (isFilter(o) && typeof o.field === 'string' ? [o.field] : []));

const countComparisons = (v: unknown): number => (v && typeof v === 'object' && !Array.isArray(v)
  ? Object.values(v).reduce<number>((n, x) => n + (x && typeof x === 'object' && !Array.isArray(x) ? countComparisons(x) : x === undefined || x === null ? 0 : 1), 0)
  : 1);

export function checkSort(fields: readonly string[]): void {
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
        if (value) checkSort(sortFields(value));
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
