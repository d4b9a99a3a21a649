import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ClientStore } from '../../src/auth/clients.js';
import { demoGraphiqlHeaders, markDemoDistrict } from '../../src/auth/demo.js';
import { ALL_READ_SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys.js';
import { importPackage } from '../../src/csv/import.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { graphql, TEST_SIGNING_KEY } from '../support/app.js';
import { testDatabase } from '../support/db.js';
import { basePackage } from '../csv/fixtures.js';
import { scratchDir, writePackage } from '../csv/support.js';

describe('the pre-filled GraphiQL token of a demo store', () => {
  let db: Database;
  let app: FastifyInstance;
  let keys: SigningKeys;
  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, { schools: 1, students: 10, seed: 5 });
    const client = await new ClientStore(db.orm.em).add('demo', [...ALL_READ_SCOPES]);
    await markDemoDistrict(db.orm.em, client.client_id);
    keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv });
    const config = loadConfig({ LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv);
    app = await buildApp({ db, config, keys, graphiqlHeadersFor: demoGraphiqlHeaders(db.orm.em, keys, 600) });
  });
  afterAll(async () => { await app?.close(); await db?.close(); });

  const pageToken = async (remoteAddress: string, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method: 'GET', url: '/graphql', remoteAddress, headers: { accept: 'text/html', ...headers } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('oneroster-graph');
    return /Bearer (ey[A-Za-z0-9._-]+)/.exec(res.body)?.[1];
  };

  it('is given to a loopback request, and reads everything but demographics', async () => {
    const token = await pageToken('127.0.0.1');
    expect(token).toBeTruthy();
    expect(String(decodeJwt(token!).scope)).not.toContain('demographics');
    const ok = await graphql(app, '{ schools { totalCount } }', `Bearer ${token}`);
    expect(ok.body.data?.schools.totalCount).toBe(1);
    const demographics = await graphql(app, '{ demographics { totalCount } }', `Bearer ${token}`);
    expect(demographics.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await pageToken('::1')).toBeTruthy(); // IPv6 loopback, and the marker holds across requests
  });

  it('is not given to another address, nor to a request relayed by a proxy', async () => {
    expect(await pageToken('192.168.1.20')).toBeUndefined();
    expect(await pageToken('::ffff:10.0.0.7')).toBeUndefined();
    expect(await pageToken('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).toBeUndefined();
  });

  it('is no longer given once a real package was imported', async () => {
    const dir = writePackage(scratchDir('demo-marker'), basePackage(), {}, '1.2');
    const report = await importPackage(db, dir);
    expect(report.ok).toBe(true);
    expect(await pageToken('127.0.0.1')).toBeUndefined();
  });
});
