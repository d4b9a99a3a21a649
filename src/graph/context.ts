import type { EntityManager } from '@mikro-orm/postgresql';
import type { Exec, Reader } from '../data/queries.js';
import { wholeDistrict, type ReadPolicy } from '../data/read-policy.js';
import { run } from '../db/sql.js';
import type { TableStats } from './cost.js';
import type { FilterLimits } from './filter-guard.js';
import { Loaders } from './loaders.js';
import { isStatementTimeout, timeoutError } from './timeout.js';

/** What every resolver sees: the request's database handle, its scopes and its loaders. */
export interface Context extends Reader {
  readonly em: EntityManager;
  readonly exec: Exec;
  /** What this caller may read; the data layer adds it to every statement that reads an entity's table. */
  readonly policy: ReadPolicy;
  readonly scopes: ReadonlySet<string>;
  readonly clientId?: string;
  /** Per-request DataLoaders by record and by relation page; writes invalidate through it. */
  readonly loaders: Loaders;
  /** SQL statements run for this request (tests and benchmarks read it). */
  readonly stats: { statements: number };
  readonly limits: Limits;
  /** Table statistics that cap estimated page sizes (src/graph/cost.ts); page sizes count without them. */
  readonly costStats?: TableStats;
}

export interface Limits {
  maxLimit: number; maxDepth: number; maxComplexity: number;
  /** Size of filters (src/graph/filter-guard.ts); its defaults when absent. */
  filter?: FilterLimits;
  /** The connections' statement_timeout, named in the TIMEOUT error. */
  statementTimeoutMs?: number;
}

export interface ContextOptions {
  em: EntityManager;
  scopes: ReadonlySet<string>;
  clientId?: string;
  limits: Limits;
  costStats?: TableStats;
  /** The caller's read policy; the whole district when absent. */
  policy?: ReadPolicy;
}

export function createContext(opts: ContextOptions): Context {
  const em = opts.em.fork();
  const stats = { statements: 0 };
  const exec: Exec = async (statement) => {
    stats.statements++;
    try {
      return await run(em, statement);
    } catch (err) {
      throw isStatementTimeout(err) ? timeoutError(opts.limits.statementTimeoutMs) : err;
    }
  };
  const reader: Reader = { exec, policy: opts.policy ?? wholeDistrict };
  return { em, ...reader, scopes: opts.scopes, clientId: opts.clientId, loaders: new Loaders(reader), stats, limits: opts.limits, costStats: opts.costStats };
}
