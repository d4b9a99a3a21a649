import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGNING_KEYS_FILE, loadSigningKeys, rotateSigningKey } from '../../src/auth/signing-keys.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'or-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const KEY_A = 'a'.repeat(40);
const KEY_B = 'b'.repeat(40);
const kidOf = (k: string) => createHash('sha256').update(k).digest('hex').slice(0, 8);

describe('loadSigningKeys from the data directory', () => {
  it('creates signing-keys.json with mode 0600 at first start and reuses it afterwards', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = await loadSigningKeys({ dataDir, env: {} });
    const st = await stat(join(dataDir, SIGNING_KEYS_FILE));
    expect(st.mode & 0o777).toBe(0o600);
    expect(first.current.key.length).toBeGreaterThanOrEqual(32);
    expect(first.byKid(first.current.kid)).toEqual(first.current);

    const again = await loadSigningKeys({ dataDir, env: {} });
    expect(again.current.kid).toBe(first.current.kid);
    expect(Buffer.from(again.current.key).equals(Buffer.from(first.current.key))).toBe(true);
  });

  it('concurrent first starts agree on one key', async () => {
    const all = await Promise.all([1, 2, 3].map(() => loadSigningKeys({ dataDir: dir, env: {} })));
    expect(new Set(all.map((k) => k.current.kid)).size).toBe(1);
  });

  it('refuses a corrupt file without quoting its content', async () => {
    await writeFile(join(dir, SIGNING_KEYS_FILE), '{"version":1,"keys":[{"kid":"x","key":"c2VjcmV0LXN0dWZm"');
    await expect(loadSigningKeys({ dataDir: dir, env: {} })).rejects.toThrow(/not a valid signing key file/);
    await expect(loadSigningKeys({ dataDir: dir, env: {} })).rejects.not.toThrow(/c2VjcmV0/);
  });

  it('needs either an env key or a data directory', async () => {
    await expect(loadSigningKeys({ env: {} })).rejects.toThrow(/JWT_SIGNING_KEY/);
  });
});

describe('loadSigningKeys from the environment', () => {
  it('uses JWT_SIGNING_KEY (kid = sha256 prefix) and accepts JWT_PREVIOUS_SIGNING_KEYS, ignoring the data dir', async () => {
    const keys = await loadSigningKeys({
      dataDir: dir,
      env: { JWT_SIGNING_KEY: KEY_A, JWT_PREVIOUS_SIGNING_KEYS: ` ${KEY_B} ,,` },
    });
    expect(keys.current.kid).toBe(kidOf(KEY_A));
    expect(Buffer.from(keys.current.key).toString()).toBe(KEY_A);
    expect(keys.byKid(kidOf(KEY_B))?.key).toEqual(new TextEncoder().encode(KEY_B));
    expect(keys.byKid('00000000')).toBeUndefined();
    await expect(stat(join(dir, SIGNING_KEYS_FILE))).rejects.toThrow(/ENOENT/);
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
  it('makes a new current key, keeps the previous ones, keeps mode 0600', async () => {
    const before = await loadSigningKeys({ dataDir: dir, env: {} });
    const after = await rotateSigningKey(dir);
    expect(after.current.kid).not.toBe(before.current.kid);
    expect(after.byKid(before.current.kid)?.key).toEqual(before.current.key);
    const reloaded = await loadSigningKeys({ dataDir: dir, env: {} });
    expect(reloaded.current.kid).toBe(after.current.kid);
    expect(reloaded.byKid(before.current.kid)).toBeDefined();
    expect((await stat(join(dir, SIGNING_KEYS_FILE))).mode & 0o777).toBe(0o600);
  });

  it('prunes a key 24 h after it was replaced', async () => {
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    const k0 = await rotateSigningKey(dir, { now: new Date(t0) }); // creates the file, then rotates
    const k1 = await rotateSigningKey(dir, { now: new Date(t0 + 3_600_000) });
    const k2 = await rotateSigningKey(dir, { now: new Date(t0 + 3_600_000 + 86_400_000) });
    expect(k2.byKid(k1.current.kid)).toBeDefined(); // replaced just now
    expect(k2.byKid(k0.current.kid)).toBeUndefined(); // replaced 24 h ago
    const file = JSON.parse(await readFile(join(dir, SIGNING_KEYS_FILE), 'utf8'));
    expect(file.keys.map((k: { kid: string }) => k.kid)).toEqual([k2.current.kid, k1.current.kid]);
  });
});
