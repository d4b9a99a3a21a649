/**
 * Limiter of failed client authentications (brute-force brake for client secrets), used by the token
 * endpoint and by OAuth 1.0a signature checks. Its counts live in PostgreSQL (`auth_failures`), so
 * failures spread over several instances behind a load balancer add up.
 *
 * Sliding window per key (callers use `credentialLimiterKeys`: one per remote address and one per
 * client id at that address — never one per client id alone, which would let anyone who knows a
 * client id lock the client out):
 * once a key has `maxFailures` failures within the last `windowSeconds`, `check` reports it blocked
 * until the oldest of those failures leaves the window. Blocked attempts are not recorded, so
 * hammering a blocked key does not extend the block. A row holds at most the last `maxFailures`
 * failure times of its key, so a row never grows.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql } from '../db/sql.js';

export interface FailureLimiterOptions {
  /** Failures tolerated within the window before blocking (default 5). */
  maxFailures?: number;
  /** Window length in seconds (default 60). */
  windowSeconds?: number;
  /** Milliseconds clock, injectable for tests (default Date.now). */
  now?: () => number;
  /** Beyond this many tracked keys, stale ones are swept and then the least recently failed dropped (default 10 000). */
  maxKeys?: number;
}

/**
 * The keys a credential check counts against: the remote address, and the (client id, address) pair.
 * A correct secret from an address with no failures is therefore never refused. `clientAtAddress` is
 * what a success clears (an address's count keeps going: it may be shared, or an attacker's).
 */
export function credentialLimiterKeys(clientId: string | undefined, address: string): { all: string[]; clientAtAddress: string[] } {
  const clientAtAddress = clientId !== undefined ? [`client:${clientId}@${address}`] : [];
  return { all: [`addr:${address}`, ...clientAtAddress], clientAtAddress };
}

export class FailureLimiter {
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly em: EntityManager, opts: FailureLimiterOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 5;
    this.windowMs = (opts.windowSeconds ?? 60) * 1000;
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  /** `null` when every key may try again; otherwise the longest wait among blocked keys. */
  async check(keys: readonly string[]): Promise<{ retryAfterSeconds: number } | null> {
    if (keys.length === 0) return null;
    const rows = await run(this.em.fork(), sql`select failures_ms from auth_failures where key = any(${keys}::text[])`);
    const now = this.now();
    let waitMs = 0;
    for (const row of rows) {
      const list = (row.failures_ms as (string | number)[]).map(Number);
      if (list.length < this.maxFailures) continue;
      const until = list[list.length - this.maxFailures] + this.windowMs; // the oldest of the last maxFailures
      if (until > now) waitMs = Math.max(waitMs, until - now);
    }
    return waitMs > 0 ? { retryAfterSeconds: Math.ceil(waitMs / 1000) } : null;
  }

  async recordFailure(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const now = this.now();
    const em = this.em.fork();
    // One upsert per call: concurrent failures of one key on several instances serialise on its row.
    const [{ tracked }] = await run(em, sql`with upserted as (
         insert into auth_failures (key, failures_ms, touched_at)
         select k, array[${now}::bigint], clock_timestamp() from unnest(${[...new Set(keys)]}::text[]) as k
         on conflict (key) do update set
           failures_ms = (auth_failures.failures_ms || excluded.failures_ms)[greatest(1, cardinality(auth_failures.failures_ms) + 2 - ${this.maxFailures}::int):],
           touched_at = clock_timestamp()
         returning 1)
       select (select count(*) from auth_failures) + (select count(*) from upserted) as tracked`);
    // `tracked` over-counts updated keys (the snapshot already holds them): it only decides whether to sweep.
    if (Number(tracked) > this.maxKeys) await this.evict(em, now);
  }

  /**
   * Forgets the failures of exactly these keys and no others. The token route passes only the
   * (client id, address) key on success: a client that proved its secret cleared its own typos, but the
   * remote-address key (shared behind NAT, and by an attacker holding one valid credential)
   * keeps counting.
   */
  async recordSuccess(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await run(this.em.fork(), sql`delete from auth_failures where key = any(${keys}::text[])`);
  }

  /** Bounds the table: keys whose last failure left the window go first, then the least recently failed. */
  private async evict(em: EntityManager, now: number): Promise<void> {
    await run(em, sql`delete from auth_failures where failures_ms[cardinality(failures_ms)] + ${this.windowMs}::bigint <= ${now}::bigint`);
    await run(em, sql`delete from auth_failures where key in (select key from auth_failures order by touched_at desc, key offset ${this.maxKeys}::int)`);
  }
}
