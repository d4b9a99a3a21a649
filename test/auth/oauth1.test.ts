import type { FastifyInstance } from 'fastify';
import { OAuth as IndependentSigner } from 'oauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { collectParameters, hmacSha256Signature, signatureBaseString } from '../../src/auth/oauth1.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { bearer, testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

describe('OAuth 1.0a signature base string', () => {
  it('matches the worked example of RFC 5849 §3.4.1.1 (header, query and form body parameters)', () => {
    const { protocol, signed } = collectParameters({
      method: 'POST',
      url: 'http://example.com/request',
      query: 'b5=%3D%253D&a3=a&c%40=&a2=r%20b',
      authorization: 'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", '
        + 'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"',
      formBody: 'c2&a3=2+q',
    });
    expect(protocol.get('oauth_signature')).toBe('bYT5CMsGcbgUdFHObYMEfcx6bsw=');
    expect(signatureBaseString('POST', 'HTTP://Example.com:80/request', signed)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26'
      + 'oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26'
      + 'oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7');
  });

  it('refuses a URL that cannot be normalised as a malformed request, not a server error', () => {
    expect(() => signatureBaseString('GET', 'http://bad host/x', [])).toThrow(/cannot be normalised/);
  });

  it('refuses a protocol parameter sent twice', () => {
    expect(() => collectParameters({ method: 'GET', url: 'http://x/', query: 'oauth_nonce=a', authorization: 'OAuth oauth_nonce="b"' }))
      .toThrow(/oauth_nonce is repeated/);
  });
});

describe('OAuth 1.0a on the v1.1 REST paths', () => {
  let db: Database;
  let app: FastifyInstance;
  let client: { client_id: string; client_secret: string };
  const HOST = 'sis.example:8443';
  const url = (path: string) => `http://${HOST}${path}`;

  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, { schools: 1, students: 10, seed: 3 });
    ({ app } = await testApp(db));
    client = await new ClientStore(db.orm.em).add('legacy-sis', ['v1p1/roster-core.readonly']);
  });
  afterAll(async () => { await app?.close(); await db?.close(); });

  /** Signed by the `oauth` package, independent of the server's `oauth-1.0a`. */
  const signer = (secret = client.client_secret, timestamp?: number) => {
    const s = new IndependentSigner('', '', client.client_id, secret, '1.0', null, 'HMAC-SHA256');
    // The package has no option for the timestamp; its own method is replaced to sign a stale request.
    if (timestamp !== undefined) (s as unknown as { _getTimestamp: () => number })._getTimestamp = () => timestamp;
    return s;
  };
  const get = (path: string, headers: Record<string, string> = {}, remoteAddress = '10.1.0.1') =>
    app.inject({ method: 'GET', url: path, headers: { host: HOST, ...headers }, remoteAddress });
  const signedGet = (path: string, s = signer()) => get(path, { authorization: s.authHeader(url(path), '', '', 'GET') });

  const expect401 = (res: Awaited<ReturnType<typeof get>>, description: RegExp) => {
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('OAuth realm="oneroster-graph"');
    const status = res.json() as { imsx_codeMajor: string; imsx_severity: string; imsx_description: string };
    expect(status).toMatchObject({ imsx_codeMajor: 'failure', imsx_severity: 'error' });
    expect(status.imsx_description).toMatch(description);
  };

  it('accepts a request signed in the Authorization header, with the client\'s scopes', async () => {
    const res = await signedGet('/ims/oneroster/v1p1/orgs?limit=1&offset=0');
    expect(res.statusCode).toBe(200);
    expect((res.json() as { orgs: unknown[] }).orgs).toHaveLength(1);
    // roster-core only: demographics stay closed.
    expect((await signedGet('/ims/oneroster/v1p1/demographics')).statusCode).toBe(403);
  });

  it('accepts the protocol parameters in the query string', async () => {
    const signedUrl = new URL(signer().signUrl(url('/ims/oneroster/v1p1/schools?limit=1'), '', '', 'GET'));
    const res = await get(signedUrl.pathname + signedUrl.search);
    expect(res.statusCode).toBe(200);
  });

  it('refuses a wrong secret, a changed query parameter, a reused nonce and a stale timestamp', async () => {
    expect401(await signedGet('/ims/oneroster/v1p1/orgs', signer('not-the-secret')), /signature refused/);

    const header = signer().authHeader(url('/ims/oneroster/v1p1/orgs?limit=1'), '', '', 'GET');
    expect401(await get('/ims/oneroster/v1p1/orgs?limit=2', { authorization: header }), /signature refused/);

    const once = signer().authHeader(url('/ims/oneroster/v1p1/orgs'), '', '', 'GET');
    expect((await get('/ims/oneroster/v1p1/orgs', { authorization: once })).statusCode).toBe(200);
    expect401(await get('/ims/oneroster/v1p1/orgs', { authorization: once }), /already used/);

    const stale = signer(client.client_secret, Math.floor(Date.now() / 1000) - 3600);
    expect401(await signedGet('/ims/oneroster/v1p1/orgs', stale), /oauth_timestamp/);
  });

  it('refuses a replay on another process sharing the database', async () => {
    const other = (await testApp(db)).app;
    try {
      const path = '/ims/oneroster/v1p1/orgs';
      const authorization = signer().authHeader(url(path), '', '', 'GET');
      expect((await get(path, { authorization })).statusCode).toBe(200);
      const replay = await other.inject({ method: 'GET', url: path, headers: { host: HOST, authorization } });
      expect(replay.statusCode).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('refuses HMAC-SHA1 and OAuth 1.0a on the v1.2 paths; bearer tokens keep working on v1.1', async () => {
    const sha1 = new IndependentSigner('', '', client.client_id, client.client_secret, '1.0', null, 'HMAC-SHA1');
    expect401(await signedGet('/ims/oneroster/v1p1/orgs', sha1), /HMAC-SHA256/);

    const v1p2 = await signedGet('/ims/oneroster/rostering/v1p2/orgs');
    expect(v1p2.statusCode).toBe(401);
    expect((v1p2.json() as { imsx_description: string }).imsx_description).toMatch(/not a Bearer token/);

    const keys = (await testApp(db)).keys;
    const res = await get('/ims/oneroster/v1p1/orgs?limit=1', { authorization: await bearer(keys, ['https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly']) });
    expect(res.statusCode).toBe(200);
  });

  it('counts bad signatures towards the failure limiter (429 with the imsx body)', async () => {
    const path = '/ims/oneroster/v1p1/orgs';
    for (let i = 0; i < 5; i++) {
      expect((await get(path, { authorization: signer('wrong').authHeader(url(path), '', '', 'GET') }, '10.1.9.9')).statusCode).toBe(401);
    }
    const blocked = await get(path, { authorization: signer().authHeader(url(path), '', '', 'GET') }, '10.1.9.9');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ imsx_codeMajor: 'failure' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // The same client from an address without failures is not refused.
    expect((await signedGet(path)).statusCode).toBe(200);
  });

  it('computes the signature the independent client library computes', () => {
    const signedUrl = new URL(signer().signUrl(url('/ims/oneroster/v1p1/orgs?x=a+b'), '', '', 'GET'));
    const { protocol, signed } = collectParameters({ method: 'GET', url: url(signedUrl.pathname), query: signedUrl.search.slice(1) });
    expect(hmacSha256Signature(signatureBaseString('GET', url(signedUrl.pathname), signed), client.client_secret)).toBe(protocol.get('oauth_signature'));
  });
});
