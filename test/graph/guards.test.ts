import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/db/config.js';
import { openDatabase, type Database } from '../../src/db/orm.js';
import { run as runStatement, sql } from '../../src/db/sql.js';
import { createContext } from '../../src/graph/context.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { onServer, testDatabase } from '../support/db.js';
import { run, WIDE_LIMITS } from './support.js';

/** Depth and complexity limits, the statement timeout, GraphiQL, and coded scope errors. */
let db: Database;
let keys: SigningKeys;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  db = await testDatabase();
  await seedDistrict(db.orm.em, { schools: 1, students: 10, seed: 3, classSize: 5, classesPerStudent: 2 });
  keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await db?.close();
});

async function app(env: Record<string, string> = {}) {
  const a = await buildApp({ db, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent', ...env }), keys });
  apps.push(a);
  return a;
}
const post = (a: FastifyInstance, query: string, token?: string) => a.inject({
  method: 'POST', url: '/graphql', payload: { query },
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
});

const DEEP = '{ schools { nodes { classes { nodes { enrollments { nodes { user { sourcedId } } } } } } } }';
const SHALLOW = '{ schools { nodes { sourcedId } } }';

describe('depth and complexity limits', () => {
  it('a query deeper than maxDepth fails with QUERY_TOO_COMPLEX; a shallow one passes', async () => {
    const limits = { ...WIDE_LIMITS, maxDepth: 4 };
    const deep = await run(db, DEEP, { limits });
    expect(deep.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(deep.errors?.[0].message).toMatch(/depth/);
    expect(deep.statements).toBe(0);
    expect((await run(db, SHALLOW, { limits })).errors).toBeUndefined();
  });

  it('a query over maxComplexity fails with QUERY_TOO_COMPLEX; page sizes count', async () => {
    const limits = { ...WIDE_LIMITS, maxComplexity: 60 };
    const big = await run(db, '{ users(first: 100) { nodes { sourcedId } } }', { limits });
    expect(big.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(big.errors?.[0].message).toMatch(/complexity/);
    expect((await run(db, '{ users(first: 5) { nodes { sourcedId } } }', { limits })).errors).toBeUndefined();
  });

  it('the limits come from the configuration (GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_COMPLEXITY)', async () => {
    const strict = await app({ AUTH: 'off', GRAPHQL_MAX_DEPTH: '4' });
    const res = await post(strict, DEEP);
    expect(res.json().errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    const lax = await app({ AUTH: 'off', GRAPHQL_MAX_DEPTH: '12' });
    expect((await post(lax, DEEP)).json().errors).toBeUndefined();
    // The served app caps page sizes by the table's rows (src/graph/cost.ts): more than ten users of three fields each.
    const cheap = await app({ AUTH: 'off', GRAPHQL_MAX_COMPLEXITY: '10' });
    const refused = (await post(cheap, '{ users(first: 100) { nodes { sourcedId givenName } } }')).json();
    expect(refused.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(refused.errors[0].message).toMatch(/exceeds the limit of 10$/);
  });
});

describe('statement timeout', () => {
  let short: Database;
  beforeAll(async () => {
    // A second handle on the same database whose connections carry a 300 ms statement timeout.
    const url = onServer() ? db.orm.config.get('clientUrl') : undefined;
    short = await openDatabase({ databaseUrl: url, dataDir: '', embeddedConnections: 2, statementTimeoutMs: 300 }, { inMemory: true, migrate: false });
  });
  afterAll(async () => { await short?.close(); });

  const ctx = () => createContext({ em: short.orm.em, scopes: new Set(), limits: WIDE_LIMITS });

  it('is set on every connection of the pool', async () => {
    const c = ctx();
    const rows = await Promise.all([1, 2].map(() => c.exec(sql`show statement_timeout`)));
    for (const r of rows) expect(r[0].statement_timeout).toBe('300ms');
    expect((await runStatement(db.orm.em.fork(), sql`show statement_timeout`))[0].statement_timeout).toBe('30s');
  });

  it('every connection has PostgreSQL\'s JIT off (it costs short page queries seconds of compiling)', async () => {
    const c = ctx();
    const rows = await Promise.all([1, 2].map(() => c.exec(sql`show jit`)));
    for (const r of rows) expect(r[0].jit).toBe('off');
  });

  if (onServer()) {
    it('PostgreSQL server: a slow statement is cancelled (SQLSTATE 57014, coded TIMEOUT)', async () => {
      const started = performance.now();
      await expect(ctx().exec(sql`select pg_sleep(3)`)).rejects.toMatchObject({ extensions: { code: 'TIMEOUT' } });
      expect(performance.now() - started).toBeLessThan(2500);
    });
  } else {
    // PGlite runs single-threaded in WebAssembly without timer signals: it accepts and reports the
    // setting but never interrupts a statement. Only the server deployment is protected by it.
    it('embedded PGlite: the setting is accepted but a slow statement runs to completion', async () => {
      const started = performance.now();
      const rows = await ctx().exec(sql`select pg_sleep(0.6) as slept`);
      expect(rows).toHaveLength(1);
      expect(performance.now() - started).toBeGreaterThanOrEqual(550);
    });
  }
});

describe('GraphiQL, introspection and scopes over HTTP', () => {
  let secured: FastifyInstance;
  beforeAll(async () => { secured = await app(); });

  it('GET /graphql for a browser serves GraphiQL with the demo query', async () => {
    const res = await secured.inject({ method: 'GET', url: '/graphql', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/graphiql/i);
    expect(res.body).toContain('query Dashboard');
    expect(res.body).toContain('schools(first: 3');
  });

  it('GraphiQL loads nothing from another origin (it works without internet access)', async () => {
    const page = (await secured.inject({ method: 'GET', url: '/graphql', headers: { accept: 'text/html' } })).body;
    // Every URL the page's markup loads (inline scripts aside) is a data: URI or on this origin.
    const markup = page.replace(/<script>[\s\S]*?<\/script>/g, '<script></script>');
    const urls = [...markup.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!);
    expect(urls.filter((u) => /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(u) && !u.startsWith('data:'))).toEqual([]);
    expect(markup).not.toMatch(/<script[^>]+src=/i);
    // The editor's workers and styles come inline too, not from a CDN.
    expect(page).not.toMatch(/unpkg\.com|jsdelivr|raw\.githubusercontent|cdnjs/);
    expect(page).toContain('YogaGraphiQL.renderYogaGraphiQL');
  });

  it('introspection works without a token', async () => {
    const res = await post(secured, '{ __schema { queryType { name } types { name } } }');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.errors).toBeUndefined();
    expect(body.data.__schema.queryType.name).toBe('Query');
    expect(body.data.__schema.types.map((t: { name: string }) => t.name)).toContain('LineItem');
  });

  it('data without a token, or outside the token\'s scopes, is FORBIDDEN; within them it is served', async () => {
    const anonymous = (await post(secured, SHALLOW)).json();
    expect(anonymous.errors[0].extensions.code).toBe('FORBIDDEN');
    const { access_token: gradebook } = await issueAccessToken(keys, { clientId: 't', scopes: [SCOPES['gradebook.readonly']], ttlSeconds: 600 });
    const denied = (await post(secured, SHALLOW, gradebook)).json();
    expect(denied.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await post(secured, '{ categories { nodes { title } } }', gradebook)).json().data.categories.nodes).toHaveLength(3);
    const { access_token: roster } = await issueAccessToken(keys, { clientId: 't', scopes: [SCOPES['roster-core.readonly']], ttlSeconds: 600 });
    // Navigating into another service's records is refused there; the rest of the answer stays.
    const nested = (await post(secured, '{ classes(first: 1) { nodes { title lineItems { nodes { title } } } } }', roster)).json();
    expect(nested.data.classes.nodes[0].title).toEqual(expect.any(String));
    expect(nested.data.classes.nodes[0].lineItems).toBeNull();
    expect(nested.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(nested.errors[0].path).toEqual(['classes', 'nodes', 0, 'lineItems']);
  });

  it('a reference read only for its sourcedId needs no scope of the referenced type', async () => {
    const { access_token: gradebook } = await issueAccessToken(keys, { clientId: 't', scopes: [SCOPES['gradebook-core.readonly']], ttlSeconds: 600 });
    const refs = (await post(secured, '{ results(first: 2) { nodes { student { sourcedId } class { sourcedId } } } }', gradebook)).json();
    expect(refs.errors).toBeUndefined();
    expect(refs.data.results.nodes[0].student.sourcedId).toMatch(/^student-/);
    const names = (await post(secured, '{ results(first: 2) { nodes { score student { givenName } } } }', gradebook)).json();
    expect(names.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(names.data.results.nodes[0]).toEqual({ score: expect.any(Number), student: null });
  });
});
