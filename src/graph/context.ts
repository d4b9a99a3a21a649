import type { EntityManager } from '@mikro-orm/postgresql';
import { WHOLE_DISTRICT, type Sharing } from '../auth/sharing/rules.js';
import type { Exec, Reader } from '../data/queries.js';
import type { ReadPolicy } from '../data/read-policy.js';
import type { GraphQLSchema, OperationTypeNode } from 'graphql';
import { readFromReplica } from '../db/replica-reads.js';
import type { ReplicaRouting } from '../db/replica-routing.js';
import { run } from '../db/sql.js';
import type { TableStats } from './table-stats.js';
import { Loaders } from './loaders.js';
import { unavailableOr } from '../ops/db-unavailable.js';
import type { RequestStats } from '../ops/request-stats.js';
import { isStatementTimeout, timeoutError } from './timeout.js';

/** What every resolver sees: the request's database handle, its scopes and its loaders. */
export interface Context extends Reader {
  readonly em: EntityManager;
  readonly exec: Exec;
  /** What this caller may read; the data layer adds it to every statement that reads an entity's table. */
  readonly policy: ReadPolicy;
  readonly scopes: ReadonlySet<string>;
  readonly clientId?: string;
  /** The client's sharing rules: its read policy and denied fields (src/auth/sharing/). */
  readonly sharing: Sharing;
  /** Per-request DataLoaders by record and by relation page; writes invalidate through it. */
  readonly loaders: Loaders;
  /** Statements this context ran and the rows they returned (the request's, for the access log and /metrics; tests read it). */
  readonly stats: RequestStats;
  readonly limits: Limits;
  /** Table statistics that cap estimated page sizes (src/graph/cost.ts); page sizes count without them. */
  readonly costStats?: TableStats;
  /**
   * Called by whatever runs the request's GraphQL operation before it runs: a query may read from a
   * replica, a mutation marks the client as a recent writer (src/db/replica-reads.ts).
   */
  readonly operationStarting: (kind: OperationTypeNode | 'query' | 'mutation' | 'subscription') => void;
  /**
   * The schema this context's operations run on, for a write that must read a record back as REST
   * serves it (the grade outbox, src/sync/outbox-body.ts). The write service cannot import the schema:
   * the schema imports it.
   */
  readonly schema?: GraphQLSchema;
}

/** Size of filters, checked by src/graph/filter-guard.ts before any SQL is built. */
export interface FilterLimits { maxPredicates: number; maxDepth: number }

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
  sharing?: Sharing;
  limits: Limits;
  costStats?: TableStats;
  /** The caller's read policy; its sharing rules' policy (the whole district) when absent. */
  policy?: ReadPolicy;
  /** Read replicas and read-your-writes; every statement on the primary when absent. */
  replicas?: ReplicaRouting;
  /** The request's counters, which this context's statements add to. */
  stats?: RequestStats;
  schema?: GraphQLSchema;
  /** Every statement on `em` itself, a transaction's EntityManager: a fork would run outside the transaction. */
  inTransaction?: boolean;
}

export function createContext(opts: ContextOptions): Context {
  const em = opts.inTransaction ? opts.em : opts.em.fork();
  const stats = opts.stats ?? { statements: 0, rows: 0 };
  const exec: Exec = async (statement) => {
    stats.statements++;
    try {
      const rows = await run(em, statement);
      stats.rows += rows.length;
      return rows;
    } catch (err) {
      throw isStatementTimeout(err) ? timeoutError(opts.limits.statementTimeoutMs) : unavailableOr(err);
    }
  };
  const sharing = opts.sharing ?? WHOLE_DISTRICT;
  // The client's sharing rules decide what it reads, unless the caller names a policy of its own.
  const reader: Reader = { exec, policy: opts.policy ?? sharing.policy };
  const operationStarting = (kind: string) => {
    if (kind === 'mutation') void opts.replicas?.noteWrite(opts.clientId); // sent long before the mutation answers
    else if (kind === 'query' && opts.replicas?.mayRead(opts.clientId)) readFromReplica(em);
  };
  return { em, ...reader, operationStarting, scopes: opts.scopes, clientId: opts.clientId, sharing, loaders: new Loaders(reader), stats, limits: opts.limits, costStats: opts.costStats, schema: opts.schema };
}
