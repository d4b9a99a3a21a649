import { GraphQLEnumType, GraphQLInputObjectType, getNamedType, type GraphQLSchema } from 'graphql';
import { checkFilterFields } from '../auth/sharing/denied-guard.js';
import type { DeniedFields } from '../auth/sharing/fields.js';
import type { FilterInput } from '../data/filters.js';
import { checkFilter, DEFAULT_FILTER_LIMITS, SECRET_FIELDS, type FilterLimits } from '../graph/filter-guard.js';
import { ISO_DATETIME } from '../graph/scalars.js';
import { CodedError } from '../shared/errors.js';
import { RestError, restErrorFromGraph } from './errors.js';
import type { FilterNode, FilterOp } from './filter-parser.js';

/**
 * Turns a parsed OneRoster filter into the graph's `<Type>Filter` input, walking the input types of
 * the schema itself: a field is filterable over REST exactly when the graph can filter on it.
 *
 *   familyName~'smi'                 → { familyName: { contains: "smi" } }
 *   class.sourcedId='c1'             → { class: { sourcedId: { eq: "c1" } } }
 *   roles.org.sourcedId='s1'         → { roles: { org: { sourcedId: { eq: "s1" } } } }  (some role matches)
 *   a='1' AND b='2' OR c='3'         → { OR: [{ AND: [a, b] }, c] }
 */

const OPS: Record<FilterOp, string> = { '=': 'eq', '!=': 'ne', '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte', '~': 'contains' };

/** v1.1 names of user properties the 1.2 graph keeps inside `roles`. */
const V1P1_ALIASES: Record<string, string[]> = { role: ['roles', 'role'], orgs: ['roles', 'org'] };

const invalid = (message: string) => new RestError(400, 'invalid_filter_field', message);

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string): boolean {
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/** The comparison value in the type the graph expects, or a 400 naming the field. */
function comparisonValue(comparison: string, field: string, op: FilterOp, raw: string): unknown {
  const textual = comparison === 'StringComparison' || comparison === 'StringListComparison';
  if (op === '~' && !textual) throw invalid(`filter: ~ (contains) applies to text fields only, not to ${field}`);
  switch (comparison) {
    case 'DateTimeComparison': {
      // A plain date is read as midnight UTC, the common delta-sync spelling.
      const value = DATE.test(raw) ? `${raw}T00:00:00Z` : raw;
      if (!ISO_DATETIME.test(value) || Number.isNaN(Date.parse(value)) || !isRealDate(value.slice(0, 10))) {
        throw invalid(`filter: ${field} takes an ISO 8601 date-time such as '2025-09-01T00:00:00Z', got '${raw}'`);
      }
      return new Date(value).toISOString();
    }
    case 'DateComparison':
      if (!DATE.test(raw) || !isRealDate(raw)) throw invalid(`filter: ${field} takes a date YYYY-MM-DD, got '${raw}'`);
      return raw;
    case 'FloatComparison': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n)) throw invalid(`filter: ${field} takes a number, got '${raw}'`);
      return n;
    }
    case 'BooleanComparison':
      if (op !== '=' && op !== '!=') throw invalid(`filter: ${field} is 'true' or 'false' and takes = or != only`);
      if (raw !== 'true' && raw !== 'false') throw invalid(`filter: ${field} takes 'true' or 'false', got '${raw}'`);
      return raw === 'true';
    default:
      return raw;
  }
}

function predicate(schema: GraphQLSchema, typeName: string, path: string[], op: FilterOp, raw: string): FilterInput {
  const dotted = path.join('.');
  let input = schema.getType(`${typeName}Filter`) as GraphQLInputObjectType;
  const keys: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const name = path[i]!;
    const field = ['AND', 'OR', 'NOT'].includes(name) ? undefined : input.getFields()[name];
    if (!field) throw invalid(`filter: unknown or non-filterable field '${dotted}'`);
    keys.push(name);
    const type = getNamedType(field.type);
    if (type.name.endsWith('Comparison')) {
      if (i !== path.length - 1) throw invalid(`filter: '${path.slice(0, i + 1).join('.')}' has no property '${path[i + 1]}'`);
      const value = comparisonValue(type.name, dotted, op, raw);
      return keys.reduceRight<FilterInput>((inner, key) => ({ [key]: inner }), { [OPS[op]]: value } as FilterInput);
    }
    if (i === path.length - 1) {
      throw invalid(`filter: '${dotted}' is a reference; filter on one of its properties, e.g. ${dotted}.sourcedId`);
    }
    input = type as GraphQLInputObjectType;
  }
  throw invalid(`filter: unknown field '${dotted}'`);
}

/** Who asks, for the filter guard: the token's own scopes (not the graph's, with which REST documents run), and its denied fields. */
export interface FilterCaller { scopes: ReadonlySet<string>; limits?: FilterLimits; denied?: DeniedFields }

const countPredicates = (node: FilterNode): number =>
  (node.kind === 'predicate' ? 1 : node.operands.reduce((n, o) => n + countPredicates(o), 0));

/**
 * The graph's filter input for a parsed filter. With a caller, the filter is also checked as the
 * graph checks its own (src/graph/filter-guard.ts): size, scopes of the relations it reaches, secrets.
 */
export function filterInput(schema: GraphQLSchema, typeName: string, node: FilterNode, v1p1 = false, caller?: FilterCaller): FilterInput {
  if (!caller) return toInput(schema, typeName, node, v1p1);
  const limits = caller.limits ?? DEFAULT_FILTER_LIMITS;
  const count = countPredicates(node);
  if (count > limits.maxPredicates) {
    throw invalid(`filter: ${count} predicates exceed the limit of ${limits.maxPredicates} (MAX_FILTER_PREDICATES)`);
  }
  const input = toInput(schema, typeName, node, v1p1);
  try {
    checkFilter(schema, typeName, input, caller.scopes, limits);
    if (caller.denied) checkFilterFields(schema, typeName, input, caller.denied);
  } catch (err) {
    throw err instanceof CodedError ? restErrorFromGraph(err, 400, `filter: ${err.message}`) : err;
  }
  return input;
}

function toInput(schema: GraphQLSchema, typeName: string, node: FilterNode, v1p1: boolean): FilterInput {
  if (node.kind !== 'predicate') {
    return { [node.kind === 'and' ? 'AND' : 'OR']: node.operands.map((n) => toInput(schema, typeName, n, v1p1)) };
  }
  const alias = v1p1 && typeName === 'User' ? V1P1_ALIASES[node.path[0]!] : undefined;
  const path = alias ? [...alias, ...node.path.slice(1)] : node.path;
  return predicate(schema, typeName, path, node.op, node.value);
}

/** The fields a `<Type>` collection can be sorted on (its `<Type>OrderField` enum), secrets excepted. */
export function sortableFields(schema: GraphQLSchema, typeName: string): Set<string> {
  const type = schema.getType(`${typeName}OrderField`) as GraphQLEnumType | undefined;
  return new Set(type?.getValues().map((v) => v.name).filter((f) => !SECRET_FIELDS.has(f)) ?? []);
}
