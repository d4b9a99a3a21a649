import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { ALL_READ_SCOPES } from '../../src/auth/scopes.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

/** One access-log line per request, with what an operator needs and nothing secret. */
const ORGS = '/ims/oneroster/rostering/v1p2/orgs';

let db: Database;
beforeAll(async () => {
  db = await testDatabase();
  await seedDistrict(db.orm.em, { schools: 2, students: 10, seed: 9 });
}, 240_000);
afterAll(async () => { await db?.close(); });

describe('access log', () => {
  it('writes one line per request with route template, status, duration, client id and records; never a secret or token', async () => {
    const { app, log } = await testApp(db);
    const client = await new ClientStore(db.orm.em).add('logged', [...ALL_READ_SCOPES]);
    const issued = await app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }).toString() });
    expect(issued.statusCode).toBe(200);
    const token = issued.json().access_token as string;

    const page = await app.inject({ url: `${ORGS}?limit=2`, headers: { authorization: `Bearer ${token}` } });
    expect(page.statusCode).toBe(200);
    const one = page.json().orgs[0].sourcedId as string;
    expect((await app.inject({ url: `${ORGS}/${one}`, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    const graph = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: { query: '{ orgs(first: 3) { edges { node { sourcedId } } } }' } });
    expect(graph.statusCode).toBe(200);
    // A token in the query string and a secret in a body the route refuses stay out of the log too.
    expect((await app.inject({ url: `${ORGS}?access_token=${token}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&client_id=${client.client_id}&client_secret=${client.client_secret}x` })).statusCode).toBe(401);

    const lines = log().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => l.msg === 'request');
    expect(access).toHaveLength(6); // one per request, and Fastify's own request lines are off
    expect(lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed')).toEqual([]);
    expect(access.map((l) => [l.route, l.status])).toEqual([
      ['/oauth/token', 200], [ORGS, 200], [`${ORGS}/:p0`, 200], ['/graphql', 200], [ORGS, 401], ['/oauth/token', 401],
    ]);
    for (const l of access) {
      expect(typeof l.ms).toBe('number');
      expect(l.method).toMatch(/^(GET|POST)$/);
    }
    expect(access[1]).toMatchObject({ clientId: client.client_id, records: 2 });
    expect(access[2]).toMatchObject({ clientId: client.client_id, records: 1 });
    expect(access[3]).toMatchObject({ clientId: client.client_id });
    expect(access[3].statements).toBeGreaterThan(0);
    expect(access[3].records).toBeGreaterThanOrEqual(2);

    const whole = log();
    expect(whole).not.toContain(token);
    expect(whole).not.toContain(token.split('.')[2]); // not even the signature
    expect(whole).not.toContain(client.client_secret);
    await app.close();
  }, 120_000);
});
