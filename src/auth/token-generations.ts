/**
 * Revocation of issued tokens: every token carries its client's generation (`gen`), and a token is
 * refused once the client is gone or its generation moved on (`clients rotate-secret`, `clients remove`).
 *
 * The current generation is read from the database and cached per client for `cacheMs` (default 5 s):
 * that is the bound on how long a revoked token can still be used, on any process sharing the database.
 * A token newer than the cached generation proves the entry stale (generations only grow, and tokens are
 * signed): it is read again at once, so that the token a client fetches right after a revocation works.
 */
export type GenerationLookup = (clientId: string) => Promise<number | null>;

export const GENERATION_CACHE_MS = 5_000;
const MAX_CACHED_CLIENTS = 10_000;

export class TokenGenerations {
  private readonly cache = new Map<string, { generation: number | null; until: number }>();

  constructor(
    private readonly lookup: GenerationLookup,
    private readonly cacheMs = GENERATION_CACHE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a token of `clientId` issued at `generation` is still valid. */
  async isCurrent(clientId: string, generation: number): Promise<boolean> {
    const now = this.now();
    let entry = this.cache.get(clientId);
    if (!entry || entry.until <= now || (entry.generation !== null && generation > entry.generation)) {
      entry = { generation: await this.lookup(clientId), until: now + this.cacheMs };
      this.cache.delete(clientId);
      if (this.cache.size >= MAX_CACHED_CLIENTS) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(clientId, entry);
    }
    return entry.generation === generation;
  }
}
