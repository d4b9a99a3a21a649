/**
 * HS256 signing keys with key ids, so keys can be rotated without invalidating live tokens.
 *
 * Source, in order:
 * 1. `JWT_SIGNING_KEY` (current) + `JWT_PREVIOUS_SIGNING_KEYS` (comma-separated, still accepted for
 *    verification). kid = first 8 hex chars of sha256(key). Rotation is then the operator's job.
 * 2. The `signing_keys` table, shared by every instance on the database: generated once at first start
 *    (or imported from the `signing-keys.json` an older version kept in DATA_DIR, so tokens it signed stay
 *    valid), rotated with `keys rotate`. Each instance re-reads the table every
 *    `SIGNING_KEYS_REFRESH_SECONDS` (default 30), so a rotation reaches all of them without a restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql } from '../db/sql.js';

export interface SigningKey {
  kid: string;
  key: Uint8Array;
}

export interface SigningKeys {
  /** Signs new tokens. */
  readonly current: SigningKey;
  /** Any key still accepted for verification (current or previous). */
  byKid(kid: string): SigningKey | undefined;
  /** Stops re-reading the keys (database-backed keys only). */
  close?(): void;
}

/** The file older versions kept in DATA_DIR; imported into the table at first start, then removed. */
export const LEGACY_SIGNING_KEYS_FILE = 'signing-keys.json';
/**
 * A key replaced by a newer one is kept this long after its replacement, then pruned on the next
 * rotation. Tokens live at most their ttl, so this must exceed the longest token ttl in use.
 */
export const RETIRED_KEY_RETENTION_SECONDS = 24 * 60 * 60;
/** How often an instance re-reads the table unless SIGNING_KEYS_REFRESH_SECONDS says otherwise. */
export const DEFAULT_REFRESH_SECONDS = 30;
// HS256 keys shorter than the hash output weaken the MAC (RFC 7518 §3.2).
const MIN_KEY_BYTES = 32;
// An unknown kid re-reads the table at once (a rotation just happened elsewhere), but at most this often,
// so tokens with made-up kids cannot turn into a query each.
const MISS_REFRESH_MIN_MS = 2_000;
// Serialises first-start key creation and rotations across processes (pg_advisory_xact_lock key).
const LOCK_KEY = 'oneroster-graph:signing_keys';

interface StoredKey {
  kid: string;
  /** base64url */
  key: string;
  createdAt: string;
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

const newStoredKey = (now: Date): StoredKey =>
  ({ kid: randomBytes(4).toString('hex'), key: randomBytes(32).toString('base64url'), createdAt: now.toISOString() });

/** Newest first; a key is kept while the key that replaced it is younger than the retention. */
function liveKeys(stored: StoredKey[], now: number): SigningKey[] {
  const sorted = [...stored].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.kid < b.kid ? -1 : 1));
  return sorted
    .filter((_k, i) => i === 0 || now - Date.parse(sorted[i - 1].createdAt) < RETIRED_KEY_RETENTION_SECONDS * 1000)
    .map((k) => ({ kid: k.kid, key: new Uint8Array(Buffer.from(k.key, 'base64url')) }));
}

async function readStored(em: EntityManager): Promise<StoredKey[]> {
  const rows = await run(em, sql`select kid, key, created_at from signing_keys`);
  return rows.map((r) => ({ kid: String(r.kid), key: String(r.key), createdAt: new Date(r.created_at as string | Date).toISOString() }));
}

async function insertKeys(em: EntityManager, keys: StoredKey[]): Promise<void> {
  for (const k of keys) {
    await run(em, sql`insert into signing_keys (kid, key, created_at) values (${k.kid}, ${k.key}, ${k.createdAt}) on conflict (kid) do nothing`);
  }
}

/** The keys of a legacy DATA_DIR file, or undefined when there is none. */
async function readLegacyFile(dataDir: string | undefined): Promise<StoredKey[] | undefined> {
  if (!dataDir) return undefined;
  const path = join(dataDir, LEGACY_SIGNING_KEYS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const bad = (): Error => new Error(`${path}: not a valid signing key file`);
  let data: { version?: unknown; keys?: unknown };
  try {
    data = JSON.parse(text);
  } catch {
    throw bad(); // the parser's message could quote key material
  }
  if (!data || data.version !== 1 || !Array.isArray(data.keys) || data.keys.length === 0) throw bad();
  for (const k of data.keys as Partial<StoredKey>[]) {
    if (typeof k?.kid !== 'string' || typeof k.key !== 'string' || typeof k.createdAt !== 'string' || Number.isNaN(Date.parse(k.createdAt))) throw bad();
    if (Buffer.from(k.key, 'base64url').length < MIN_KEY_BYTES) throw bad();
  }
  return data.keys as StoredKey[];
}

/** Within one transaction holding the keys' advisory lock: only one process creates or rotates at a time. */
async function locked<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  return em.fork().transactional(async (tx) => {
    await run(tx, sql`select pg_advisory_xact_lock(hashtext(${LOCK_KEY}))`);
    return work(tx);
  });
}

/**
 * First start: the table is filled once, by whichever process gets the lock first, from the legacy file
 * when there is one (its tokens stay valid) or with a new key. The legacy file is removed once imported:
 * DATA_DIR keeps only the embedded database.
 */
async function ensureKeys(em: EntityManager, dataDir: string | undefined, now: Date): Promise<StoredKey[]> {
  const existing = await readStored(em.fork());
  if (existing.length) return existing;
  let imported = false;
  const stored = await locked(em, async (tx) => {
    const again = await readStored(tx);
    if (again.length) return again;
    const legacy = await readLegacyFile(dataDir);
    imported = legacy !== undefined;
    const keys = legacy ?? [newStoredKey(now)];
    await insertKeys(tx, keys);
    return keys;
  });
  if (imported) await unlink(join(dataDir!, LEGACY_SIGNING_KEYS_FILE)).catch(() => {});
  return stored;
}

/** Keys read from the table and re-read on a timer; `current` and `byKid` always answer from memory. */
class DatabaseSigningKeys implements SigningKeys {
  private keys: SigningKeys;
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private lastMissRefresh = 0;

  constructor(private readonly em: EntityManager, stored: StoredKey[], refreshMs: number, private readonly now: () => number) {
    this.keys = makeKeys(liveKeys(stored, now()));
    if (refreshMs > 0) {
      this.timer = setInterval(() => void this.refresh(), refreshMs);
      this.timer.unref(); // never what keeps a process alive
    }
  }

  get current(): SigningKey {
    return this.keys.current;
  }

  byKid(kid: string): SigningKey | undefined {
    const key = this.keys.byKid(kid);
    if (!key && this.now() - this.lastMissRefresh > MISS_REFRESH_MIN_MS) {
      this.lastMissRefresh = this.now();
      void this.refresh();
    }
    return key;
  }

  /** Re-reads the table; while the database is unreachable the last keys read stay in use. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const stored = await readStored(this.em.fork());
        if (stored.length) this.keys = makeKeys(liveKeys(stored, this.now()));
      } catch {
        // the next tick tries again; requests needing the database fail on their own with 503
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

export interface LoadSigningKeysOptions {
  env: NodeJS.ProcessEnv;
  /** The shared database; required unless JWT_SIGNING_KEY is set. */
  em?: EntityManager;
  /** Where an older version kept its key file (imported once). */
  dataDir?: string;
  /** Milliseconds clock, injectable for tests. */
  now?: () => number;
}

export async function loadSigningKeys(opts: LoadSigningKeysOptions): Promise<SigningKeys> {
  if (opts.env.JWT_SIGNING_KEY !== undefined && opts.env.JWT_SIGNING_KEY !== '') return fromEnv(opts.env);
  if (!opts.em) throw new Error('no signing key: set JWT_SIGNING_KEY or use the database');
  const now = opts.now ?? Date.now;
  const refreshSeconds = Number(opts.env.SIGNING_KEYS_REFRESH_SECONDS ?? DEFAULT_REFRESH_SECONDS);
  if (!Number.isFinite(refreshSeconds) || refreshSeconds <= 0 || refreshSeconds > 60) {
    throw new Error('SIGNING_KEYS_REFRESH_SECONDS must be a number of seconds above 0 and at most 60');
  }
  const stored = await ensureKeys(opts.em, opts.dataDir, new Date(now()));
  return new DatabaseSigningKeys(opts.em, stored, refreshSeconds * 1000, now);
}

/**
 * Makes a new current key in the table, keeping previous keys so tokens they signed stay valid. Every
 * instance signs with it after its next refresh. Pruning: a previous key is dropped once the key that
 * replaced it is older than RETIRED_KEY_RETENTION_SECONDS (24 h) — by then every token it signed has
 * expired, provided token ttls are under 24 h. Has no effect on keys from JWT_SIGNING_KEY.
 */
export async function rotateSigningKey(em: EntityManager, opts: { now?: Date; dataDir?: string } = {}): Promise<SigningKeys> {
  const now = opts.now ?? new Date();
  await ensureKeys(em, opts.dataDir, now);
  const stored = await locked(em, async (tx) => {
    const old = await readStored(tx);
    // Strictly newer than every key, so it is current even on a coarse or skewed clock.
    const newest = Math.max(now.getTime(), ...old.map((k) => Date.parse(k.createdAt) + 1));
    let fresh = newStoredKey(new Date(newest));
    while (old.some((k) => k.kid === fresh.kid)) fresh = newStoredKey(new Date(newest)); // 32-bit kid: be sure
    await insertKeys(tx, [fresh]);
    const all = [fresh, ...old];
    const live = new Set(liveKeys(all, now.getTime()).map((k) => k.kid));
    const retired = all.filter((k) => !live.has(k.kid)).map((k) => k.kid);
    if (retired.length) await run(tx, sql`delete from signing_keys where kid = any(${retired}::text[])`);
    return all.filter((k) => live.has(k.kid));
  });
  return makeKeys(liveKeys(stored, now.getTime()));
}
