import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/auth/scopes.js';
import type { SigningKeys } from '../../src/auth/signing-keys.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { bearer, graphql, testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

describe('GraphQL enforces the OneRoster scopes per type', () => {
  let db: Database;
  let app: FastifyInstance;
  let keys: SigningKeys;
  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, { schools: 1, students: 20, seed: 1 });
    ({ app, keys } = await testApp(db));
  });
  afterAll(async () => { await app?.close(); await db?.close(); });

  const codes = (body: { errors?: { extensions?: { code?: string } }[] }) => (body.errors ?? []).map((e) => e.extensions?.code);

  it('roster-core.readonly reads rosters but not demographics nor gradebook data', async () => {
    const core = await bearer(keys, [SCOPES['roster-core.readonly']]);
    const ok = await graphql(app, '{ users(first: 2) { nodes { sourcedId givenName } } }', core);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.users.nodes).toHaveLength(2);

    const demo = await graphql(app, '{ user(sourcedId: "student-000001") { givenName demographics { sex } } }', core);
    expect(codes(demo.body)).toEqual(['FORBIDDEN']);
    // The refused branch is null; the rest of the query is answered.
    expect(demo.body.errors![0].path).toEqual(['user', 'demographics']);
    expect(demo.body.data.user).toEqual({ givenName: expect.any(String), demographics: null });

    const grades = await graphql(app, '{ classes(first: 1) { nodes { title lineItems { nodes { title } } } } }', core);
    expect(codes(grades.body)).toContain('FORBIDDEN');
    expect(JSON.stringify(grades.body.data)).not.toContain('Homework');
  });

  it('the demographics and gradebook scopes open exactly their types', async () => {
    const token = await bearer(keys, [SCOPES['roster.readonly'], SCOPES['roster-demographics.readonly'], SCOPES['gradebook.readonly']]);
    const res = await graphql(app, `{ user(sourcedId: "student-000001") { demographics { sex } results(first: 1) { nodes { score } } } }`, token);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.user.demographics.sex).toBeTruthy();
    const assessments = await graphql(app, '{ assessmentLineItems { nodes { title } } }', token);
    expect(codes(assessments.body)).toEqual(['FORBIDDEN']);
  });

  it('without a token only introspection works; a bad token is 401', async () => {
    const intro = await graphql(app, '{ __schema { queryType { name } } }');
    expect(intro.body.data.__schema.queryType.name).toBe('Query');
    const anon = await graphql(app, '{ orgs { nodes { name } } }');
    expect(codes(anon.body)).toEqual(['FORBIDDEN']);
    const bad = await graphql(app, '{ __typename }', 'Bearer not.a.token');
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(bad.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
