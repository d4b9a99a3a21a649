import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import type { DistrictOptions } from '../../src/seed/district.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from './db.js';

export const TEST_SIGNING_KEY = 'test-signing-key-'.padEnd(48, 'x');

/** The real app on a test database, with authentication on, and a log captured in memory. */
export async function testApp(db: Database, env: NodeJS.ProcessEnv = {}): Promise<{ app: FastifyInstance; keys: SigningKeys; log: () => string }> {
  const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv });
  let captured = '';
  const logStream = new Writable({ write(chunk, _enc, done) { captured += String(chunk); done(); } });
  const config = loadConfig({ LOG_LEVEL: 'info', ...env } as NodeJS.ProcessEnv);
  const app = await buildApp({ db, config, keys, logStream });
  return { app, keys, log: () => captured };
}

export async function bearer(keys: SigningKeys, scopes: readonly string[]): Promise<string> {
  const token = await issueAccessToken(keys, { clientId: 'test-client', scopes: [...scopes], ttlSeconds: 600 });
  return `Bearer ${token.access_token}`;
}

export async function graphql(app: FastifyInstance, query: string, auth?: string, variables?: Record<string, unknown>) {
  const res = await app.inject({
    method: 'POST', url: '/graphql', payload: { query, variables },
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
  });
  return { status: res.statusCode, headers: res.headers, body: res.json() as { data?: any; errors?: { message: string; path?: string[]; extensions?: { code?: string } }[] } };
}

/** A seeded test database behind the real app (silent log) and a token with `scopes`: the setup of the guard tests. */
export async function seededApp(seed: DistrictOptions, scopes: readonly string[]) {
  const db = await testDatabase();
  await seedDistrict(db.orm.em, seed); // seeding analyses what it loads, as CSV imports do
  const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv });
  const app = await buildApp({ db, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent' }), keys });
  const token = (await issueAccessToken(keys, { clientId: 't', scopes: [...scopes], ttlSeconds: 600 })).access_token;
  return { db, app, keys, token };
}
