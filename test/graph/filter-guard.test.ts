import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { SCOPES, V1P1_SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from '../support/db.js';

/** Filters and sorts: size limits, the caller's scopes on every relation a filter reaches, no secrets. */
let db: Database;
let keys: SigningKeys;
let app: FastifyInstance;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  db = await testDatabase();
  await seedDistrict(db.orm.em, { schools: 1, students: 10, seed: 3, classSize: 5, classesPerStudent: 2 });
  keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
  app = await buildApp({ db, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent' }), keys });
  const issue = async (scopes: string[]) => (await issueAccessToken(keys, { clientId: 't', scopes, ttlSeconds: 600 })).access_token;
  tokens.roster = await issue([SCOPES['roster.readonly']]);
  tokens.rosterV1p1 = await issue([V1P1_SCOPES['roster.readonly']]);
  tokens.rosterAndResources = await issue([SCOPES['roster.readonly'], SCOPES['resource.readonly']]);
  tokens.rosterAndResourcesV1p1 = await issue([V1P1_SCOPES['roster.readonly'], V1P1_SCOPES['resource.readonly']]);
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

const rest = (url: string, token: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
const graphql = (query: string, token: string, variables?: Record<string, unknown>) => app.inject({
  method: 'POST', url: '/graphql', payload: { query, variables },
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
});
const RESOURCE_FILTER = `filter=${encodeURIComponent("resources.title~'a'")}`;
const V1P2 = ['/ims/oneroster/rostering/v1p2/classes', '/ims/oneroster/rostering/v1p2/users', '/ims/oneroster/rostering/v1p2/courses'];
const V1P1 = ['/ims/oneroster/v1p1/classes', '/ims/oneroster/v1p1/users', '/ims/oneroster/v1p1/courses'];

describe('filters on relations the caller may not read', () => {
  it('REST: a roster-only token cannot filter on resources (403 imsx), v1.2 and v1.1; with the resource scope it can', async () => {
    for (const [paths, denied, allowed] of [[V1P2, tokens.roster, tokens.rosterAndResources], [V1P1, tokens.rosterV1p1, tokens.rosterAndResourcesV1p1]] as const) {
      for (const path of paths) {
        const res = await rest(`${path}?${RESOURCE_FILTER}`, denied);
        expect(res.statusCode, path).toBe(403);
        const status = res.json().imsx_statusInfo ?? res.json();
        expect(JSON.stringify(status)).toMatch(/forbidden|unauthori[sz]ed/);
        expect(JSON.stringify(status)).toMatch(/Resource/);
        expect((await rest(`${path}?${RESOURCE_FILTER}`, allowed)).statusCode, path).toBe(200);
        // A filter on the endpoint's own fields stays allowed.
        expect((await rest(`${path}?filter=${encodeURIComponent("sourcedId!='x'")}`, denied)).statusCode, path).toBe(200);
      }
    }
  });

  it('GraphQL: a relation filter needs its target type\'s scope, in literals, variables and nested connections', async () => {
    const literal = (await graphql('{ users(filter: { resources: { title: { contains: "a" } } }) { totalCount } }', tokens.roster)).json();
    expect(literal.data).toBeFalsy();
    expect(literal.errors[0].extensions.code).toBe('FORBIDDEN');
    const variables = (await graphql('query($f: UserFilter) { users(filter: $f) { totalCount } }', tokens.roster,
      { f: { OR: [{ givenName: { eq: 'x' } }, { resources: { title: { contains: 'a' } } }] } })).json();
    expect(variables.errors[0].extensions.code).toBe('FORBIDDEN');
    const nested = (await graphql('{ schools { nodes { classes(filter: { resources: { title: { contains: "a" } } }) { totalCount } } } }', tokens.roster)).json();
    expect(nested.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(nested.data).toBeFalsy();
    const allowed = (await graphql('{ users(filter: { resources: { title: { contains: "a" } } }) { totalCount } }', tokens.rosterAndResources)).json();
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data.users.totalCount).toEqual(expect.any(Number));
  });
});

describe('no filter or sort on password', () => {
  it('REST: 400', async () => {
    const filtered = await rest(`/ims/oneroster/rostering/v1p2/users?filter=${encodeURIComponent("password='x'")}`, tokens.roster);
    expect(filtered.statusCode).toBe(400);
    expect(filtered.body).toMatch(/password/);
    const sorted = await rest('/ims/oneroster/rostering/v1p2/users?sort=password', tokens.roster);
    expect(sorted.statusCode).toBe(400);
    expect((await rest('/ims/oneroster/v1p1/users?sort=password', tokens.rosterV1p1)).statusCode).toBe(400);
  });

  it('GraphQL: coded errors, also inside NOT and relation filters', async () => {
    const filter = (await graphql('{ users(filter: { NOT: { password: { gt: "m" } } }) { totalCount } }', tokens.roster)).json();
    expect(filter.errors[0].extensions.code).toBe('INVALID_FILTER_FIELD');
    const nested = (await graphql('{ classes(filter: { students: { password: { eq: "x" } } }) { totalCount } }', tokens.roster)).json();
    expect(nested.errors[0].extensions.code).toBe('INVALID_FILTER_FIELD');
    const sort = (await graphql('{ users(orderBy: [{ field: password }]) { totalCount } }', tokens.roster)).json();
    expect(sort.errors[0].extensions.code).toBe('INVALID_SORT_FIELD');
  });
});

describe('filter size', () => {
  const ors = (n: number) => Array.from({ length: n }, (_, i) => `familyName='n${i}'`).join(' OR ');

  it('REST: more than MAX_FILTER_PREDICATES predicates is a 400 naming the limit; 100 pass', async () => {
    const res = await rest(`/ims/oneroster/rostering/v1p2/users?filter=${encodeURIComponent(ors(101))}`, tokens.roster);
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/MAX_FILTER_PREDICATES/);
    expect(res.body).toMatch(/invalid_filter_field/);
    expect((await rest(`/ims/oneroster/rostering/v1p2/users?filter=${encodeURIComponent(ors(100))}`, tokens.roster)).statusCode).toBe(200);
  });

  it('GraphQL: predicates and depth, coded FILTER_TOO_COMPLEX', async () => {
    const or = (n: number) => ({ OR: Array.from({ length: n }, (_, i) => ({ familyName: { eq: `n${i}` } })) });
    const q = 'query($f: UserFilter) { users(filter: $f) { totalCount } }';
    const big = (await graphql(q, tokens.roster, { f: or(101) })).json();
    expect(big.errors[0].extensions).toMatchObject({ code: 'FILTER_TOO_COMPLEX', limit: 'MAX_FILTER_PREDICATES' });
    expect((await graphql(q, tokens.roster, { f: or(100) })).json().errors).toBeUndefined();
    let deep: Record<string, unknown> = { familyName: { eq: 'x' } };
    for (let i = 0; i < 11; i++) deep = { NOT: deep };
    const tooDeep = (await graphql(q, tokens.roster, { f: deep })).json();
    expect(tooDeep.errors[0].extensions).toMatchObject({ code: 'FILTER_TOO_COMPLEX', limit: 'MAX_FILTER_DEPTH' });
  });

  it('the limits come from the configuration', async () => {
    const strict = await buildApp({ db, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent', MAX_FILTER_PREDICATES: '2' }), keys });
    try {
      const res = await strict.inject({ method: 'GET', url: `/ims/oneroster/rostering/v1p2/users?filter=${encodeURIComponent(ors(3))}`, headers: { authorization: `Bearer ${tokens.roster}` } });
      expect(res.statusCode).toBe(400);
      expect(res.body).toMatch(/limit of 2/);
    } finally { await strict.close(); }
  });
});
