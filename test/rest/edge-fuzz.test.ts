import type { InjectOptions } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { basePath, ENDPOINTS } from '../../src/rest/endpoints.js';
import { restFixture, sampleUrl, type RestFixture } from './support.js';

/**
 * Hostile input over every REST read of the endpoint table, the gradebook writes and the token
 * endpoint: NUL, invalid UTF-8 and bad percent-encoding, huge and deeply nested values, odd headers.
 * The only acceptable answers are 2xx and 4xx in the API's own error format, each within a time bound.
 */
let f: RestFixture;
let client: { client_id: string; client_secret: string };
beforeAll(async () => {
  f = await restFixture();
  client = await new ClientStore(f.db.orm.em).add('fuzz', ['roster-core.readonly']);
}, 60_000);
afterAll(async () => { await f?.close(); });

const TIME_BOUND_MS = 3000;
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}\u0000${b}`),
  fc.constantFrom('', '\u0000', 'a\u0000b', '\u202E', '\uD800', '\uFFFF', "'", '%', '%00', '%FF', '%E0%A4%A', '%C0%80', '..', '/'),
  fc.constantFrom('x'.repeat(300), 'x'.repeat(9000), '('.repeat(2000), `${'NOT '.repeat(500)}x`),
);
/** Every byte of the UTF-8 form percent-encoded (a lone surrogate becomes U+FFFD, as a client's encoder would make it). */
const percentEncoded = (t: string) => [...Buffer.from(t)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
/** A path segment or query value as it goes on the wire: percent-encoded, or raw with stray `%` sequences. */
const wire = fc.oneof(hostileText.map(percentEncoded), hostileText.map((t) => t.replace(/[\s#?&/]/g, '')));
const segment = fc.oneof(fc.constant(undefined), wire);
const PARAMS = ['limit', 'offset', 'sort', 'orderBy', 'filter', 'fields', 'x'];
const query = fc.array(fc.tuple(fc.constantFrom(...PARAMS), wire), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
const headers = fc.dictionary(fc.constantFrom('x-fuzz', 'accept', 'accept-language', 'if-none-match', 'content-type'),
  fc.oneof(fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')), fc.constant('x'.repeat(4000))), { maxKeys: 3 });

const deepText = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const body = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.constantFrom(deepText(200), deepText(5000), '{"lineItem":{"title":"a\\u0000"}}', '{', '', 'null', '[]'),
  hostileText.map((t) => JSON.stringify({ lineItem: { sourcedId: t, title: t, metadata: { [t]: t } } })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from([0x7b, 0x22, 0xff, 0xfe, ...bytes])),
);
const WRITE_PATHS = [
  ['PUT', '/ims/oneroster/gradebook/v1p2/lineItems/{id}'], ['PUT', '/ims/oneroster/gradebook/v1p2/results/{id}'],
  ['DELETE', '/ims/oneroster/gradebook/v1p2/categories/{id}'], ['POST', '/ims/oneroster/gradebook/v1p2/classes/{id}/lineItems'],
  ['PUT', '/ims/oneroster/v1p1/lineItems/{id}'],
] as const;

async function timed(opts: InjectOptions) {
  const started = performance.now();
  const res = await f.app.inject(opts);
  return { res, ms: performance.now() - started };
}

function expectImsxAnswer(res: { statusCode: number; body: string }, label: string) {
  expect(res.statusCode, label).toBeLessThan(500);
  if (res.statusCode < 400) return;
  const parsed = JSON.parse(res.body);
  expect(parsed.imsx_codeMajor, label).toBe('failure');
  expect(typeof parsed.imsx_CodeMinor.imsx_codeMinorField[0].imsx_codeMinorFieldValue, label).toBe('string');
}

it('every REST read and write answers 2xx or 4xx with the imsx body, in time', async () => {
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...ENDPOINTS), fc.array(segment, { minLength: 3, maxLength: 3 }), fc.boolean(), query, headers,
    async (endpoint, segments, slash, search, extra) => {
      let n = 0;
      const sample = sampleUrl(endpoint).slice(basePath(endpoint.service, endpoint.version).length).split('/');
      const path = endpoint.path.split('/').map((part, i) => (part.startsWith('{') ? segments[n++] ?? sample[i] : part)).join('/');
      const url = `${basePath(endpoint.service, endpoint.version)}${path}${slash ? '/' : ''}${search ? `?${search}` : ''}`;
      const { res, ms } = await timed({ method: 'GET', url, headers: extra });
      expectImsxAnswer(res, `GET ${url.slice(0, 200)} → ${res.body.slice(0, 200)}`);
      expect(ms).toBeLessThan(TIME_BOUND_MS);
    },
  ), { numRuns: 250 });

  await fc.assert(fc.asyncProperty(fc.constantFrom(...WRITE_PATHS), segment, body, headers, async ([method, template], id, payload, extra) => {
    const url = template.replace('{id}', id ?? 'fuzz-1');
    const { res, ms } = await timed({ method, url, payload, headers: { 'content-type': 'application/json', ...extra } });
    expectImsxAnswer(res, `${method} ${url.slice(0, 200)} → ${res.body.slice(0, 200)}`);
    expect(ms).toBeLessThan(TIME_BOUND_MS);
  }), { numRuns: 150 });
}, 120_000);

it('the token endpoint answers 2xx or 4xx with the RFC 6749 body, in time', async () => {
  const names = fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'x');
  const param = fc.oneof(hostileText, fc.constantFrom('client_credentials', 'roster-core.readonly'));
  const formBody = fc.oneof(
    fc.array(fc.tuple(names, param), { maxLength: 5 }).map((pairs) => new URLSearchParams(pairs).toString()),
    fc.array(fc.tuple(names, wire), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    fc.constant(`grant_type=client_credentials&client_id=${client.client_id}&client_secret=${client.client_secret}`),
    fc.tuple(hostileText, hostileText).map(([id, secret]) => new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }).toString()),
    fc.constant('x'.repeat(10_000)),
  );
  const authorization = fc.oneof(fc.constant(undefined),
    fc.uint8Array({ maxLength: 40 }).map((b) => `Basic ${Buffer.from(b).toString('base64')}`),
    fc.tuple(hostileText, hostileText).map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`));
  const contentType = fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data');
  // A fresh remote address per case, so the failure limiter's 429 does not hide what follows it.
  const remoteAddress = fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.9.${a}.${b}`);
  await fc.assert(fc.asyncProperty(formBody, authorization, contentType, fc.option(query), remoteAddress, async (payload, auth, type, search, ip) => {
    const url = `/oauth/token${search ? `?${search}` : ''}`;
    const { res, ms } = await timed({ method: 'POST', url, payload, remoteAddress: ip, headers: { 'content-type': type, ...(auth ? { authorization: auth } : {}) } });
    const label = `${url.slice(0, 100)} ${payload.slice(0, 100)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
    expect(res.statusCode, label).toBeLessThan(500);
    expect(typeof JSON.parse(res.body)[res.statusCode < 400 ? 'access_token' : 'error'], label).toBe('string');
    expect(ms).toBeLessThan(TIME_BOUND_MS);
  }), { numRuns: 150 });

  // Well-formed requests whose credentials are hostile reach the client lookup.
  await fc.assert(fc.asyncProperty(hostileText, hostileText, remoteAddress, async (id, secret, ip) => {
    const payload = new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }).toString();
    const { res, ms } = await timed({ method: 'POST', url: '/oauth/token', payload, remoteAddress: ip, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode, `${payload.slice(0, 100)} → ${res.body.slice(0, 200)}`).toBeLessThan(500);
    expect(typeof JSON.parse(res.body).error).toBe('string');
    expect(ms).toBeLessThan(TIME_BOUND_MS);
  }), { numRuns: 100 });
}, 120_000);
