/**
 * Client-secret hashing (scrypt) and credential generation.
 *
 * Stored format: `scrypt$N$r$p$saltB64$hashB64` — self-describing, so cost parameters can be
 * raised later without invalidating existing hashes (verification reads them from the string).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// N=2^14, r=8, p=1: the scrypt paper's interactive-login setting; ~16 MiB and tens of ms per hash.
const N = 16384;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
// Refuse absurd parameters from a corrupted/hostile stored value rather than allocating gigabytes.
const MAX_N = 1 << 20;

function scryptAsync(secret: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

// Node rejects when 128*N*r exceeds maxmem (default 32 MiB); give it room proportional to the cost.
const options = (n: number, r: number, p: number): ScryptOptions => ({ N: n, r, p, maxmem: 256 * n * r + (1 << 20) });

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(secret, salt, HASH_BYTES, options(N, R, P));
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Constant-time check of `secret` against a `hashSecret` output. Malformed stored values → false. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map((x) => (/^\d{1,8}$/.test(x) ? Number(x) : NaN));
  if (!n || !r || !p || n > MAX_N || (n & (n - 1)) !== 0 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (salt.length === 0 || expected.length < 16) return false;
  try {
    const actual = await scryptAsync(secret, salt, expected.length, options(n, r, p));
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/**
 * Public identifier; 96 random bits in hex. Hex, not base64url: an id starting with `-` would read as
 * an option on the command line (`clients remove -x…`), and hex is safe in URLs and Basic auth.
 */
export function generateClientId(): string {
  return randomBytes(12).toString('hex');
}

/** 256 random bits, base64url (43 characters). Shown once to the operator, then only its hash is kept. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}
