/**
 * In-memory limiter of failed client authentications (brute-force brake for client secrets), used by
 * the token endpoint and by OAuth 1.0a signature checks.
 *
 * Sliding window per key (callers use `credentialLimiterKeys`: one per remote address and one per
 * client id at that address — never one per client id alone, which would let anyone who knows a
 * client id lock the client out):
 * once a key has `maxFailures` failures within the last `windowSeconds`, `check` reports it blocked
 * until the oldest of those failures leaves the window. Blocked attempts are not recorded, so
 * hammering a blocked key does not extend the block. Per-process only: with several instances each
 * one counts separately, which is acceptable for a brake (not a quota).
 */

export interface FailureLimiterOptions {
  /** Failures tolerated within the window before blocking (default 5). */
  maxFailures?: number;
  /** Window length in seconds (default 60). */
  windowSeconds?: number;
  /** Milliseconds clock, injectable for tests (default Date.now). */
  now?: () => number;
  /** Beyond this many tracked keys, stale ones are swept and then the oldest dropped (default 10 000). */
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
  /** Per key, timestamps (ms) of the most recent failures, oldest first, at most maxFailures long. */
  private readonly failures = new Map<string, number[]>();

  constructor(opts: FailureLimiterOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 5;
    this.windowMs = (opts.windowSeconds ?? 60) * 1000;
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  /** `null` when every key may try again; otherwise the longest wait among blocked keys. */
  check(keys: readonly string[]): { retryAfterSeconds: number } | null {
    const now = this.now();
    let waitMs = 0;
    for (const key of keys) {
      const list = this.failures.get(key);
      if (!list || list.length < this.maxFailures) continue;
      const until = list[0] + this.windowMs; // list holds exactly the last maxFailures failures
      if (until > now) waitMs = Math.max(waitMs, until - now);
    }
    return waitMs > 0 ? { retryAfterSeconds: Math.ceil(waitMs / 1000) } : null;
  }

  recordFailure(keys: readonly string[]): void {
    const now = this.now();
    for (const key of keys) {
      const list = this.failures.get(key) ?? [];
      list.push(now);
      if (list.length > this.maxFailures) list.shift();
      this.failures.delete(key); // re-insert so Map order tracks recency for eviction
      this.failures.set(key, list);
    }
    if (this.failures.size > this.maxKeys) this.evict(now);
  }

  /**
   * Forgets the failures of exactly these keys and no others. The token route passes only the
   * (client id, address) key on success: a client that proved its secret cleared its own typos, but the
   * remote-address key (shared behind NAT, and by an attacker holding one valid credential)
   * keeps counting.
   */
  recordSuccess(keys: readonly string[]): void {
    for (const key of keys) this.failures.delete(key);
  }

  private evict(now: number): void {
    for (const [key, list] of this.failures) {
      if (list[list.length - 1] + this.windowMs <= now) this.failures.delete(key);
    }
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxKeys) break;
      this.failures.delete(key);
    }
  }
}
