import type { FastifyInstance } from 'fastify';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { SCOPES } from '../../src/auth/scopes.js';
import type { SigningKeys } from '../../src/auth/signing-keys.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { seededApp } from '../support/app.js';

/** Document size, tokens, aliases and fields: refused while parsing, tighter without a token. */
let db: Database;
let keys: SigningKeys;
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  ({ db, app, keys, token } = await seededApp({ schools: 1, students: 10, seed: 3, classSize: 5, classesPerStudent: 2 }, [SCOPES['roster.readonly']]));
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

const post = (query: string, bearer?: string) => app.inject({
  method: 'POST', url: '/graphql', payload: { query },
  headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
});
const aliases = (n: number, field = '__typename') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

async function refused(query: string, limit: string, bearer?: string) {
  const res = await post(query, bearer);
  expect(res.statusCode).toBe(400);
  const body = res.json();
  expect(body.data).toBeUndefined();
  expect(body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
  expect(body.errors[0].message).toContain(limit);
  return body;
}

describe('GraphQL document limits', () => {
  it('a 9 MB document of __typename aliases is refused unread (body limit), one over the length limit by its length', async () => {
    const huge = aliases(500_000);
    expect(huge.length).toBeGreaterThan(9_000_000);
    const started = performance.now();
    for (const bearer of [undefined, token]) {
      const res = await post(huge, bearer);
      expect(res.statusCode).toBe(413); // MAX_BODY_BYTES comes first
      expect(res.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    expect(performance.now() - started).toBeLessThan(8000);
    const long = aliases(8_000); // over GRAPHQL_MAX_DOCUMENT_CHARS (100,000), under MAX_BODY_BYTES
    expect(long.length).toBeGreaterThan(100_000);
    await refused(long, 'GRAPHQL_MAX_DOCUMENT_CHARS');
    await refused(long, 'GRAPHQL_MAX_DOCUMENT_CHARS', token);
  });

  it('aliases: 11 are refused without a token, served with one; 201 are refused with one', async () => {
    await refused(aliases(11), 'GRAPHQL_MAX_ALIASES');
    const served = await post(aliases(11, 'schools { totalCount }'), token);
    expect(served.json().errors).toBeUndefined();
    expect(served.json().data.a10.totalCount).toBe(1);
    await refused(aliases(201), 'GRAPHQL_MAX_ALIASES', token);
  });

  it('fields count __typename and every spread of a fragment', async () => {
    const fragment = `fragment F on Query { ${Array.from({ length: 100 }, () => '__typename').join(' ')} }`;
    const spreads = (n: number) => `{ ${Array.from({ length: n }, () => '...F').join(' ')} } ${fragment}`;
    // 100 fields without a token is within 500; 6 spreads make 600.
    expect((await post(spreads(1))).json().errors).toBeUndefined();
    await refused(spreads(6), 'GRAPHQL_MAX_FIELDS');
    expect((await post(spreads(6), token)).json().errors).toBeUndefined();
    await refused(spreads(51), 'GRAPHQL_MAX_FIELDS', token);
  });

  it('tokens: refused while parsing', async () => {
    const many = `{ ${'x '.repeat(1_001)}}`;
    await refused(many, 'GRAPHQL_MAX_TOKENS');
  });

  it('a document parsed (and cached) for a signed-in request is still checked for an anonymous one', async () => {
    const query = aliases(20);
    expect((await post(query, token)).json().errors).toBeUndefined();
    await refused(query, 'GRAPHQL_MAX_ALIASES');
  });

  it('the full introspection query (GraphiQL\'s) passes without a token', async () => {
    const res = await post(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }));
    expect(res.json().errors).toBeUndefined();
    expect(res.json().data.__schema.types.length).toBeGreaterThan(50);
  });

  it('the limits come from the configuration', async () => {
    const strict = await buildApp({ db, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent', GRAPHQL_ANONYMOUS_MAX_ALIASES: '2' }), keys });
    try {
      const res = await strict.inject({ method: 'POST', url: '/graphql', payload: { query: aliases(3) } });
      expect(res.json().errors[0].extensions.limit).toBe('GRAPHQL_MAX_ALIASES');
    } finally { await strict.close(); }
  });
});
