import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { run, sql } from '../../src/db/sql.js';
import { pushGrades } from '../../src/sync/outbox-deliver.js';
import { syncSource } from '../../src/sync/run.js';
import { addSource } from '../../src/sync/sources.js';
import { bearer, TEST_SIGNING_KEY } from '../support/app.js';
import { collection, instance, listen, SOURCES_KEY, upstreamView, type Instance } from './support.js';

type Json = Record<string, any>;
const V1P1 = '/ims/oneroster/v1p1';
const G = '/ims/oneroster/gradebook/v1p2';
const PREFIX = 'old-';
const GRADEBOOK = [SCOPES['roster-core.readonly'], SCOPES['gradebook.readonly'], SCOPES['gradebook.createput'], SCOPES['gradebook.delete']];

const { strip, convert: asUpstream } = upstreamView(PREFIX);

/**
 * Grades back to a OneRoster 1.1 SIS: the upstream is a second instance of this server serving its 1.1
 * binding, whose client for the gateway signs with OAuth 1.0a (no token endpoint is ever asked); the
 * gateway syncs its rosters as source `legacy` (prefix `old-`) and sends back what vendors write here.
 */
describe('grades back to a 1.1 source, signed with OAuth 1.0a', () => {
  let upstream: Instance;
  let gateway: Instance;
  let base: string;
  let auth: string;
  /** Every request the upstream's HTTP server received: method, URL, Authorization header and, at the end, its status. */
  const seen: { method: string; url: string; authorization: string; status?: number }[] = [];

  const put = (path: string, body: Json) => gateway.app.inject({ method: 'PUT', url: `${G}${path}`, headers: { authorization: auth }, payload: body });
  const get1 = async (i: Instance, path: string) => {
    const res = await i.app.inject({ method: 'GET', url: `${V1P1}${path}`, headers: { authorization: i.auth } });
    expect(res.statusCode, `${path}: ${res.body.slice(0, 300)}`).toBe(200);
    return res.json() as Json;
  };
  const writes = () => seen.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url} ${r.status}`);

  beforeAll(async () => {
    upstream = await instance({ schools: 1, students: 16, seed: 11 });
    gateway = await instance();
    base = await listen(upstream.app);
    const credentials = await new ClientStore(upstream.db.orm.em.fork()).add('gateway',
      ['v1p1/roster.readonly', 'v1p1/roster-demographics.readonly', 'v1p1/gradebook.createput', 'v1p1/gradebook.delete']);
    upstream.app.server.on('request', (req, res) => {
      const entry = { method: req.method ?? '', url: req.url ?? '', authorization: String(req.headers.authorization) } as (typeof seen)[number];
      seen.push(entry);
      res.on('finish', () => { entry.status = res.statusCode; });
    });
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'legacy', baseUrl: base, version: '1.1', auth: 'oauth1', clientId: credentials.client_id, clientSecret: credentials.client_secret,
      prefix: PREFIX, pushGrades: true,
    });
    const report = await syncSource(gateway.db, SOURCES_KEY, 'legacy');
    expect(report.error).toBeUndefined();
    auth = await bearer(await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv }), GRADEBOOK);
    // Categories are not synchronised from a 1.1 source: the gateway's own, of the same id as one of the upstream's seed.
    expect((await put('/categories/cat-homework', { category: { sourcedId: 'cat-homework', status: 'active', title: 'Homework' } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await upstream?.app.close();
    await gateway?.app.close();
    await upstream?.db.close();
    await gateway?.db.close();
  });

  it('a line item and a result PUT on the gateway reach the 1.1 upstream once each, as 1.1 bodies on the 1.1 paths, signed', async () => {
    const cls = (await collection(gateway, 'classes'))[0]!;
    const student = (await collection(gateway, 'enrollments')).find((e) => e.class.sourcedId === cls.sourcedId && e.role === 'student')!.user.sourcedId as string;
    expect(cls.sourcedId.startsWith(PREFIX) && student.startsWith(PREFIX)).toBe(true);
    expect((await put('/lineItems/li-old-1', { lineItem: {
      sourcedId: 'li-old-1', status: 'active', title: 'Essay', assignDate: '2026-11-01T08:00:00.000Z', dueDate: '2026-11-08T08:00:00.000Z',
      class: { sourcedId: cls.sourcedId, type: 'class' }, school: { sourcedId: cls.school.sourcedId, type: 'org' },
      category: { sourcedId: 'cat-homework', type: 'category' }, resultValueMin: 0, resultValueMax: 20,
    } })).statusCode).toBe(201);
    expect((await put('/results/res-old-1', { result: {
      sourcedId: 'res-old-1', status: 'active', lineItem: { sourcedId: 'li-old-1', type: 'lineItem' }, student: { sourcedId: student, type: 'user' },
      class: { sourcedId: cls.sourcedId, type: 'class' }, scoreStatus: 'fully graded', score: 17, scoreDate: '2026-11-20', comment: 'well argued', inProgress: 'false',
    } })).statusCode).toBe(201);

    // The outbox holds the records as our own 1.1 GET serves them: 1.1 properties only, the upstream's ids and 1.1 hrefs.
    // The gateway's category goes first (a 1.1 source's gradebook is not synchronised, so it does not have it from here).
    const queued = await run(gateway.db.orm.em.fork(), sql`select record_type, body from grade_outbox order by id`);
    expect(queued.map((r) => r.record_type)).toEqual(['Category', 'LineItem', 'Result']);
    const result = (queued[2]!.body as Json).result as Json;
    expect(Object.keys(result).sort()).toEqual(['comment', 'dateLastModified', 'lineItem', 'score', 'scoreDate', 'scoreStatus', 'sourcedId', 'status', 'student']);
    expect(result.student).toEqual({ href: `${base}${V1P1}/users/${strip(student)}`, sourcedId: strip(student), type: 'user' });
    expect((queued[1]!.body as Json).lineItem.school).toBeUndefined();

    seen.length = 0;
    expect(await pushGrades(gateway.db, SOURCES_KEY, { minDelayMs: 50, maxDelayMs: 200 })).toEqual([{ source: 'legacy', delivered: 3, failed: 0, pending: 0 }]);
    expect(writes()).toEqual([`PUT ${V1P1}/categories/cat-homework 201`, `PUT ${V1P1}/lineItems/li-old-1 201`, `PUT ${V1P1}/results/res-old-1 201`]);
    for (const r of seen) {
      expect(r.authorization).toMatch(/^OAuth /);
      expect(r.authorization).toContain('oauth_signature_method="HMAC-SHA256"');
    }
    // What the upstream now serves on its 1.1 binding is what the gateway serves on its own.
    for (const path of ['/categories/cat-homework', '/lineItems/li-old-1', '/results/res-old-1']) {
      const [there, here] = [await get1(upstream, path), await get1(gateway, path)];
      expect(asUpstream(there), path).toEqual(asUpstream(here));
    }
    expect((await get1(upstream, '/results/res-old-1')).result.score).toBe(17);

    // Delivered once: a second pass sends nothing.
    expect(await pushGrades(gateway.db, SOURCES_KEY)).toEqual([]);
    expect(writes()).toHaveLength(3);
  });

  it('a DELETE goes to the 1.1 path too, signed', async () => {
    seen.length = 0;
    expect((await gateway.app.inject({ method: 'DELETE', url: `${G}/results/res-old-1`, headers: { authorization: auth } })).statusCode).toBe(204);
    expect(await pushGrades(gateway.db, SOURCES_KEY)).toEqual([{ source: 'legacy', delivered: 1, failed: 0, pending: 0 }]);
    expect(writes()).toEqual([`DELETE ${V1P1}/results/res-old-1 204`]);
    expect(seen[0]!.authorization).toMatch(/^OAuth /);
    expect((await get1(upstream, '/results/res-old-1')).result.status).toBe('tobedeleted');
  });
});
