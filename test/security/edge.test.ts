import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { closeEnv, gradebookEnv, ref, type GradebookEnv } from '../gradebook/support.js';

/**
 * The HTTP edge: errors raised before any route runs answer in the format of the API the path
 * belongs to, body limits apply before bodies are read, and NUL characters and deep nesting are
 * refused before any work.
 */
let env: GradebookEnv;
let token: string;
let client: { client_id: string; client_secret: string };
beforeAll(async () => {
  env = await gradebookEnv();
  token = await env.auth();
  client = await new ClientStore(env.db.orm.em).add('edge-test', ['roster-core.readonly']);
}, 60_000);
afterAll(async () => closeEnv(env));

const ROSTER = '/ims/oneroster/rostering/v1p2';
const GRADEBOOK = '/ims/oneroster/gradebook/v1p2';
const imsx = (body: any) => body?.imsx_CodeMinor?.imsx_codeMinorField?.[0]?.imsx_codeMinorFieldValue;

async function call(method: 'GET' | 'PUT' | 'POST', url: string, opts: { body?: string; type?: string; auth?: boolean } = {}) {
  const res = await env.app.inject({
    method, url, ...(opts.body === undefined ? {} : { payload: opts.body }),
    headers: { ...(opts.auth === false ? {} : { authorization: token }), ...(opts.type ? { 'content-type': opts.type } : {}) },
  });
  let body: any;
  try { body = res.json(); } catch { body = res.body; }
  return { status: res.statusCode, body, headers: res.headers };
}

const expectImsx = (res: { status: number; body: any }, status: number, codeMinor = 'invaliddata') => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.imsx_codeMajor).toBe('failure');
  expect(imsx(res.body)).toBe(codeMinor);
};
const expectGraphQLError = (res: { status: number; body: any }, status: number) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  expect(typeof res.body.errors[0].message).toBe('string');
};
const expectOAuthError = (res: { status: number; body: any }, status: number) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toBe('invalid_request');
  expect(typeof res.body.error_description).toBe('string');
};

const lineItem = (sourcedId: string, over: Record<string, unknown> = {}) => ({
  lineItem: {
    sourcedId, status: 'active', dateLastModified: '2025-01-01T00:00:00.000Z', title: 'Lab', assignDate: '2025-09-01T08:00:00.000Z',
    dueDate: '2025-09-08T08:00:00.000Z', class: ref('class', env.ids.classId), school: ref('org', env.ids.school),
    category: ref('category', env.ids.category), ...over,
  },
});
const result = (sourcedId: string, over: Record<string, unknown> = {}) => ({
  result: {
    sourcedId, status: 'active', dateLastModified: '2025-01-01T00:00:00.000Z', lineItem: ref('lineItem', env.ids.lineItem),
    student: ref('user', env.ids.students[0]!), scoreStatus: 'fully graded', score: 70, scoreDate: '2025-09-10', ...over,
  },
});
const nested = (depth: number, leaf: unknown, key = 'a'): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { [key]: value };
  return value;
};
const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const FORM = 'application/x-www-form-urlencoded';

describe('framework-level errors answer in the format of the API the path belongs to', () => {
  it('bad percent-encoding in a REST path: 400 imsx on v1.2 and v1.1', async () => {
    expectImsx(await call('GET', `${ROSTER}/users/%E0%A4%A`), 400);
    const v1p1 = await call('GET', '/ims/oneroster/v1p1/users/%FF');
    expectImsx(v1p1, 400, 'invalid data');
  });

  it('a URL over 8 KB: 414 with the imsx body, the GraphQL body, the RFC 6749 body', async () => {
    const long = 'x'.repeat(9000);
    expectImsx(await call('GET', `${ROSTER}/users?filter=${long}`), 414);
    expectGraphQLError(await call('GET', `/graphql?query=${long}`), 414);
    expectOAuthError(await call('POST', `/oauth/token?x=${long}`, { body: 'grant_type=client_credentials', type: FORM }), 414);
  });

  it('malformed JSON: 400 imsx on a REST write, BAD_USER_INPUT on GraphQL', async () => {
    expectImsx(await call('PUT', `${GRADEBOOK}/lineItems/li-x`, { body: '{"lineItem": ', type: 'application/json' }), 400);
    expectGraphQLError(await call('POST', '/graphql', { body: '{"query": ', type: 'application/json' }), 400);
  });

  it('an unsupported content type: 415 imsx on REST, GraphQL-shaped on /graphql, invalid_request on the token endpoint', async () => {
    expectImsx(await call('PUT', `${GRADEBOOK}/lineItems/li-x`, { body: '<lineItem/>', type: 'application/xml' }), 415);
    expectGraphQLError(await call('POST', '/graphql', { body: '<query/>', type: 'application/xml' }), 415);
    expectOAuthError(await call('POST', '/oauth/token', { body: '<grant/>', type: 'application/xml', auth: false }), 400);
  });

  it('a body over MAX_BODY_BYTES: 413 imsx on a REST write, GraphQL-shaped on /graphql', async () => {
    const big = JSON.stringify({ lineItem: { title: 'x'.repeat(1024 * 1024 + 10) } });
    expectImsx(await call('PUT', `${GRADEBOOK}/lineItems/li-x`, { body: big, type: 'application/json' }), 413);
    expectGraphQLError(await call('POST', '/graphql', { body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(1024 * 1024)}` }), type: 'application/json' }), 413);
  });

  it('a token request over 8 KB: 413 with the RFC 6749 body', async () => {
    const res = await call('POST', '/oauth/token', { body: form({ grant_type: 'client_credentials', pad: 'x'.repeat(9000) }), type: FORM, auth: false });
    expectOAuthError(res, 413);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('on a real socket', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    port = (env.app.server.address() as AddressInfo).port;
    server = env.app.server;
  });

  const raw = (path: string, headers: Record<string, string>) => new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let text = '';
      res.on('data', (c) => { text += String(c); });
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });

  it('headers over the server limit: 431 with the imsx body on REST, GraphQL-shaped on /graphql', async () => {
    const headers = { 'x-padding': 'y'.repeat(20_000) };
    expectImsx(await raw(`${ROSTER}/users`, headers), 431);
    expectGraphQLError(await raw('/graphql', headers), 431);
  });

  it('a 43 MB token request is refused with 413 at once and does not stall other requests', async () => {
    expect(server.listening).toBe(true);
    const total = 43 * 1024 * 1024;
    const started = Date.now();
    const refused = new Promise<{ status: number; ms: number; body: any }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/oauth/token', method: 'POST',
        headers: { 'content-type': FORM, 'content-length': String(total) } }, (res) => {
        let text = '';
        res.on('data', (c) => { text += String(c); });
        res.on('end', () => resolve({ status: res.statusCode!, ms: Date.now() - started, body: JSON.parse(text) }));
      });
      // Once the server has answered and closed, the rest of the upload fails to write: expected.
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
      const chunk = Buffer.from(`grant_type=client_credentials&pad=${'x'.repeat(64 * 1024)}`);
      let sent = 0;
      const pump = () => {
        while (sent < total && !req.destroyed) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += piece.length;
          if (!req.write(piece)) return void req.once('drain', pump);
        }
        if (!req.destroyed) req.end();
      };
      pump();
    });
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      latencies.push(Date.now() - t);
    }
    const answer = await refused;
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('invalid_request');
    // Generous bounds for a shared, loaded machine; reading and parsing the body took seconds.
    expect(answer.ms).toBeLessThan(3000);
    expect(Math.max(...latencies)).toBeLessThan(1500);
  }, 30_000);
});

describe('NUL characters never reach the database', () => {
  it('in a REST path and in a filter: 400 imsx', async () => {
    expectImsx(await call('GET', `${ROSTER}/users/%00`), 400);
    expectImsx(await call('GET', `${ROSTER}/users?filter=${encodeURIComponent("givenName='\u0000'")}`), 400);
    expectImsx(await call('GET', `/ims/oneroster/v1p1/users?filter=${encodeURIComponent("givenName='a\u0000'")}`), 400, 'invalid data');
  });

  it('in a PUT body: 400 imsx, nothing written', async () => {
    const res = await call('PUT', `${GRADEBOOK}/results/res-nul`, { body: JSON.stringify(result('res-nul', { comment: 'a\u0000b' })), type: 'application/json' });
    expectImsx(res, 400);
    expect(res.body.imsx_description).toContain('result.comment');
    expect(await env.sql(`select 1 from results where sourced_id = 'res-nul'`)).toEqual([]);
  });

  it('in a token request: 400 invalid_request, in the form and in Basic credentials', async () => {
    expectOAuthError(await call('POST', '/oauth/token', { body: form({ grant_type: 'client_credentials', client_id: 'a\u0000b', client_secret: 's' }), type: FORM, auth: false }), 400);
    const basic = Buffer.from(`${client.client_id}\u0000:${client.client_secret}`).toString('base64');
    const res = await env.app.inject({ method: 'POST', url: '/oauth/token', payload: 'grant_type=client_credentials', headers: { 'content-type': FORM, authorization: `Basic ${basic}` } });
    expectOAuthError({ status: res.statusCode, body: res.json() }, 400);
  });

  it('in GraphQL variables (POST and GET) and string literals: BAD_USER_INPUT', async () => {
    const query = 'query($f: UserFilter) { users(filter: $f, first: 1) { totalCount } }';
    const variables = { f: { givenName: { eq: 'a\u0000' } } };
    expectGraphQLError(await env.gql(query, variables), 400);
    expectGraphQLError(await env.gql('{ users(filter: { givenName: { eq: "a\\u0000" } }, first: 1) { totalCount } }'), 400);
    const get = await call('GET', `/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`);
    expectGraphQLError(get, 400);
  });
});

describe('deep nesting is refused before it is parsed or walked', () => {
  it('a PUT body nesting 9,000 levels: 400 naming MAX_JSON_DEPTH', async () => {
    // Built as text: JSON.stringify itself cannot walk 9,000 levels.
    const deep = `${'{"a":'.repeat(9000)}1${'}'.repeat(9000)}`;
    const body = JSON.stringify(lineItem('li-deep', { metadata: 'DEEP' })).replace('"DEEP"', deep);
    const res = await call('PUT', `${GRADEBOOK}/lineItems/li-deep`, { body, type: 'application/json' });
    expectImsx(res, 400);
    expect(res.body.imsx_description).toContain('MAX_JSON_DEPTH');
  });

  it('a GraphQL filter variable 3,000 NOT deep: BAD_USER_INPUT naming the limit, POST and GET', async () => {
    const query = 'query($f: UserFilter) { users(filter: $f, first: 1) { totalCount } }';
    const f = nested(3000, { givenName: { eq: 'x' } }, 'NOT');
    const res = await env.gql(query, { f });
    expectGraphQLError(res, 400);
    expect(res.body.errors![0]!.message).toContain('MAX_JSON_DEPTH');
    const get = await call('GET', `/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ f: nested(200, {}, 'NOT') }))}`);
    expectGraphQLError(get, 400);
  });

  it('nesting within the limit still works', async () => {
    const res = await env.gql('query($f: UserFilter) { users(filter: $f, first: 1) { totalCount } }', { f: nested(5, { givenName: { eq: 'x' } }, 'NOT') });
    expect(res.body.errors).toBeUndefined();
  });
});

describe('one sourcedId rule for every entry point', () => {
  const RLO = 'li\u202Eevil';

  it('is the CSV importer\'s rule', async () => {
    const { ID } = await import('../../src/csv/cells.js');
    const { SOURCED_ID } = await import('../../src/shared/sourced-id.js');
    expect(ID).toBe(SOURCED_ID);
  });

  it('a REST read of an id that breaks it: 404 imsx naming the rule', async () => {
    const res = await call('GET', `${ROSTER}/users/${encodeURIComponent('student\u202E1')}`);
    expectImsx(res, 404, 'unknownobject');
    expect(res.body.imsx_description).toContain('0-9 A-Z a-z . - _ / @');
  });

  it('a REST write: 400 for the path id, the body\'s own id and a reference, nothing written', async () => {
    const path = await call('PUT', `${GRADEBOOK}/lineItems/${encodeURIComponent(RLO)}`, { body: JSON.stringify(lineItem(RLO)), type: 'application/json' });
    expectImsx(path, 400);
    expect(path.body.imsx_description).toContain('not a valid sourcedId (1-255 of 0-9 A-Z a-z . - _ / @)');
    const ownId = await call('POST', `${GRADEBOOK}/classes/${env.ids.classId}/lineItems`,
      { body: JSON.stringify({ lineItems: [lineItem(RLO).lineItem] }), type: 'application/json' });
    expectImsx(ownId, 400);
    expect(ownId.body.imsx_description).toContain('lineItems[0].sourcedId');
    const reference = await call('PUT', `${GRADEBOOK}/results/res-rule`,
      { body: JSON.stringify(result('res-rule', { student: ref('user', 'st\u202Eu') })), type: 'application/json' });
    expectImsx(reference, 400);
    expect(reference.body.imsx_description).toContain('result.student.sourcedId');
    expect(await env.sql(`select 1 from results where sourced_id = 'res-rule'`)).toEqual([]);
    expect(await env.sql(`select 1 from line_items where sourced_id like 'li%evil'`)).toEqual([]);
  });

  it('a GraphQL mutation: BAD_USER_INPUT naming the argument, the record and the reference', async () => {
    const input = { title: 'Lab', assignDate: '2025-09-01T08:00:00.000Z', dueDate: '2025-09-08T08:00:00.000Z',
      class: { sourcedId: env.ids.classId }, category: { sourcedId: env.ids.category } };
    const put = 'mutation($id: ID!, $input: LineItemInput!) { putLineItem(sourcedId: $id, input: $input) { created } }';
    const arg = await env.gql(put, { id: RLO, input });
    expect(arg.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(arg.body.errors?.[0]?.message).toContain('sourcedId');
    const refArg = await env.gql(put, { id: 'li-rule', input: { ...input, category: { sourcedId: 'cat\u0301' } } });
    expect(refArg.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refArg.body.errors?.[0]?.message).toContain('input.category.sourcedId');
    const post = 'mutation($c: ID!, $items: [LineItemInput!]!) { postLineItemsForClass(classSourcedId: $c, lineItems: $items) { sourcedIdPairs { allocatedSourcedId } } }';
    const posted = await env.gql(post, { c: env.ids.classId, items: [{ ...input, sourcedId: 'tmp 1' }] });
    expect(posted.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(posted.body.errors?.[0]?.message).toContain('lineItems[0].sourcedId');
    expect(await env.sql(`select 1 from line_items where sourced_id = 'li-rule'`)).toEqual([]);
  });
});

describe('the sourcedId rule in its forms', () => {
  it('the character list and the pattern agree on every BMP character', async () => {
    const { SOURCED_ID, SOURCED_ID_CHARACTERS, SOURCED_ID_MAX_LENGTH } = await import('../../src/shared/sourced-id.js');
    const disagreements: string[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      if (SOURCED_ID.test(ch) !== SOURCED_ID_CHARACTERS.includes(ch)) disagreements.push(`U+${c.toString(16)}`);
    }
    expect(disagreements).toEqual([]);
    expect(SOURCED_ID.test('a'.repeat(SOURCED_ID_MAX_LENGTH))).toBe(true);
    expect(SOURCED_ID.test('a'.repeat(SOURCED_ID_MAX_LENGTH + 1))).toBe(false);
  });
});
