import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../src/auth/failure-limiter.js';
import { ADMIN_SCOPE, SCOPES } from '../../src/auth/scopes.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { tokenRoute, type ClientLookup, type ClientRecord } from '../../src/auth/token-route.js';
import { verifyAccessToken } from '../../src/auth/tokens.js';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { testDatabase } from '../support/db.js';

const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(48) } });
const SECRET = 'Zq3-secret_value-0123456789abcdefghijklmnop';
// Characters that must be form-urlencoded inside HTTP Basic (RFC 6749 §2.3.1).
const ODD_ID = 'odd:client id';
const ODD_SECRET = 'p@ss+w%rd/é:x';
const clientScopes = [SCOPES['roster.readonly'], SCOPES['roster-core.readonly'], ADMIN_SCOPE];

let records: ClientRecord[];
// The limiter counts in the database, shared by every instance.
let db: Database;
afterAll(async () => { await db?.close(); });
beforeAll(async () => {
  db = await testDatabase();
  records = [
    { clientId: 'c1', secretHash: await hashSecret(SECRET), scopes: clientScopes },
    { clientId: 'c2', secretHash: await hashSecret(SECRET), scopes: [SCOPES['gradebook.readonly']] },
    { clientId: ODD_ID, secretHash: await hashSecret(ODD_SECRET), scopes: [SCOPES['resource.readonly']] },
    { clientId: 'none', secretHash: await hashSecret(SECRET), scopes: [] },
  ];
});
const clients: ClientLookup = { find: async (id) => records.find((r) => r.clientId === id) ?? null };

let app: FastifyInstance;
let logs: string;
let clock: { t: number };

async function build(limiterOpts: { maxFailures?: number } = {}): Promise<FastifyInstance> {
  logs = '';
  clock = { t: 1_000_000 };
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  app = Fastify({ logger: { level: 'trace', stream } });
  await runSql(db.orm.em.fork(), 'delete from auth_failures');
  const limiter = new FailureLimiter(db.orm.em, { ...limiterOpts, now: () => clock.t });
  await app.register(tokenRoute({ keys, clients, ttlSeconds: 900, limiter, issuer: 'https://or.test' }));
  await app.ready();
  return app;
}
afterEach(async () => {
  await app?.close();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) =>
  'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');

function post(body: string | undefined, headers: Record<string, string> = {}, remoteAddress = '10.0.0.1') {
  return app.inject({
    method: 'POST',
    url: '/oauth/token',
    remoteAddress,
    headers: body === undefined ? headers : { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: body,
  });
}

describe('POST /oauth/token — success', () => {
  it('HTTP Basic: issues a Bearer token with all the client scopes when none are requested', async () => {
    await build();
    const res = await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', SECRET) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: clientScopes.join(' ') });
    const verified = await verifyAccessToken(keys, body.access_token, { issuer: 'https://or.test' });
    expect(verified).toMatchObject({ clientId: 'c1', scopes: new Set(clientScopes) });
    // Neither the secret nor the token is logged.
    expect(logs).toContain('access token issued');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(body.access_token);
  });

  it('form-body credentials work too', async () => {
    await build();
    const res = await post(form({ grant_type: 'client_credentials', client_id: 'c2', client_secret: SECRET }));
    expect(res.statusCode).toBe(200);
    expect(res.json().scope).toBe(SCOPES['gradebook.readonly']);
  });

  it('Basic credentials are URL-decoded (RFC 6749 §2.3.1)', async () => {
    await build();
    const res = await post(form({ grant_type: 'client_credentials' }), { authorization: basic(ODD_ID, ODD_SECRET) });
    expect(res.statusCode).toBe(200);
    expect((await verifyAccessToken(keys, res.json().access_token)).clientId).toBe(ODD_ID);
  });

  it('tolerates a body client_id equal to the Basic one', async () => {
    await build();
    const res = await post(form({ grant_type: 'client_credentials', client_id: 'c1' }), { authorization: basic('c1', SECRET) });
    expect(res.statusCode).toBe(200);
  });

  it('grants a requested subset, short names or full URIs', async () => {
    await build();
    const res = await post(form({ grant_type: 'client_credentials', scope: `roster-core.readonly ${ADMIN_SCOPE}` }), {
      authorization: basic('c1', SECRET),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().scope).toBe(`${SCOPES['roster-core.readonly']} ${ADMIN_SCOPE}`);
    const { scopes } = await verifyAccessToken(keys, res.json().access_token);
    expect(scopes).toEqual(new Set([SCOPES['roster-core.readonly'], ADMIN_SCOPE]));
  });
});

describe('POST /oauth/token — errors (RFC 6749 §5.2)', () => {
  const expectError = (res: Awaited<ReturnType<typeof post>>, status: number, error: string) => {
    expect(res.statusCode).toBe(status);
    expect(res.json().error).toBe(error);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).not.toContain(SECRET);
  };

  it('missing grant_type → invalid_request', async () => {
    await build();
    expectError(await post(form({}), { authorization: basic('c1', SECRET) }), 400, 'invalid_request');
    expectError(await post(undefined, { authorization: basic('c1', SECRET) }), 400, 'invalid_request');
  });

  it('other grant types → unsupported_grant_type', async () => {
    await build();
    const res = await post(form({ grant_type: 'password', username: 'u', password: 'p' }), { authorization: basic('c1', SECRET) });
    expectError(res, 400, 'unsupported_grant_type');
  });

  it('no client credentials → 401 invalid_client with WWW-Authenticate', async () => {
    await build();
    const res = await post(form({ grant_type: 'client_credentials' }));
    expectError(res, 401, 'invalid_client');
    expect(res.headers['www-authenticate']).toBe('Basic realm="oneroster-graph"');
  });

  it('wrong secret, unknown client, missing secret, bad Basic header → 401 invalid_client', async () => {
    await build();
    const cases = [
      post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', SECRET + 'x') }),
      post(form({ grant_type: 'client_credentials' }), { authorization: basic('nobody', SECRET) }),
      post(form({ grant_type: 'client_credentials', client_id: 'c1', client_secret: 'wrong' })),
      post(form({ grant_type: 'client_credentials', client_id: 'c1' })),
      post(form({ grant_type: 'client_credentials' }), { authorization: 'Basic !!!' }),
      post(form({ grant_type: 'client_credentials' }), { authorization: 'Basic ' + Buffer.from('no-colon').toString('base64') }),
      post(form({ grant_type: 'client_credentials' }), { authorization: 'Bearer abc' }),
    ];
    for (const res of await Promise.all(cases)) {
      expectError(res, 401, 'invalid_client');
      expect(res.headers['www-authenticate']).toBe('Basic realm="oneroster-graph"');
    }
    expect(logs).toContain('client authentication failed');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain('nobody'); // unknown ids are not logged (could be a pasted secret)
  });

  it('Basic plus a body secret (two auth methods) → invalid_request', async () => {
    await build();
    const res = await post(form({ grant_type: 'client_credentials', client_id: 'c1', client_secret: SECRET }), {
      authorization: basic('c1', SECRET),
    });
    expectError(res, 400, 'invalid_request');
  });

  it('scope outside the client grant, or unknown → invalid_scope', async () => {
    await build();
    const auth = { authorization: basic('c1', SECRET) };
    expectError(await post(form({ grant_type: 'client_credentials', scope: 'roster.readonly gradebook.readonly' }), auth), 400, 'invalid_scope');
    expectError(await post(form({ grant_type: 'client_credentials', scope: 'roster.everything' }), auth), 400, 'invalid_scope');
    expectError(await post(form({ grant_type: 'client_credentials', scope: 'v1p1/roster.readonly' }), auth), 400, 'invalid_scope');
  });

  it('a client without scopes gets invalid_scope', async () => {
    await build();
    expectError(await post(form({ grant_type: 'client_credentials' }), { authorization: basic('none', SECRET) }), 400, 'invalid_scope');
  });

  it('non-form bodies, repeated parameters and URI parameters → invalid_request', async () => {
    await build();
    const auth = { authorization: basic('c1', SECRET) };
    expectError(
      await post(JSON.stringify({ grant_type: 'client_credentials' }), { ...auth, 'content-type': 'application/json' }),
      400,
      'invalid_request',
    );
    expectError(await post('grant_type=client_credentials', { ...auth, 'content-type': 'text/plain' }), 400, 'invalid_request');
    expectError(await post('grant_type=client_credentials&grant_type=client_credentials', auth), 400, 'invalid_request');
    const inUri = await app.inject({
      method: 'POST',
      url: '/oauth/token?client_id=c1&client_secret=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ grant_type: 'client_credentials' }),
    });
    expectError(inUri, 400, 'invalid_request');
  });
});

describe('POST /oauth/token — failure limiter', () => {
  it('five wrong secrets from five addresses do not lock the client out of a new address', async () => {
    await build();
    for (let i = 0; i < 5; i++) {
      const res = await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', 'bad') }, `10.0.1.${i}`);
      expect(res.statusCode).toBe(401);
    }
    const real = await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', SECRET) }, '10.0.2.1');
    expect(real.statusCode).toBe(200);
  });

  it('after 5 failures for a client from one address, that address gets 429 + Retry-After until the window passes', async () => {
    await build();
    for (let i = 0; i < 5; i++) {
      const res = await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', 'bad') }, '10.0.1.1');
      expect(res.statusCode).toBe(401);
    }
    clock.t += 10_000;
    const blocked = await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', SECRET) }, '10.0.1.1');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBe('50');
    expect(blocked.headers['cache-control']).toBe('no-store');
    // The same client from another address, and another client from there, are unaffected.
    expect((await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', SECRET) }, '10.0.2.1')).statusCode).toBe(200);
    expect((await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c2', SECRET) }, '10.0.2.1')).statusCode).toBe(200);

    clock.t += 50_000;
    const later = await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', SECRET) }, '10.0.1.1');
    expect(later.statusCode).toBe(200);
  });

  it('blocks a remote address that failed for several client ids; a success elsewhere does not reset it', async () => {
    await build();
    for (const id of ['a', 'b', 'c', 'd']) {
      expect((await post(form({ grant_type: 'client_credentials', client_id: id, client_secret: 'x' }))).statusCode).toBe(401);
    }
    // A valid credential from the same address does not clear the address counter.
    expect((await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', SECRET) })).statusCode).toBe(200);
    expect((await post(form({ grant_type: 'client_credentials', client_id: 'e', client_secret: 'x' }))).statusCode).toBe(401);
    const res = await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c2', SECRET) });
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // The same client from a different address still works.
    expect((await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c2', SECRET) }, '10.9.9.9')).statusCode).toBe(200);
  });

  it('request-shape and scope errors do not count as failures', async () => {
    await build();
    for (let i = 0; i < 6; i++) {
      expect((await post(form({ grant_type: 'password' }), { authorization: basic('c1', SECRET) })).statusCode).toBe(400);
      expect((await post(form({ grant_type: 'client_credentials', scope: 'gradebook.delete' }), { authorization: basic('c1', SECRET) })).statusCode).toBe(400);
    }
    expect((await post(form({ grant_type: 'client_credentials' }), { authorization: basic('c1', SECRET) })).statusCode).toBe(200);
  });
});
