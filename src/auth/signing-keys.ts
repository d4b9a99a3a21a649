/**
 * HS256 signing keys with key ids, so keys can be rotated without invalidating live tokens.
 *
 * Source, in order:
 * 1. `JWT_SIGNING_KEY` (current) + `JWT_PREVIOUS_SIGNING_KEYS` (comma-separated, still accepted for
 *    verification). kid = first 8 hex chars of sha256(key). Rotation is then the operator's job.
 * 2. `<dataDir>/signing-keys.json`, created with mode 0600 at first start. `rotateSigningKey`
 *    rewrites it atomically.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface SigningKey {
  kid: string;
  key: Uint8Array;
}

export interface SigningKeys {
  /** Signs new tokens. */
  current: SigningKey;
  /** Any key still accepted for verification (current or previous). */
  byKid(kid: string): SigningKey | undefined;
}

export const SIGNING_KEYS_FILE = 'signing-keys.json';
/**
 * A key replaced by a newer one is kept this long after its replacement, then pruned on the next
 * rotation. Tokens live at most their ttl, so this must exceed the longest token ttl in use.
 */
export const RETIRED_KEY_RETENTION_SECONDS = 24 * 60 * 60;
// HS256 keys shorter than the hash output weaken the MAC (RFC 7518 §3.2).
const MIN_KEY_BYTES = 32;

interface StoredKey {
  kid: string;
  /** base64url */
  key: string;
  createdAt: string;
}
interface KeyFile {
  version: 1;
  /** Newest first; keys[0] is current. */
  keys: StoredKey[];
}

function makeKeys(list: SigningKey[]): SigningKeys {
  const map = new Map<string, SigningKey>();
  for (const k of list) if (!map.has(k.kid)) map.set(k.kid, k);
  return { current: list[0], byKid: (kid) => map.get(kid) };
}

function fromEnv(env: NodeJS.ProcessEnv): SigningKeys {
  const secrets = [env.JWT_SIGNING_KEY ?? '', ...(env.JWT_PREVIOUS_SIGNING_KEYS ?? '').split(',')]
    .map((s) => s.trim())
    .filter((s, i) => i === 0 || s !== '');
  return makeKeys(
    secrets.map((s, i) => {
      const key = new TextEncoder().encode(s);
      // Never echo the key itself; say which variable is wrong.
      if (key.length < MIN_KEY_BYTES) {
        const name = i === 0 ? 'JWT_SIGNING_KEY' : `JWT_PREVIOUS_SIGNING_KEYS entry #${i}`;
        throw new Error(`${name} must be at least ${MIN_KEY_BYTES} bytes`);
      }
      return { kid: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
    }),
  );
}

function newStoredKey(now: Date): StoredKey {
  const key = randomBytes(32);
  return { kid: randomBytes(4).toString('hex'), key: key.toString('base64url'), createdAt: now.toISOString() };
}

function toSigningKeys(file: KeyFile): SigningKeys {
  return makeKeys(file.keys.map((k) => ({ kid: k.kid, key: new Uint8Array(Buffer.from(k.key, 'base64url')) })));
}

function parseKeyFile(text: string, path: string): KeyFile {
  const bad = (): Error => new Error(`${path}: not a valid signing key file`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw bad(); // the parser's message could quote key material
  }
  const f = data as Partial<KeyFile> | null;
  if (!f || f.version !== 1 || !Array.isArray(f.keys) || f.keys.length === 0) throw bad();
  for (const k of f.keys) {
    if (typeof k?.kid !== 'string' || typeof k.key !== 'string' || typeof k.createdAt !== 'string') throw bad();
    if (Buffer.from(k.key, 'base64url').length < MIN_KEY_BYTES) throw bad();
  }
  return f as KeyFile;
}

/**
 * Writes via a 0600 temp file so readers never see a partial file and the mode is never wider.
 * `exclusive`: publish with link(), which fails with EEXIST if another process created the file
 * first (first start race); otherwise rename() replaces the file atomically (rotation).
 */
async function writeKeyFile(dataDir: string, file: KeyFile, exclusive: boolean): Promise<void> {
  const target = join(dataDir, SIGNING_KEYS_FILE);
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify(file, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (exclusive) await link(tmp, target);
    else await rename(tmp, target);
  } finally {
    await unlink(tmp).catch(() => {}); // after link (or a failed rename) the temp name is left over
  }
}

async function readOrCreate(dataDir: string, now: Date): Promise<KeyFile> {
  const path = join(dataDir, SIGNING_KEYS_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    return parseKeyFile(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const file: KeyFile = { version: 1, keys: [newStoredKey(now)] };
  try {
    await writeKeyFile(dataDir, file, true);
    return file;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseKeyFile(await readFile(path, 'utf8'), path); // another process won the race
  }
}

export async function loadSigningKeys(opts: { dataDir?: string; env: NodeJS.ProcessEnv }): Promise<SigningKeys> {
  if (opts.env.JWT_SIGNING_KEY !== undefined && opts.env.JWT_SIGNING_KEY !== '') return fromEnv(opts.env);
  if (!opts.dataDir) throw new Error('no signing key: set JWT_SIGNING_KEY or provide a data directory');
  return toSigningKeys(await readOrCreate(opts.dataDir, new Date()));
}

/**
 * Makes a new current key in `<dataDir>/signing-keys.json`, keeping previous keys so tokens they
 * signed stay valid. Pruning: a previous key is dropped once the key that replaced it is older than
 * RETIRED_KEY_RETENTION_SECONDS (24 h) — by then every token it signed has expired, provided token
 * ttls are under 24 h. Has no effect on keys from JWT_SIGNING_KEY (those are rotated via env).
 */
export async function rotateSigningKey(dataDir: string, opts: { now?: Date } = {}): Promise<SigningKeys> {
  const now = opts.now ?? new Date();
  const old = await readOrCreate(dataDir, now);
  let fresh = newStoredKey(now);
  while (old.keys.some((k) => k.kid === fresh.kid)) fresh = newStoredKey(now); // 32-bit kid: be sure
  const keys = [fresh, ...old.keys];
  const kept = keys.filter((_key, i) => {
    if (i === 0) return true;
    const replacedAt = Date.parse(keys[i - 1].createdAt);
    return now.getTime() - replacedAt < RETIRED_KEY_RETENTION_SECONDS * 1000;
  });
  const file: KeyFile = { version: 1, keys: kept };
  await writeKeyFile(dataDir, file, false);
  return toSigningKeys(file);
}
