import { execute, parse, type ExecutionResult } from 'graphql';
import { SCOPES } from '../../src/auth/scopes.js';
import type { ReadPolicy } from '../../src/data/read-policy.js';
import type { Row } from '../../src/db/bulk.js';
import type { Database } from '../../src/db/orm.js';
import { createContext, type Limits } from '../../src/graph/context.js';
import { schema } from '../../src/graph/schema.js';
import type { EntityName } from '../../src/model/dsl.js';
import { generateDistrict, type DistrictOptions } from '../../src/seed/district.js';

export const ALL_SCOPES: ReadonlySet<string> = new Set(Object.values(SCOPES));
export const WIDE_LIMITS: Limits = { maxLimit: 10_000, maxDepth: 30, maxComplexity: Number.MAX_SAFE_INTEGER };

export interface Run<T> { data: T; errors?: ExecutionResult['errors']; statements: number }

/** Executes a query in process, with a fresh per-request context as yoga and REST create it. */
export async function run<T = any>(db: Database, query: string, opts: {
  variables?: Record<string, unknown>; scopes?: ReadonlySet<string>; limits?: Limits; policy?: ReadPolicy;
} = {}): Promise<Run<T>> {
  const ctx = createContext({ em: db.orm.em, scopes: opts.scopes ?? ALL_SCOPES, limits: opts.limits ?? WIDE_LIMITS, policy: opts.policy });
  const result = await execute({ schema, document: parse(query), contextValue: ctx, variableValues: opts.variables });
  return { data: result.data as T, errors: result.errors, statements: ctx.stats.statements };
}

/** Like `run`, but fails on any GraphQL error. */
export async function ok<T = any>(db: Database, query: string, variables?: Record<string, unknown>): Promise<Run<T>> {
  const r = await run<T>(db, query, { variables });
  if (r.errors?.length) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r;
}

/** The generator's rows per entity: the expected side of the tests, never read back from the database. */
export function fixtureRows(opts: DistrictOptions): Map<EntityName, Row[]> {
  const out = new Map<EntityName, Row[]>();
  for (const batch of generateDistrict(opts)) out.set(batch.entity, [...(out.get(batch.entity) ?? []), ...batch.rows]);
  return out;
}
