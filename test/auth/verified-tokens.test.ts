import { describe, expect, it } from 'vitest';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys.js';
import { AuthError, issueAccessToken } from '../../src/auth/tokens.js';
import { VerifiedTokens } from '../../src/auth/verified-tokens.js';

const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'v'.repeat(48) } });
const other = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'w'.repeat(48) } });
const token = async (ttlSeconds = 60, signer: SigningKeys = keys) =>
  (await issueAccessToken(signer, { clientId: 'c1', scopes: ['s1'], ttlSeconds })).access_token;

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return (err as AuthError).reason;
  }
  throw new Error('expected an AuthError');
}

/** Keys whose accepted set the test controls: a key can be withdrawn, as a rotation's retired key is after its retention. */
function withdrawable(base: SigningKeys) {
  let accepted = true;
  const view: SigningKeys = { current: base.current, byKid: (kid) => (accepted ? base.byKid(kid) : undefined) };
  return { view, withdraw: () => { accepted = false; } };
}

describe('VerifiedTokens', () => {
  it('answers a token it verified without verifying it again, and never a different token', async () => {
    let now = Date.now();
    const cache = new VerifiedTokens(keys, () => now);
    const t = await token();
    const first = await cache.verify(t);
    expect(first).toMatchObject({ clientId: 'c1', scopes: new Set(['s1']) });
    expect(await cache.verify(t)).toBe(first);
    // One character changed in the signature: not the cached entry, and refused.
    const tampered = t.slice(0, -2) + (t.at(-2) === 'A' ? 'B' : 'A') + t.at(-1);
    expect(await reasonOf(cache.verify(tampered))).toBe('bad_signature');
    // A token of another key set is refused; refused tokens are not kept.
    const foreign = await token(60, other);
    expect(await reasonOf(cache.verify(foreign))).toBe('unknown_key');
    expect(await reasonOf(cache.verify(foreign))).toBe('unknown_key');
    now += 1;
    expect(await cache.verify(t)).toBe(first);
  });

  it('refuses a cached token once it expires', async () => {
    let now = Date.now();
    const cache = new VerifiedTokens(keys, () => now);
    const t = await token(60);
    await cache.verify(t);
    now += 59_000;
    expect((await cache.verify(t)).clientId).toBe('c1');
    now += 2_000;
    expect(await reasonOf(cache.verify(t))).toBe('expired');
  });

  it('refuses a cached token once its signing key is no longer accepted', async () => {
    const { view, withdraw } = withdrawable(keys);
    const cache = new VerifiedTokens(view);
    const t = await token();
    await cache.verify(t);
    withdraw();
    expect(await reasonOf(cache.verify(t))).toBe('unknown_key');
  });

  it('holds at most its bound, dropping the oldest first', async () => {
    const cache = new VerifiedTokens(keys, Date.now, 2);
    const [a, b, c] = [await token(), await token(), await token()];
    const [first, , third] = [await cache.verify(a), await cache.verify(b), await cache.verify(c)];
    // a was dropped for c: verified anew (a new object); that drops b, and c is still the cached entry.
    const again = await cache.verify(a);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(await cache.verify(c)).toBe(third);
  });
});
