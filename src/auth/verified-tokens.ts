import type { SigningKeys } from './signing-keys.js';
import { verifyAccessToken, type VerifiedToken } from './tokens.js';

const MAX_ENTRIES = 10_000;

/**
 * Bearer tokens already verified, by their exact text. A vendor reuses one token for every request
 * until it expires, and checking its signature (Web Crypto HMAC) again each time cost more than the rest
 * of a small read. An entry is used only while its token is unexpired and its signing key is still
 * accepted; a revoked client is refused after the cache by the token generations, as before. A token
 * that fails verification is never kept.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedToken>();

  constructor(private readonly keys: SigningKeys, private readonly now: () => number = Date.now, private readonly max = MAX_ENTRIES) {}

  async verify(token: string): Promise<VerifiedToken> {
    const hit = this.entries.get(token);
    if (hit) {
      if (hit.expiresAt > this.now() && this.keys.byKid(hit.kid)) return hit;
      this.entries.delete(token);
    }
    const verified = await verifyAccessToken(this.keys, token, { now: new Date(this.now()) });
    // Oldest first out: a Map iterates in insertion order.
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, verified);
    return verified;
  }
}
