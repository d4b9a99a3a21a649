import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ClientStore } from '../../src/auth/clients.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { insertRows } from '../../src/db/bulk.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { run, sql } from '../../src/db/sql.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { pushGrades } from '../../src/sync/outbox-deliver.js';
import { startGradePush } from '../../src/sync/outbox-schedule.js';
import { syncSource } from '../../src/sync/run.js';
import { addSource, checkSourceInput, listSources, removeSource, setPushGrades, updateSource } from '../../src/sync/sources.js';
import { probeSource } from '../../src/sync/probe.js';
import { bearer, graphql, TEST_SIGNING_KEY } from '../support/app.js';
import { testDatabase } from '../support/db.js';
import { collection, instance, SOURCES_KEY, upstreamView, type Instance } from './support.js';

const G = '/ims/oneroster/gradebook/v1p2';
const GRADEBOOK = [SCOPES['roster-core.readonly'], SCOPES['gradebook.readonly'], SCOPES['gradebook.createput'], SCOPES['gradebook.createpost'], SCOPES['gradebook.delete']];
const PREFIX = 'sis-';
const FAST = { minDelayMs: 50, maxDelayMs: 200 };

const ref = (type: string, sourcedId: string) => ({ sourcedId, type });
const { strip, convert: asUpstream } = upstreamView(PREFIX);

/**
 * Upstream: a second instance of this server with the demo district, over real HTTP, whose client for the
 * gateway may write grades; every gradebook write it answers is logged. Gateway: an instance that syncs
 * the upstream's rosters as source `sis` (with a prefix, so ids differ) and sends grades back.
 */
describe('grades back to the SIS (--push-grades)', () => {
  let upstreamDb: Database;
  let upstream: FastifyInstance;
  let port = 0;
  let gateway: Instance;
  let auth: string;
  const writes: string[] = [];
  /** Gradebook writes the upstream is answering, the most at once, and when each started (>) and was answered (<). */
  const concurrent = { now: 0, most: 0, events: [] as string[] };
  /** Paths the upstream answers with this status (503: busy; else refused) once each. */
  const answerOnce = new Map<string, number>();
  /** Milliseconds the upstream takes over each gradebook write, so that concurrent passes overlap. */
  let slow = 0;
  let classId: string;
  let school: string;
  let students: string[];

  const startUpstream = async () => {
    const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv });
    const app = await buildApp({ db: upstreamDb, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent' }), keys });
    app.addHook('onRequest', async (req, reply) => {
      if (req.method === 'GET' || !req.url.startsWith(G)) return;
      concurrent.most = Math.max(concurrent.most, ++concurrent.now);
      concurrent.events.push(`> ${req.url.slice(G.length)}`);
      if (slow) await new Promise((r) => setTimeout(r, slow));
      const once = answerOnce.get(req.url.slice(G.length));
      if (once) {
        answerOnce.delete(req.url.slice(G.length));
        return reply.code(once).send({ imsx_codeMajor: 'failure', imsx_description: once === 503 ? 'busy' : 'refused by the test' });
      }
    });
    app.addHook('onResponse', async (req, reply) => {
      if (req.method === 'GET' || !req.url.startsWith(G)) return;
      concurrent.now--;
      concurrent.events.push(`< ${req.url.slice(G.length)}`);
      writes.push(`${req.method} ${req.url.slice(G.length)} ${reply.statusCode}`);
    });
    await app.listen({ port, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
    return app;
  };
  const put = async (path: string, body: unknown) =>
    gateway.app.inject({ method: 'PUT', url: `${G}${path}`, headers: { authorization: auth }, payload: body as Record<string, unknown> });
  const get = async (app: FastifyInstance, path: string) => {
    const res = await app.inject({ method: 'GET', url: `${G}${path}`, headers: { authorization: auth } });
    expect(res.statusCode, `${path}: ${res.body.slice(0, 300)}`).toBe(200);
    return res.json();
  };
  const result = (sourcedId: string, student: string, score: number, lineItem = 'li-push-1') => ({ result: {
    sourcedId, status: 'active', lineItem: ref('lineItem', lineItem), student: ref('user', student), scoreStatus: 'fully graded', score, scoreDate: '2026-11-20',
  } });
  const lineItem = (sourcedId: string, category = 'cat-homework', cls = classId, sch = school) => ({ lineItem: {
    sourcedId, status: 'active', title: 'Lab report', assignDate: '2026-11-01T08:00:00.000Z', dueDate: '2026-11-08T08:00:00.000Z',
    class: ref('class', cls), school: ref('org', sch), category: ref('category', category), resultValueMin: 0, resultValueMax: 100,
  } });
  const outbox = async (): Promise<Record<string, any>[]> => run(gateway.db.orm.em.fork(), sql`select id, record_type, sourced_id, method, body, attempts, last_error,
    delivered_at is not null as delivered, failed_at is not null as failed from grade_outbox order by id`);
  const pending = async () => (await outbox()).filter((r) => !r.delivered && !r.failed);
  const pushInfo = async () => (await listSources(gateway.db.orm.em.fork())).find((s) => s.name === 'sis')!.pushGrades;

  beforeAll(async () => {
    upstreamDb = await testDatabase();
    await seedDistrict(upstreamDb.orm.em.fork(), { schools: 1, students: 24, seed: 5, classesPerStudent: 2, classSize: 8, lineItemsPerClass: 0 });
    const credentials = await new ClientStore(upstreamDb.orm.em.fork()).add('gateway',
      ['roster.readonly', 'roster-demographics.readonly', 'gradebook.createput', 'gradebook.delete']);
    upstream = await startUpstream();
    const base = `http://127.0.0.1:${port}`;
    gateway = await instance();
    auth = await bearer(await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv }), GRADEBOOK);
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'sis', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: credentials.client_id, clientSecret: credentials.client_secret, prefix: PREFIX, pushGrades: true,
    });
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis');
    expect(report.error).toBeUndefined();
    const cls = (await collection(gateway, 'classes'))[0]!;
    classId = cls.sourcedId;
    school = cls.school.sourcedId;
    students = (await collection(gateway, 'enrollments')).filter((e) => e.class.sourcedId === classId && e.role === 'student').map((e) => e.user.sourcedId);
    expect(classId.startsWith(PREFIX) && students.length >= 3).toBe(true);
    // The gateway's own category (categories are not synchronised); the upstream has one of the same id from its seed.
    expect((await put('/categories/cat-homework', { category: { sourcedId: 'cat-homework', status: 'active', title: 'Homework' } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await upstream?.close();
    await gateway?.app.close();
    await upstreamDb?.close();
    await gateway?.db.close();
  });

  it('a PUT line item and result on the gateway reach the upstream as our GET serves them, with the upstream\'s own ids', async () => {
    expect((await put('/lineItems/li-push-1', lineItem('li-push-1'))).statusCode).toBe(201);
    expect((await put('/results/res-push-1', result('res-push-1', students[0]!, 81))).statusCode).toBe(201);
    const queued = await pending();
    // The gateway's category goes first: the source does not have it from here (its gradebook is not synced).
    expect(queued.map((r) => `${r.method} ${r.record_type} ${r.sourced_id}`)).toEqual(['PUT Category cat-homework', 'PUT LineItem li-push-1', 'PUT Result res-push-1']);
    expect(queued[2]!.body.result.student.sourcedId).toBe(strip(students[0]!));
    expect(queued[2]!.body.result.student.href).toBe(`http://127.0.0.1:${port}/ims/oneroster/rostering/v1p2/users/${strip(students[0]!)}`);
    expect(await pushInfo()).toMatchObject({ on: true, pending: 3, failed: 0 });

    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 3, failed: 0, pending: 0 }]);
    expect(writes).toEqual(['PUT /categories/cat-homework 201', 'PUT /lineItems/li-push-1 201', 'PUT /results/res-push-1 201']);
    expect(asUpstream((await get(upstream, '/categories/cat-homework')).category)).toEqual(asUpstream((await get(gateway.app, '/categories/cat-homework')).category));
    const there = (await get(upstream, '/results/res-push-1')).result;
    expect(there.class?.sourcedId ?? strip(classId)).toBe(strip(classId));
    expect(asUpstream(there)).toEqual(asUpstream((await get(gateway.app, '/results/res-push-1')).result));
    expect(asUpstream((await get(upstream, '/lineItems/li-push-1')).lineItem)).toEqual(asUpstream((await get(gateway.app, '/lineItems/li-push-1')).lineItem));
    expect((await get(upstream, '/lineItems/li-push-1')).lineItem.class.sourcedId).toBe(strip(classId));
    expect(await pushInfo()).toMatchObject({ pending: 0, failed: 0, lastFailure: null });
    // Nothing left to send: a second pass sends nothing.
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([]);
    expect(writes).toHaveLength(3);
    // A full sync of the source's rostering leaves the grades it took alone: it does not read its gradebook.
    const full = await syncSource(gateway.db, SOURCES_KEY, 'sis', { full: true });
    expect(full.error).toBeUndefined();
    expect((await get(gateway.app, '/lineItems/li-push-1')).lineItem.status).toBe('active');
    expect((await get(gateway.app, '/results/res-push-1')).result.status).toBe('active');
  });

  it('with the upstream down, PUTs succeed here and wait in the outbox; once it is back they arrive, once each and in order', async () => {
    await upstream.close();
    writes.length = 0;
    expect((await put('/results/res-push-1', result('res-push-1', students[0]!, 50))).statusCode).toBe(201);
    expect((await put('/results/res-push-1', result('res-push-1', students[0]!, 60))).statusCode).toBe(201);
    expect((await put('/results/res-push-2', result('res-push-2', students[1]!, 70))).statusCode).toBe(201);

    const [report] = await pushGrades(gateway.db, SOURCES_KEY, FAST);
    expect(report).toMatchObject({ source: 'sis', delivered: 0, failed: 0, pending: 3 });
    expect(report!.waiting).toMatch(/connection failed/);
    const info = await pushInfo();
    expect(info).toMatchObject({ on: true, pending: 3, failed: 0, lastFailure: { recordType: 'Result', sourcedId: 'res-push-1', method: 'PUT', attempts: 1, gaveUp: false } });
    expect(info.lastFailure?.error).toMatch(/connection failed/);
    expect(JSON.stringify(info)).not.toMatch(/Bearer|access_token/);

    upstream = await startUpstream(); // the same port
    const push = startGradePush(gateway.db, { sourcesKey: SOURCES_KEY.toString('base64') }, gateway.app.log, { tickMs: 100, ...FAST });
    try {
      const deadline = Date.now() + 20_000;
      while ((await pending()).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await push.stop();
    }
    expect(await pending()).toEqual([]);
    expect(writes.filter((w) => w.includes('res-push-1'))).toEqual(['PUT /results/res-push-1 201', 'PUT /results/res-push-1 201']);
    expect(writes.filter((w) => w.includes('res-push-2'))).toEqual(['PUT /results/res-push-2 201']);
    expect((await get(upstream, '/results/res-push-1')).result.score).toBe(60);
    expect((await get(upstream, '/results/res-push-2')).result.score).toBe(70);
    expect(await pushInfo()).toMatchObject({ pending: 0, failed: 0, lastFailure: null });
  });

  it('the outbox row and the write commit together: a refused write leaves no row; classes of no push source enqueue nothing', async () => {
    const before = (await outbox()).length;
    const bad = await put('/results/res-bad', result('res-bad', 'sis-nobody', 10));
    expect(bad.statusCode).toBe(422);
    expect((await outbox()).length).toBe(before);

    const em = gateway.db.orm.em.fork();
    await insertRows(em, 'Org', [{ sourcedId: 'local-school', status: 'active', name: 'Local', type: 'school' }]);
    await insertRows(em, 'Course', [{ sourcedId: 'local-course', status: 'active', title: 'Local course', org: 'local-school' }]);
    await insertRows(em, 'Class', [{ sourcedId: 'local-class', status: 'active', title: 'Local class', course: 'local-course', school: 'local-school' }]);
    expect((await put('/lineItems/li-local', lineItem('li-local', 'cat-homework', 'local-class', 'local-school'))).statusCode).toBe(201);
    expect((await outbox()).length).toBe(before);

    // Turned off, the source's classes enqueue nothing either; turned on again, they do.
    await setPushGrades(em, 'sis', false);
    expect((await pushInfo()).on).toBe(false);
    expect((await put('/results/res-push-3', result('res-push-3', students[2]!, 88))).statusCode).toBe(201);
    expect((await outbox()).length).toBe(before);
    await setPushGrades(em, 'sis', true);
    // A GraphQL mutation goes through the same write service as REST.
    const mutation = await graphql(gateway.app, `mutation($id: ID!, $input: ResultInput!) { putResult(sourcedId: $id, input: $input) { created } }`, auth, {
      id: 'res-push-3', input: { lineItem: { sourcedId: 'li-push-1' }, student: { sourcedId: students[2] }, scoreStatus: 'fully graded', score: 89, scoreDate: '2026-11-20' },
    });
    expect(mutation.body.errors).toBeUndefined();
    expect((await pending()).map((r) => `${r.method} ${r.sourced_id} ${r.body.result.score}`)).toEqual(['PUT res-push-3 89']);
  });

  it('a DELETE goes upstream; a record the upstream refuses is marked failed with its reason and does not hold back the rows behind it', async () => {
    writes.length = 0;
    // A vendor's own category: no source has it, so writing it sends nothing, until a line item sent upstream names it.
    expect((await put('/categories/cat-local', { category: { sourcedId: 'cat-local', status: 'active', title: 'Local only' } })).statusCode).toBe(201);
    expect(await pending()).toHaveLength(1); // res-push-3, from the test before
    expect((await put('/lineItems/li-refused', lineItem('li-refused', 'cat-local'))).statusCode).toBe(201);
    answerOnce.set('/lineItems/li-refused', 422);
    const del = await gateway.app.inject({ method: 'DELETE', url: `${G}/results/res-push-2`, headers: { authorization: auth } });
    expect(del.statusCode).toBe(204);
    // A POST's records go as PUTs under the sourcedIds allocated here.
    const posted = await gateway.app.inject({ method: 'POST', url: `${G}/lineItems/li-push-1/results`, headers: { authorization: auth },
      payload: { results: [{ ...result('supplied-1', students[1]!, 66).result, sourcedId: 'supplied-1' }] } });
    expect(posted.statusCode, posted.body).toBe(201);
    const allocated = posted.json().sourcedIdPairs[0].allocatedSourcedId as string;

    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 4, failed: 1, pending: 0 }]);
    // The last two are results of two records, sent at once: either may be answered first.
    expect(writes.slice(0, 3)).toEqual(['PUT /results/res-push-3 201', 'PUT /categories/cat-local 201', 'PUT /lineItems/li-refused 422']);
    expect(writes.slice(3).sort()).toEqual(['DELETE /results/res-push-2 204', `PUT /results/${allocated} 201`].sort());
    expect((await get(upstream, '/categories/cat-local')).category.title).toBe('Local only');
    expect((await get(upstream, `/results/${allocated}`)).result.score).toBe(66);
    expect((await get(upstream, '/results/res-push-2')).result.status).toBe('tobedeleted');
    expect((await get(upstream, '/results/res-push-3')).result.score).toBe(89);
    const info = await pushInfo();
    expect(info).toMatchObject({ pending: 0, failed: 1, lastFailure: { sourcedId: 'li-refused', gaveUp: true, attempts: 1 } });
    expect(info.lastFailure?.error).toMatch(/422 to PUT .*lineItems\/li-refused: refused by the test/);
    // Failed for good: not sent again.
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([]);
    expect(writes).toHaveLength(5);
    // Written again and taken, the line item is no longer a failure of the source.
    expect((await put('/lineItems/li-refused', lineItem('li-refused', 'cat-local'))).statusCode).toBe(201);
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 1, failed: 0, pending: 0 }]);
    expect(await pushInfo()).toMatchObject({ pending: 0, failed: 0, lastFailure: null });
  });

  it('a category the source has from here is not sent again for the next line item, and its later writes follow it there', async () => {
    writes.length = 0;
    expect((await put('/lineItems/li-local-2', lineItem('li-local-2', 'cat-local'))).statusCode).toBe(201);
    expect((await put('/categories/cat-local', { category: { sourcedId: 'cat-local', status: 'active', title: 'Local, renamed' } })).statusCode).toBe(201);
    expect((await pending()).map((r) => `${r.record_type} ${r.sourced_id}`)).toEqual(['LineItem li-local-2', 'Category cat-local']);
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 2, failed: 0, pending: 0 }]);
    expect(writes).toEqual(['PUT /lineItems/li-local-2 201', 'PUT /categories/cat-local 201']);
    expect((await get(upstream, '/categories/cat-local')).category.title).toBe('Local, renamed');
  });

  it('a score scale made here goes before the first result that names it', async () => {
    writes.length = 0;
    const cls = (await collection(gateway, 'classes')).find((c) => c.sourcedId === classId)!;
    expect((await put('/scoreScales/ss-local', { scoreScale: { sourcedId: 'ss-local', status: 'active', title: 'Levels', type: 'level',
      class: ref('class', classId), course: ref('course', cls.course.sourcedId),
      scoreScaleValue: [{ itemValueLHS: '3 - 4', itemValueRHS: 'Proficient' }, { itemValueLHS: '0 - 2', itemValueRHS: 'Developing' }] } })).statusCode).toBe(201);
    expect(await pending()).toEqual([]);
    expect((await put('/results/res-scaled', { result: { ...result('res-scaled', students[0]!, 3).result, scoreScale: ref('scoreScale', 'ss-local') } })).statusCode).toBe(201);
    expect((await pending()).map((r) => `${r.record_type} ${r.sourced_id}`)).toEqual(['ScoreScale ss-local', 'Result res-scaled']);
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 2, failed: 0, pending: 0 }]);
    expect(writes).toEqual(['PUT /scoreScales/ss-local 201', 'PUT /results/res-scaled 201']);
    expect((await get(upstream, '/results/res-scaled')).result.scoreScale.sourcedId).toBe('ss-local');
    expect((await get(upstream, '/scoreScales/ss-local')).scoreScale.class.sourcedId).toBe(strip(classId));
  });

  it('two passes at once send every row once, in order', async () => {
    writes.length = 0;
    for (const score of [71, 72, 73]) expect((await put('/results/res-push-1', result('res-push-1', students[0]!, score))).statusCode).toBe(201);
    expect((await put('/results/res-push-3', result('res-push-3', students[2]!, 74))).statusCode).toBe(201);
    slow = 150;
    const pass = () => pushGrades(gateway.db, SOURCES_KEY, FAST);
    // The second pass starts while the first waits for the upstream's answer about the head row.
    const reports = (await Promise.all([pass(), new Promise((r) => setTimeout(r, 50)).then(pass)])).flat();
    slow = 0;
    expect(reports.reduce((n, r) => n + r.delivered, 0)).toBe(4);
    expect(writes.filter((w) => w.includes('res-push-1'))).toEqual(['PUT /results/res-push-1 201', 'PUT /results/res-push-1 201', 'PUT /results/res-push-1 201']);
    expect(writes.filter((w) => w.includes('res-push-3'))).toEqual(['PUT /results/res-push-3 201']);
    expect((await get(upstream, '/results/res-push-1')).result.score).toBe(73);
  });

  it('sends up to --push-concurrency requests at once, but never two of one record, nor a result before its line item is answered', async () => {
    await updateSource(gateway.db.orm.em.fork(), undefined, 'sis', { pushConcurrency: '3' });
    Object.assign(concurrent, { most: 0, events: [] });
    try {
      expect((await put('/lineItems/li-many', lineItem('li-many'))).statusCode).toBe(201);
      const ids = ['res-many-1', 'res-many-2', 'res-many-3', 'res-many-4'];
      for (const [i, id] of ids.entries()) expect((await put(`/results/${id}`, result(id, students[i % students.length]!, 40 + i, 'li-many'))).statusCode).toBe(201);
      expect((await put('/results/res-many-1', result('res-many-1', students[0]!, 99, 'li-many'))).statusCode).toBe(201);
      slow = 100;
      expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 6, failed: 0, pending: 0 }]);
      slow = 0;
      // Batches: the line item; three results; the fourth result with the second write of the first.
      expect(concurrent.most).toBe(3);
      const at = (event: string, nth = 0) => concurrent.events.map((e, i) => (e === event ? i : -1)).filter((i) => i >= 0)[nth]!;
      for (const id of ids) expect(at(`> /results/${id}`)).toBeGreaterThan(at('< /lineItems/li-many'));
      expect(at('> /results/res-many-1', 1)).toBeGreaterThan(at('< /results/res-many-1', 0));
      expect((await get(upstream, '/results/res-many-1')).result.score).toBe(99);
      expect((await get(upstream, '/results/res-many-4')).result.score).toBe(43);
      expect((await pushInfo()).concurrency).toBe(3);
    } finally {
      slow = 0;
      await updateSource(gateway.db.orm.em.fork(), undefined, 'sis', { pushConcurrency: '4' });
    }
  });

  it('a batch with one request refused for now: the others are delivered, the pass ends, and that row goes first in the next', async () => {
    writes.length = 0;
    for (const [i, id] of ['res-many-2', 'res-many-3', 'res-many-4'].entries()) {
      expect((await put(`/results/${id}`, result(id, students[(i + 1) % students.length]!, 70 + i, 'li-many'))).statusCode).toBe(201);
    }
    expect((await put('/lineItems/li-many', lineItem('li-many'))).statusCode).toBe(201);
    answerOnce.set('/results/res-many-3', 503);
    const [first] = await pushGrades(gateway.db, SOURCES_KEY, FAST);
    expect(first).toMatchObject({ source: 'sis', delivered: 2, failed: 0, pending: 2 });
    expect(first!.waiting).toMatch(/503 to PUT .*res-many-3: busy/);
    // The line item, behind the waiting row, was not sent.
    expect(writes.sort()).toEqual(['PUT /results/res-many-2 201', 'PUT /results/res-many-3 503', 'PUT /results/res-many-4 201']);
    expect((await pending()).map((r) => r.sourced_id)).toEqual(['res-many-3', 'li-many']);
    await new Promise((r) => setTimeout(r, 450)); // past FAST's longest first backoff
    writes.length = 0;
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 2, failed: 0, pending: 0 }]);
    expect(writes).toEqual(['PUT /results/res-many-3 201', 'PUT /lineItems/li-many 201']);
    expect((await get(upstream, '/results/res-many-3')).result.score).toBe(71);
  });

  it('a row claimed by a worker that died is sent again once its claim runs out', async () => {
    writes.length = 0;
    expect((await put('/results/res-push-3', result('res-push-3', students[2]!, 95))).statusCode).toBe(201);
    // What a worker killed between claiming the row and marking it delivered leaves behind.
    await run(gateway.db.orm.em.fork(), sql`update grade_outbox set claimed_until = now() + interval '1 second' where delivered_at is null`);
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([]);
    expect(await pushGrades(gateway.db, SOURCES_KEY, { ...FAST, source: 'sis' })).toEqual([{ source: 'sis', delivered: 0, failed: 0, pending: 1 }]);
    expect(writes).toEqual([]);
    expect(await pushInfo()).toMatchObject({ pending: 1 });
    await new Promise((r) => setTimeout(r, 1200));
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 1, failed: 0, pending: 0 }]);
    expect(writes).toEqual(['PUT /results/res-push-3 201']);
    expect((await get(upstream, '/results/res-push-3')).result.score).toBe(95);
  });

  it('is accepted for a 1.1 source and for a source whose gradebook is pulled (test/sync/outbox-v1p1.test.ts, outbox-pulled.test.ts)', async () => {
    expect(checkSourceInput({ name: 'old', baseUrl: 'https://sis.example.org', version: '1.1', auth: '', clientId: 'c', clientSecret: 's', pushGrades: true }))
      .toMatchObject({ version: '1.1', auth: 'oauth1', pushGrades: true });
    const pulled = { name: 'pulled', baseUrl: 'https://sis.example.org', tokenUrl: 'https://sis.example.org/token', version: '1.2', auth: 'oauth2',
      clientId: 'c', clientSecret: 's', services: 'rostering,gradebook' };
    expect(checkSourceInput({ ...pulled, pushGrades: true })).toMatchObject({ services: ['rostering', 'gradebook'], pushGrades: true });
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, pulled);
    await setPushGrades(gateway.db.orm.em.fork(), 'pulled', true);
    expect((await listSources(gateway.db.orm.em.fork())).find((s) => s.name === 'pulled')!.pushGrades.on).toBe(true);
    await expect(setPushGrades(gateway.db.orm.em.fork(), 'nosuch', true)).rejects.toThrow('no source nosuch');
  });

  it('sources test says whether the token allows sending grades back (gradebook.createput and gradebook.delete)', async () => {
    const em = gateway.db.orm.em.fork();
    const writer = await probeSource(em, SOURCES_KEY, 'sis', { pageSize: 5 });
    expect(writer.pushGrades).toEqual({ ok: true, note: 'the token has gradebook.createput and gradebook.delete' });
    const base = `http://127.0.0.1:${port}`;
    const reader = await new ClientStore(upstreamDb.orm.em.fork()).add('reader', ['roster.readonly', 'gradebook.readonly']);
    await addSource(em, SOURCES_KEY, {
      name: 'reads-only', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: reader.client_id, clientSecret: reader.client_secret, prefix: 'ro-', pushGrades: true,
    });
    const refused = await probeSource(em, SOURCES_KEY, 'reads-only', { pageSize: 5 });
    expect(refused.ok).toBe(false);
    expect(refused.pushGrades).toEqual({ ok: false,
      note: 'the token lacks gradebook.createput and gradebook.delete: the upstream will refuse the grades sent back (give its client those scopes, or --scope)' });
    expect(refused.collections.every((c) => c.error === undefined || c.skipped)).toBe(true); // the reads themselves are fine
    await updateSource(em, undefined, 'reads-only', { pushGrades: false });
    const plain = await probeSource(em, SOURCES_KEY, 'reads-only', { pageSize: 5 });
    expect(plain).toMatchObject({ ok: true });
    expect(plain.pushGrades).toBeUndefined();
    await removeSource(em, 'reads-only');
  });
});
