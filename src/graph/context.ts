import type { EntityManager } from '@mikro-orm/postgresql';
import type { Exec } from '../data/queries.js';
import { runSql } from '../db/sql.js';
import { Loaders } from './loaders.js';

/** What every resolver sees: the request's database handle, its scopes and its loaders. */
export interface Context {
  readonly em: EntityManager;
  readonly exec: Exec;
  readonly scopes: ReadonlySet<string>;
  readonly clientId?: string;
  /** Per-request DataLoaders by record and by relation page; writes invalidate through it. */
  readonly loaders: Loaders;
  /** SQL statements run for this request (tests and benchmarks read it). */
  readonly stats: { statements: number };
  readonly limits: Limits;
}

export interface Limits { maxLimit: number; maxDepth: number; maxComplexity: number }

export interface ContextOptions {
  em: EntityManager;
  scopes: ReadonlySet<string>;
  clientId?: string;
  limits: Limits;
}

export function createContext(opts: ContextOptions): Context {
  const em = opts.em.fork();
  const stats = { statements: 0 };
  const exec: Exec = async (sql, values) => {
    stats.statements++;
    return runSql(em, sql, values);
  };
  return { em, exec, scopes: opts.scopes, clientId: opts.clientId, loaders: new Loaders(exec), stats, limits: opts.limits };
}
