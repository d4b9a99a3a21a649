import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/db/config.js';
import { openDatabase, type Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { onServer, testDatabase } from '../support/db.js';

/** A cancelled statement (SQLSTATE 57014) is a coded TIMEOUT in GraphQL and a 503 on REST, naming the limit. */
let db: Database;
let keys: SigningKeys;
let token: string;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  db = await testDatabase();
  await seedDistrict(db.orm.em, { schools: 1, students: 10, seed: 3, classSize: 5, classesPerStudent: 2 });
  keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
  token = (await issueAccessToken(keys, { clientId: 't', scopes: [SCOPES['roster.readonly']], ttlSeconds: 600 })).access_token;
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await db?.close();
});

async function app(database: Database, timeoutMs: number) {
  const a = await buildApp({ db: database, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent', STATEMENT_TIMEOUT_MS: String(timeoutMs) }), keys });
  apps.push(a);
  return a;
}
const graphql = (a: FastifyInstance) => a.inject({
  method: 'POST', url: '/graphql', payload: { query: '{ users(first: 1) { totalCount nodes { sourcedId } } }' },
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
});
const rest = (a: FastifyInstance) => a.inject({ method: 'GET', url: '/ims/oneroster/rostering/v1p2/users', headers: { authorization: `Bearer ${token}` } });

async function expectTimeout(a: FastifyInstance, timeoutMs: number) {
  const g = await graphql(a);
  const body = g.json();
  expect(body.errors[0].extensions).toMatchObject({ code: 'TIMEOUT', limit: 'STATEMENT_TIMEOUT_MS' });
  expect(body.errors[0].message).toContain(`${timeoutMs} ms`);
  const r = await rest(a);
  expect(r.statusCode).toBe(503);
  expect(r.json().imsx_codeMajor).toBe('failure');
  expect(r.json().imsx_description).toContain('STATEMENT_TIMEOUT_MS');
}

describe('statement timeout', () => {
  it('a statement the database cancels answers TIMEOUT (GraphQL) and 503 (REST); PGlite ignores statement_timeout, so the cancel is raised by the table itself', async () => {
    const em = db.orm.em.fork();
    // users becomes a view whose rows raise query_canceled, as a timed-out statement does.
    await runSql(em, `create function og_cancel() returns boolean language plpgsql as $$
      begin raise exception 'canceling statement due to statement timeout' using errcode = 'query_canceled'; end $$`);
    await runSql(em, 'alter table users rename to users_hidden');
    await runSql(em, 'create view users as select * from users_hidden where og_cancel()');
    try {
      await expectTimeout(await app(db, 15_000), 15_000);
    } finally {
      await runSql(em, 'drop view users');
      await runSql(em, 'alter table users_hidden rename to users');
    }
    const served = await graphql(await app(db, 15_000));
    expect(served.json().errors).toBeUndefined();
  });

  if (onServer()) {
    it('PostgreSQL server: a statement waiting past statement_timeout answers TIMEOUT and 503', async () => {
      const short = await openDatabase({ databaseUrl: db.orm.config.get('clientUrl'), dataDir: '', embeddedConnections: 2, statementTimeoutMs: 300 }, { migrate: false });
      const locker = new pg.Client({ connectionString: db.orm.config.get('clientUrl') });
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query('lock table users in access exclusive mode');
        const started = performance.now();
        await expectTimeout(await app(short, 300), 300);
        expect(performance.now() - started).toBeLessThan(5000);
      } finally {
        await locker.query('rollback');
        await locker.end();
        await short.close();
      }
    });
  }
});
