import { RestError } from './errors.js';
import { FilterSyntaxError, parseFilter, type FilterNode } from './filter-parser.js';

export interface CollectionParams {
  limit: number;
  offset: number;
  sort?: string;
  orderBy: 'asc' | 'desc';
  filter?: FilterNode;
  fields?: string[];
}

export interface CollectionParamsOptions {
  /** Provider cap on `limit`; the OAS sets none (rest.md §4). */
  maxLimit: number;
  /** Page size when `limit` is absent; 100 per the OAS, lowered to maxLimit if that is smaller. */
  defaultLimit?: number;
}

type QueryValue = string | string[] | undefined;

const OAS_DEFAULT_LIMIT = 100;
// offset is int32 in the OAS (limit is bounded by maxLimit instead).
const INT32_MAX = 2 ** 31 - 1;

/** Echoes client input in a message without letting a huge parameter bloat the response. */
function quote(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

function invalidData(description: string): RestError {
  return new RestError(400, 'invaliddata', description);
}

/** A parameter that may appear at most once; own properties only, so `constructor` etc. never leak in. */
function single(query: Record<string, QueryValue>, name: string): string | undefined {
  const raw = Object.hasOwn(query, name) ? query[name] : undefined;
  if (!Array.isArray(raw)) return raw;
  if (raw.length > 1) throw invalidData(`query parameter ${name} was given ${raw.length} times; give it at most once`);
  return raw[0];
}

function parseWholeNumber(name: string, raw: string, minimum: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= minimum)) throw invalidData(`${name} must be a whole number of at least ${minimum}, got ${quote(raw)}`);
  return value;
}

function parseLimit(raw: string | undefined, opts: CollectionParamsOptions): number {
  if (raw === undefined) return Math.min(opts.defaultLimit ?? OAS_DEFAULT_LIMIT, opts.maxLimit);
  const limit = parseWholeNumber('limit', raw, 1);
  // Refuse rather than silently return a shorter page than asked for.
  if (limit > opts.maxLimit) throw invalidData(`limit ${limit} exceeds the maximum of ${opts.maxLimit}`);
  return limit;
}

function parseOffset(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const offset = parseWholeNumber('offset', raw, 0);
  if (offset > INT32_MAX) throw invalidData(`offset ${offset} exceeds the maximum of ${INT32_MAX}`);
  return offset;
}

function parseOrderBy(raw: string | undefined): 'asc' | 'desc' {
  if (raw === undefined || raw === 'asc') return 'asc';
  if (raw === 'desc') return 'desc';
  throw invalidData(`orderBy must be "asc" or "desc", got ${quote(raw)}`);
}

function parseSort(raw: string | undefined): string | undefined {
  if (raw === '') throw invalidData('sort must name a field');
  return raw;
}

function parseFilterParam(raw: string | undefined): FilterNode | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseFilter(raw);
  } catch (error) {
    if (error instanceof FilterSyntaxError) throw new RestError(400, 'invalid_filter_field', `filter: ${error.message}`);
    throw error;
  }
}

/** `fields=a,b`, `fields=a&fields=b` or both; names are trimmed and empty entries dropped. */
export function parseFieldsParam(raw: QueryValue): string[] | undefined {
  const values = typeof raw === 'string' ? [raw] : raw;
  if (values === undefined || values.length === 0) return undefined;
  const names = values
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new RestError(400, 'invalid_selection_field', 'fields must list at least one field name');
  return names;
}

/**
 * Reads limit, offset, sort, orderBy, filter and fields (rest.md §4); other parameters are ignored.
 * Whether sort/filter/fields name real fields of the entity is left to the caller.
 */
export function parseCollectionParams(
  query: Record<string, QueryValue>,
  opts: CollectionParamsOptions,
): CollectionParams {
  return {
    limit: parseLimit(single(query, 'limit'), opts),
    offset: parseOffset(single(query, 'offset')),
    sort: parseSort(single(query, 'sort')),
    orderBy: parseOrderBy(single(query, 'orderBy')),
    filter: parseFilterParam(single(query, 'filter')),
    fields: parseFieldsParam(Object.hasOwn(query, 'fields') ? query.fields : undefined),
  };
}
