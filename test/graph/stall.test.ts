import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/auth/scopes.js';
import type { Database } from '../../src/db/orm.js';
import { seededApp } from '../support/app.js';

/**
 * While hostile requests arrive (a 9 MB alias document, a 20,000-predicate filter), an unrelated
 * request stays fast: the hostile ones are refused before they cost parsing, validation or SQL.
 * On a real port on 127.0.0.1, a bounded number of requests.
 */
let db: Database;
let app: FastifyInstance;
let base: string;
let token: string;

beforeAll(async () => {
  ({ db, app, token } = await seededApp({ schools: 1, students: 10, seed: 3, classSize: 5, classesPerStudent: 2 }, [SCOPES['roster.readonly']]));
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

const graphql = (body: string) => fetch(`${base}/graphql`, {
  method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
});

/** Latencies of `probes` unrelated requests sent one after another while `hostile` runs `rounds` times on two lanes. */
async function underAttack(hostile: () => Promise<Response>, rounds: number, probes: number) {
  const statuses: number[] = [];
  const lane = async () => { for (let i = 0; i < rounds; i++) statuses.push((await hostile()).status); };
  const attack = Promise.all([lane(), lane()]);
  const latencies: number[] = [];
  for (let i = 0; i < probes; i++) {
    const started = performance.now();
    const res = await graphql(JSON.stringify({ query: '{ schools { totalCount } }' }));
    expect((await res.json()).data.schools.totalCount).toBe(1);
    latencies.push(performance.now() - started);
  }
  await attack;
  return { latencies, statuses };
}

describe('hostile requests do not stall others', () => {
  it('a 9 MB document of 500,000 __typename aliases', async () => {
    const huge = JSON.stringify({ query: `{ ${Array.from({ length: 500_000 }, (_, i) => `a${i}: __typename`).join(' ')} }` });
    const { latencies, statuses } = await underAttack(() => graphql(huge), 2, 5);
    // 400 from the document limits, or 413 where the HTTP body limit (MAX_BODY_BYTES) refuses it first.
    for (const s of statuses) expect([400, 413]).toContain(s);
    // Unrefused, each such document held the event loop for about ten seconds.
    expect(Math.max(...latencies)).toBeLessThan(5000);
  });

  it('a filter of 20,000 predicates', async () => {
    const filter = { OR: Array.from({ length: 20_000 }, (_, i) => ({ familyName: { contains: `n${i}` } })) };
    const body = JSON.stringify({ query: 'query($f: UserFilter) { users(filter: $f) { totalCount } }', variables: { f: filter } });
    const { latencies } = await underAttack(async () => {
      const res = await graphql(body);
      expect((await res.clone().json()).errors[0].extensions.code).toBe('FILTER_TOO_COMPLEX');
      return res;
    }, 3, 10);
    expect(Math.max(...latencies)).toBeLessThan(5000);
  });
});
