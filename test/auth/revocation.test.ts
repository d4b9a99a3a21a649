import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { TokenGenerations } from '../../src/auth/token-generations.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { graphql, testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

describe('revocation of issued tokens', () => {
  let db: Database;
  let app: FastifyInstance;
  let store: ClientStore;
  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, { schools: 1, students: 5, seed: 4 });
    ({ app } = await testApp(db));
    store = new ClientStore(db.orm.em);
  });
  afterAll(async () => { await app?.close(); await db?.close(); });

  const tokenFor = async (client: { client_id: string; client_secret: string }) => {
    const res = await app.inject({
      method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }).toString(),
    });
    expect(res.statusCode).toBe(200);
    return `Bearer ${(res.json() as { access_token: string }).access_token}`;
  };
  const restStatus = async (authorization: string) =>
    (await app.inject({ method: 'GET', url: '/ims/oneroster/rostering/v1p2/orgs?limit=1', headers: { authorization } })).statusCode;

  it('rotate-secret revokes the tokens issued before it; tokens issued after work', async () => {
    const client = await store.add('rotating', ['roster-core.readonly']);
    const before = await tokenFor(client);
    const rotated = (await store.rotateSecret(client.client_id))!;
    expect(await restStatus(before)).toBe(401);
    const q = await graphql(app, '{ orgs { totalCount } }', before);
    expect(q.status).toBe(401);
    expect(q.body.errors?.[0].message).toMatch(/revoked/);
    expect(await restStatus(await tokenFor({ client_id: client.client_id, client_secret: rotated.client_secret }))).toBe(200);
  });

  it('a token issued after a rotation works at once, also where the old generation is still cached', async () => {
    const client = await store.add('busy', ['roster-core.readonly', 'roster.readonly']);
    const before = await tokenFor(client);
    expect(await restStatus(before)).toBe(200); // the server now holds generation 0 of this client in its cache
    const rotated = (await store.rotateSecret(client.client_id))!;
    const after = await tokenFor({ client_id: client.client_id, client_secret: rotated.client_secret });
    expect(await restStatus(after)).toBe(200);
    expect(await restStatus(before)).toBe(401); // the newer token told the cache that the generation moved on
    // So does a scope change (it revokes too): the vendor's next token is good at once.
    await store.update(client.client_id, { scopes: ['roster-core.readonly'] });
    expect(await restStatus(await tokenFor({ client_id: client.client_id, client_secret: rotated.client_secret }))).toBe(200);
  });

  it('removing a client revokes its tokens', async () => {
    const client = await store.add('leaving', ['roster-core.readonly']);
    const token = await tokenFor(client);
    await store.remove(client.client_id);
    const res = await app.inject({ method: 'GET', url: '/ims/oneroster/rostering/v1p2/orgs?limit=1', headers: { authorization: token } });
    expect(res.statusCode).toBe(401);
    expect((res.json() as { imsx_description: string }).imsx_description).toMatch(/revoked/);
  });
});

describe('TokenGenerations cache', () => {
  it('sees a new generation once its cache entry is older than the bound, not before', async () => {
    let generation: number | null = 0;
    let lookups = 0;
    let t = 0;
    const generations = new TokenGenerations(async () => { lookups++; return generation; }, 5_000, () => t);
    expect(await generations.isCurrent('c', 0)).toBe(true);
    generation = 1;
    t = 4_999;
    expect(await generations.isCurrent('c', 0)).toBe(true); // within the documented bound
    t = 5_000;
    expect(await generations.isCurrent('c', 0)).toBe(false);
    expect(await generations.isCurrent('c', 1)).toBe(true);
    expect(lookups).toBe(2);
    generation = null; // removed
    t = 10_000;
    expect(await generations.isCurrent('c', 1)).toBe(false);
  });

  it('looks again at once for a token newer than the cached generation (issued after a revocation)', async () => {
    let generation: number | null = 3;
    let lookups = 0;
    const generations = new TokenGenerations(async () => { lookups++; return generation; }, 5_000, () => 0);
    expect(await generations.isCurrent('c', 3)).toBe(true);
    generation = 4;
    expect(await generations.isCurrent('c', 4)).toBe(true);
    expect(lookups).toBe(2);
    expect(await generations.isCurrent('c', 3)).toBe(false); // the entry was refreshed
    expect(lookups).toBe(2);
    // Older tokens never cause a lookup: only a newer generation than the cached one can be a stale entry.
    expect(await generations.isCurrent('c', 2)).toBe(false);
    expect(lookups).toBe(2);
  });
});
