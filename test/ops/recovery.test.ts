import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_READ_SCOPES } from '../../src/auth/scopes.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { bearer, testApp } from '../support/app.js';
import { onServer, testDatabase } from '../support/db.js';

/**
 * While the database is unreachable every request that needs it answers 503 with a coded error (imsx
 * envelope on REST, DATABASE_UNAVAILABLE on GraphQL, temporarily_unavailable on the token endpoint),
 * never a 500, and the same process serves again once the database is back.
 */
const ORGS = '/ims/oneroster/rostering/v1p2/orgs?limit=5';
const QUERY = '{ orgs(first: 2) { edges { node { sourcedId } } } }';

async function requests(app: Awaited<ReturnType<typeof testApp>>['app'], auth: string) {
  const rest = await app.inject({ url: ORGS, headers: { authorization: auth } });
  const graph = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: auth, 'content-type': 'application/json' }, payload: { query: QUERY } });
  return { rest, graph };
}

function expectUnavailable({ rest, graph }: Awaited<ReturnType<typeof requests>>) {
  expect(rest.statusCode).toBe(503);
  expect(rest.json()).toMatchObject({ imsx_codeMajor: 'failure', imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldValue: 'server_busy' }] } });
  expect(graph.statusCode).toBe(503);
  expect(graph.json().errors[0].extensions.code).toBe('DATABASE_UNAVAILABLE');
}

describe('a database that does not answer', () => {
  let db: Database;
  beforeAll(async () => { db = await testDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('answers 503 with coded errors on REST, GraphQL and the token endpoint, never 500', async () => {
    const { app, keys } = await testApp(db);
    const auth = await bearer(keys, ALL_READ_SCOPES);
    expect((await requests(app, auth)).rest.statusCode).toBe(200);
    await db.close(); // the pool is gone: every statement fails, as with a database that is down
    db = undefined as unknown as Database; // closed once only (afterAll)
    expectUnavailable(await requests(app, auth));
    const token = await app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&client_id=someone&client_secret=something-long-enough' });
    expect(token.statusCode).toBe(503);
    expect(token.json().error).toBe('temporarily_unavailable');
    await app.close();
  });
});

// Terminating backends needs a PostgreSQL server (the embedded database has one backend, in process).
if (onServer()) describe('PostgreSQL restarts under traffic', () => {
  let db: Database;
  let admin: pg.Client;
  let name: string;
  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, { schools: 1, students: 20, seed: 3 });
    name = new URL(db.orm.config.get('clientUrl')!).pathname.slice(1);
    admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`alter database ${name} allow_connections true`).catch(() => {});
    await admin?.end();
    await db?.close();
  });

  it('fails with 503 while every backend is terminated and new ones refused, then recovers without a restart', async () => {
    const { app, keys } = await testApp(db, { LOG_LEVEL: 'silent' });
    const auth = await bearer(keys, ALL_READ_SCOPES);
    expect((await requests(app, auth)).graph.statusCode).toBe(200);

    // Traffic keeps flowing from before the outage until after it.
    const statuses: number[] = [];
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        const { rest, graph } = await requests(app, auth);
        statuses.push(rest.statusCode, graph.statusCode);
      }
    })();
    await new Promise((r) => setTimeout(r, 300));

    // The outage: no new connections, and every existing backend of the app's database terminated.
    await admin.query(`alter database ${name} allow_connections false`);
    const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    expect(killed.rowCount).toBeGreaterThan(0);
    expectUnavailable(await requests(app, auth));
    await new Promise((r) => setTimeout(r, 500));
    expectUnavailable(await requests(app, auth));

    await admin.query(`alter database ${name} allow_connections true`);
    await expect.poll(async () => (await requests(app, auth)).rest.statusCode, { timeout: 15_000, interval: 200 }).toBe(200);
    const after = await requests(app, auth);
    expect(after.graph.statusCode).toBe(200);
    expect(after.graph.json().data.orgs.edges.length).toBeGreaterThan(0);
    stop = true;
    await traffic;

    // Mid-traffic requests either succeeded or said 503: none failed as a server fault.
    expect(statuses.length).toBeGreaterThan(4);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses).toContain(503);
    await app.close();
  }, 60_000);
});
