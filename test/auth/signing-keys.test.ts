import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LEGACY_SIGNING_KEYS_FILE, loadSigningKeys, rotateSigningKey, type SigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken, verifyAccessToken } from '../../src/auth/tokens.js';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { testDatabase } from '../support/db.js';

let db: Database;
let dir: string;
const opened: SigningKeys[] = [];
beforeAll(async () => { db = await testDatabase(); });
afterAll(async () => { await db?.close(); });
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'or-keys-'));
  await runSql(db.orm.em.fork(), 'delete from signing_keys');
});
afterEach(async () => {
  for (const k of opened.splice(0)) k.close?.();
  await rm(dir, { recursive: true, force: true });
});

const KEY_A = 'a'.repeat(40);
const KEY_B = 'b'.repeat(40);
const kidOf = (k: string) => createHash('sha256').update(k).digest('hex').slice(0, 8);
const fromDb = async (env: NodeJS.ProcessEnv = {}, extra: { now?: () => number } = {}) => {
  const keys = await loadSigningKeys({ em: db.orm.em, dataDir: dir, env, ...extra });
  opened.push(keys);
  return keys;
};
const kidsInTable = async () =>
  (await runSql(db.orm.em.fork(), 'select kid from signing_keys order by created_at desc')).map((r) => r.kid);

describe('loadSigningKeys from the database', () => {
  it('generates one key at first start, stores it in the table (not in DATA_DIR) and reuses it afterwards', async () => {
    const first = await fromDb();
    expect(first.current.key.length).toBeGreaterThanOrEqual(32);
    expect(first.byKid(first.current.kid)).toEqual(first.current);
    expect(await kidsInTable()).toEqual([first.current.kid]);
    await expect(stat(join(dir, LEGACY_SIGNING_KEYS_FILE))).rejects.toThrow(/ENOENT/);

    const again = await fromDb();
    expect(again.current.kid).toBe(first.current.kid);
    expect(Buffer.from(again.current.key).equals(Buffer.from(first.current.key))).toBe(true);
  });

  it('concurrent first starts agree on one key', async () => {
    const all = await Promise.all([1, 2, 3].map(() => fromDb()));
    expect(new Set(all.map((k) => k.current.kid)).size).toBe(1);
    expect(await kidsInTable()).toHaveLength(1);
  });

  it('imports the signing-keys.json of an older version, so tokens it signed stay valid, then removes the file', async () => {
    const oldKey = Buffer.alloc(32, 7).toString('base64url');
    const prevKey = Buffer.alloc(32, 9).toString('base64url');
    await writeFile(join(dir, LEGACY_SIGNING_KEYS_FILE), JSON.stringify({ version: 1, keys: [
      { kid: 'cafe0001', key: oldKey, createdAt: new Date(Date.now() - 3_600_000).toISOString() },
      { kid: 'cafe0000', key: prevKey, createdAt: new Date(Date.now() - 7_200_000).toISOString() },
    ] }), { mode: 0o600 });
    const legacy = { current: { kid: 'cafe0001', key: new Uint8Array(Buffer.from(oldKey, 'base64url')) }, byKid: () => undefined };
    const token = await issueAccessToken(legacy, { clientId: 'c1', scopes: ['s'], ttlSeconds: 600 });

    const keys = await fromDb();
    expect(keys.current.kid).toBe('cafe0001');
    expect(keys.byKid('cafe0000')).toBeDefined();
    expect((await verifyAccessToken(keys, token.access_token)).clientId).toBe('c1');
    await expect(stat(join(dir, LEGACY_SIGNING_KEYS_FILE))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a corrupt legacy file without quoting its content', async () => {
    await writeFile(join(dir, LEGACY_SIGNING_KEYS_FILE), '{"version":1,"keys":[{"kid":"x","key":"c2VjcmV0LXN0dWZm"');
    await expect(fromDb()).rejects.toThrow(/not a valid signing key file/);
    await expect(fromDb()).rejects.not.toThrow(/c2VjcmV0/);
    expect(await kidsInTable()).toEqual([]);
  });

  it('needs either an env key or the database, and a refresh interval of at most 60 s', async () => {
    await expect(loadSigningKeys({ env: {} })).rejects.toThrow(/JWT_SIGNING_KEY/);
    await expect(fromDb({ SIGNING_KEYS_REFRESH_SECONDS: '120' })).rejects.toThrow(/SIGNING_KEYS_REFRESH_SECONDS/);
  });
});

describe('loadSigningKeys from the environment', () => {
  it('uses JWT_SIGNING_KEY (kid = sha256 prefix) and accepts JWT_PREVIOUS_SIGNING_KEYS, ignoring the database', async () => {
    const keys = await fromDb({ JWT_SIGNING_KEY: KEY_A, JWT_PREVIOUS_SIGNING_KEYS: ` ${KEY_B} ,,` });
    expect(keys.current.kid).toBe(kidOf(KEY_A));
    expect(Buffer.from(keys.current.key).toString()).toBe(KEY_A);
    expect(keys.byKid(kidOf(KEY_B))?.key).toEqual(new TextEncoder().encode(KEY_B));
    expect(keys.byKid('00000000')).toBeUndefined();
    expect(await kidsInTable()).toEqual([]);
  });

  it('refuses short keys without echoing them', async () => {
    await expect(loadSigningKeys({ env: { JWT_SIGNING_KEY: 'short-secret' } })).rejects.toThrow(/JWT_SIGNING_KEY must be/);
    await expect(loadSigningKeys({ env: { JWT_SIGNING_KEY: 'short-secret' } })).rejects.not.toThrow(/short-secret/);
    await expect(
      loadSigningKeys({ env: { JWT_SIGNING_KEY: KEY_A, JWT_PREVIOUS_SIGNING_KEYS: 'tiny' } }),
    ).rejects.toThrow(/JWT_PREVIOUS_SIGNING_KEYS entry #1/);
  });
});

describe('rotateSigningKey', () => {
  it('makes a new current key and keeps the previous ones; a running instance picks it up on its next refresh', async () => {
    const running = await fromDb({ SIGNING_KEYS_REFRESH_SECONDS: '0.2' });
    const before = running.current;
    const after = await rotateSigningKey(db.orm.em);
    expect(after.current.kid).not.toBe(before.kid);
    expect(after.byKid(before.kid)?.key).toEqual(before.key);
    expect(running.current.kid).toBe(before.kid); // not yet refreshed
    await expect.poll(() => running.current.kid, { timeout: 5_000, interval: 50 }).toBe(after.current.kid);
    expect(running.byKid(before.kid)).toBeDefined();
    const reloaded = await fromDb();
    expect(reloaded.current.kid).toBe(after.current.kid);
  });

  it('prunes a key 24 h after it was replaced', async () => {
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    const k0 = await rotateSigningKey(db.orm.em, { now: new Date(t0) }); // creates the first key, then rotates
    const k1 = await rotateSigningKey(db.orm.em, { now: new Date(t0 + 3_600_000) });
    const k2 = await rotateSigningKey(db.orm.em, { now: new Date(t0 + 3_600_000 + 86_400_000) });
    expect(k2.byKid(k1.current.kid)).toBeDefined(); // replaced just now
    expect(k2.byKid(k0.current.kid)).toBeUndefined(); // replaced 24 h ago
    expect(await kidsInTable()).toEqual([k2.current.kid, k1.current.kid]);
  });
});
