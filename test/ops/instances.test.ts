import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ClientStore } from '../../src/auth/clients.js';
import { ALL_READ_SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys, rotateSigningKey, type SigningKeys } from '../../src/auth/signing-keys.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { exited, freePort, runCli } from '../support/cli.js';
import { onServer, testDatabase } from '../support/db.js';
import { serve } from './processes.js';

/**
 * Several instances on one database agree on what must be shared: a token issued by one is accepted
 * by the other, failed logins spread over both add up to a 429, and a key rotation reaches both
 * within the refresh interval. In process on both databases; with real `serve` processes on PostgreSQL.
 */
const ORGS = '/ims/oneroster/rostering/v1p2/orgs?limit=1';
const form = (id: string, secret: string) => new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }).toString();

interface Instance {
  token(id: string, secret: string): Promise<{ status: number; body: { access_token?: string } }>;
  get(url: string, auth: string): Promise<number>;
}

/** The scenario both variants run, against two instances `a` and `b` and a way to rotate the keys. */
async function scenario(a: Instance, b: Instance, client: { client_id: string; client_secret: string }, rotate: () => Promise<string>) {
  const issued = await a.token(client.client_id, client.client_secret);
  expect(issued.status).toBe(200);
  expect(await b.get(ORGS, `Bearer ${issued.body.access_token}`)).toBe(200);
  expect(await b.get(ORGS, `Bearer ${issued.body.access_token}x`)).toBe(401);

  const kid = await rotate();
  expect(kid).not.toBe(decodeProtectedHeader(issued.body.access_token!).kid);
  for (const instance of [a, b]) {
    await expect.poll(async () => decodeProtectedHeader((await instance.token(client.client_id, client.client_secret)).body.access_token!).kid,
      { timeout: 10_000, interval: 250 }).toBe(kid);
  }
  const fresh = await b.token(client.client_id, client.client_secret);
  expect(await a.get(ORGS, `Bearer ${fresh.body.access_token}`)).toBe(200);
  expect(await a.get(ORGS, `Bearer ${issued.body.access_token}`)).toBe(200); // the previous key still verifies

  // Five failures, alternating between the instances, block the sixth attempt on either, right secret or not.
  for (let i = 0; i < 5; i++) expect((await [a, b][i % 2].token(client.client_id, 'wrong-secret')).status).toBe(401);
  expect((await a.token(client.client_id, client.client_secret)).status).toBe(429);
  expect((await b.token(client.client_id, client.client_secret)).status).toBe(429);
}

describe('two instances in one process, one database', () => {
  let db: Database;
  const keys: SigningKeys[] = [];
  beforeAll(async () => { db = await testDatabase(); });
  afterAll(async () => {
    for (const k of keys) k.close?.();
    await db?.close();
  });

  it('share tokens, failed-login counts and key rotations', async () => {
    const client = await new ClientStore(db.orm.em).add('shared', [...ALL_READ_SCOPES]);
    const config = loadConfig({ LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
    const [a, b] = await Promise.all([1, 2].map(async (): Promise<Instance> => {
      const k = await loadSigningKeys({ em: db.orm.em, env: { SIGNING_KEYS_REFRESH_SECONDS: '0.5' } });
      keys.push(k);
      const app = await buildApp({ db, config, keys: k });
      return {
        token: async (id, secret) => {
          const res = await app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form(id, secret) });
          return { status: res.statusCode, body: res.json() };
        },
        get: async (url, auth) => (await app.inject({ url, headers: { authorization: auth } })).statusCode,
      };
    }));
    await scenario(a, b, client, async () => (await rotateSigningKey(db.orm.em)).current.kid);
  }, 60_000);
});

// Two `serve` processes need a database server both can reach (the embedded one belongs to one process).
if (onServer()) describe('two serve processes on one PostgreSQL database', () => {
  let db: Database;
  beforeAll(async () => { db = await testDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('share tokens, failed-login counts and key rotations', async () => {
    const url = db.orm.config.get('clientUrl')!;
    const client = await new ClientStore(db.orm.em).add('shared', [...ALL_READ_SCOPES]);
    const env = { DATABASE_URL: url, JWT_SIGNING_KEY: '', SIGNING_KEYS_REFRESH_SECONDS: '1', LOG_LEVEL: 'warn', DATA_DIR: '/nonexistent-og-data' };
    const ports = [freePort(), freePort()];
    const servers = await Promise.all(ports.map((port) => serve(env, port)));
    try {
      const [a, b] = ports.map((port): Instance => ({
        token: async (id, secret) => {
          const res = await fetch(`http://127.0.0.1:${port}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(id, secret) });
          return { status: res.status, body: await res.json() };
        },
        get: async (path, auth) => (await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: auth } })).status,
      }));
      await scenario(a, b, client, async () => {
        const rotated = await runCli(['keys', 'rotate'], { DATABASE_URL: url, JWT_SIGNING_KEY: '' });
        expect(rotated.code).toBe(0);
        return /new signing key ([0-9a-f]{8})/.exec(rotated.stdout)![1];
      });
    } finally {
      for (const s of servers) s.child.kill('SIGTERM');
      expect(await Promise.all(servers.map((s) => exited(s.child)))).toEqual([0, 0]);
    }
  }, 400_000);
});
