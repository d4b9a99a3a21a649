import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { run, sql } from '../../src/db/sql.js';
import { pushGrades } from '../../src/sync/outbox-deliver.js';
import { syncSource } from '../../src/sync/run.js';
import { addSource } from '../../src/sync/sources.js';
import { bearer, TEST_SIGNING_KEY } from '../support/app.js';
import { closeInstances, collection, faultProxy, instance, listen, SOURCES_KEY, type Instance } from './support.js';

type Json = Record<string, any>;
const G = '/ims/oneroster/gradebook/v1p2';
const PREFIX = 'sis-';
const WRITE_SCOPES = [SCOPES['roster-core.readonly'], SCOPES['gradebook.readonly'], SCOPES['gradebook.createput'], SCOPES['gradebook.delete']];
const FAST = { minDelayMs: 50, maxDelayMs: 200 };

/**
 * Grades written here for a source whose gradebook is also pulled (`--services rostering,gradebook
 * --push-grades`): they go to the upstream and come back on the next sync as the source's own records.
 * Upstream: this server with a demo district that has a gradebook, behind a small proxy (which can make
 * the upstream refuse writes with 503 while it still serves reads). Gateway: syncs it as `sis` with a prefix.
 */
describe('grades back to a source whose gradebook is pulled too', () => {
  let upstream: Instance;
  let gateway: Instance;
  let proxy: Awaited<ReturnType<typeof faultProxy>>;
  let auth: string;
  let upstreamAuth: string;
  let classId: string;
  let school: string;
  let student: string;
  let scale: string;

  const sync = async (full = false) => {
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { full, marginMs: 0 });
    expect(report.error, JSON.stringify(report.errors.slice(0, 3))).toBeUndefined();
    return report;
  };
  const get = async (i: Instance, path: string, authorization = i.auth) => {
    const res = await i.app.inject({ method: 'GET', url: `${G}${path}`, headers: { authorization } });
    expect(res.statusCode, `${path}: ${res.body.slice(0, 300)}`).toBe(200);
    return res.json() as Json;
  };
  const put = async (i: Instance, path: string, body: Json, authorization: string) => {
    const res = await i.app.inject({ method: 'PUT', url: `${G}${path}`, headers: { authorization }, payload: body });
    expect(res.statusCode, `${path}: ${res.body.slice(0, 300)}`).toBe(201);
  };
  const lineItem = (id: string) => ({ lineItem: {
    sourcedId: id, status: 'active', title: 'Round trip', assignDate: '2026-11-01T08:00:00.000Z', dueDate: '2026-11-08T08:00:00.000Z',
    class: { sourcedId: classId }, school: { sourcedId: school }, category: { sourcedId: `${PREFIX}cat-quiz` }, scoreScale: { sourcedId: scale }, resultValueMin: 0, resultValueMax: 20,
    learningObjectiveSet: [{ source: 'case', learningObjectiveIds: ['6b9f7e8a-2c1d-4e5f-9a0b-1c2d3e4f5a6b'] }, { source: 'district', learningObjectiveIds: ['ALG-1', 'ALG-2'] }],
  } });
  const result = (id: string, lineItemId: string, score: number) => ({ result: {
    sourcedId: id, status: 'active', lineItem: { sourcedId: lineItemId }, student: { sourcedId: student }, scoreStatus: 'fully graded', score,
    scoreDate: '2026-11-20', comment: 'round trip', learningObjectiveSet: [{ source: 'district', learningObjectiveResults: [{ learningObjectiveId: 'ALG-1', score: 2.5 }] }],
  } });

  beforeAll(async () => {
    upstream = await instance({ schools: 1, students: 16, seed: 8, lineItemsPerClass: 1 });
    gateway = await instance();
    const base = await listen(upstream.app);
    proxy = await faultProxy(base);
    const credentials = await new ClientStore(upstream.db.orm.em.fork()).add('gateway', ['roster.readonly', 'roster-demographics.readonly',
      'gradebook.readonly', 'assessment.readonly', 'gradebook.createput', 'gradebook.delete']);
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'sis', baseUrl: proxy.url, version: '1.2', auth: 'oauth2', tokenUrl: `${proxy.url}/oauth/token`, clientId: credentials.client_id,
      clientSecret: credentials.client_secret, services: 'rostering,gradebook', prefix: PREFIX, pushGrades: true,
    });
    const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv });
    auth = await bearer(keys, WRITE_SCOPES);
    upstreamAuth = await bearer(keys, WRITE_SCOPES); // both instances share the test signing key
    await sync(true);
    const cls = (await collection(gateway, 'classes'))[0]!;
    classId = cls.sourcedId;
    school = cls.school.sourcedId;
    student = (await collection(gateway, 'enrollments')).find((e) => e.class.sourcedId === classId && e.role === 'student')!.user.sourcedId;
    scale = (await get(gateway, '/scoreScales')).scoreScales[0].sourcedId;
    expect([classId, student, scale].every((id) => id.startsWith(PREFIX))).toBe(true);
  });
  afterAll(async () => {
    await proxy?.close();
    await closeInstances(upstream, gateway);
  });

  it('write here, push, sync: the run succeeds, changes nothing, and the grades keep their dateLastModified', async () => {
    await put(gateway, `/lineItems/${PREFIX}li-rt`, lineItem(`${PREFIX}li-rt`), auth);
    await put(gateway, `/results/${PREFIX}res-rt`, result(`${PREFIX}res-rt`, `${PREFIX}li-rt`, 17), auth);
    const before = { li: (await get(gateway, `/lineItems/${PREFIX}li-rt`)).lineItem, res: (await get(gateway, `/results/${PREFIX}res-rt`)).result };
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 2, failed: 0, pending: 0 }]);
    expect((await get(upstream, '/results/res-rt')).result.score).toBe(17);

    for (const full of [false, true]) {
      const report = await sync(full);
      expect(report.fetched.results, 'the incremental run reads the upstream\'s copy').toBeGreaterThan(0);
      expect({ changed: report.changed, deleted: report.deleted }).toEqual({ changed: 0, deleted: 0 });
      expect((await get(gateway, `/lineItems/${PREFIX}li-rt`)).lineItem).toEqual(before.li);
      expect((await get(gateway, `/results/${PREFIX}res-rt`)).result).toEqual(before.res);
    }
    // Delivered grades are the source's records now, with their parts.
    const owned = await run(gateway.db.orm.em.fork(), sql`select table_name, sourced_id from source_records
      where source_name = 'sis' and (sourced_id like ${`${PREFIX}li-rt%`} or sourced_id like ${`${PREFIX}res-rt%`}) order by 1, 2`);
    expect(owned.map((r) => `${r.table_name} ${r.sourced_id}`)).toEqual([
      `line_item_learning_objectives ${PREFIX}li-rt/learningObjectiveSet/000`, `line_item_learning_objectives ${PREFIX}li-rt/learningObjectiveSet/001`,
      `line_item_learning_objectives ${PREFIX}li-rt/learningObjectiveSet/002`, `line_item_score_scales ${PREFIX}li-rt/scoreScale`,
      `line_items ${PREFIX}li-rt`, `result_learning_objectives ${PREFIX}res-rt/learningObjectiveSet/000`, `results ${PREFIX}res-rt`,
    ]);
    // A change made upstream afterwards comes through as for any record of the source.
    await put(upstream, '/results/res-rt', { result: { ...result('res-rt', 'li-rt', 18).result, student: { sourcedId: student.slice(PREFIX.length) } } }, upstreamAuth);
    const report = await sync();
    expect(report.tables.results).toEqual({ changed: 1, deleted: 0 });
    expect((await get(gateway, `/results/${PREFIX}res-rt`)).result.score).toBe(18);
  });

  it('while a write waits for the upstream, syncs neither overwrite it nor mark it deleted; once delivered, the next sync takes the upstream\'s copy', async () => {
    // The upstream refuses writes (503) but still serves reads: the push waits, syncs run.
    proxy.faults.push(async (req, res) => {
      if (req.method === 'GET' || !req.url?.startsWith(G)) return false;
      res.writeHead(503).end();
      return 'keep';
    });
    await put(gateway, `/results/${PREFIX}res-rt`, result(`${PREFIX}res-rt`, `${PREFIX}li-rt`, 12), auth);
    const local = (await get(gateway, `/results/${PREFIX}res-rt`)).result;
    const [waiting] = await pushGrades(gateway.db, SOURCES_KEY, FAST);
    expect(waiting).toMatchObject({ delivered: 0, pending: 1, waiting: expect.stringMatching(/503/) });

    // Meanwhile the SIS changes that result itself: the incremental sync reads it and leaves ours.
    await put(upstream, '/results/res-rt', { result: { ...result('res-rt', 'li-rt', 5).result, comment: 'changed in the SIS', learningObjectiveSet: [],
      student: { sourcedId: student.slice(PREFIX.length) } } }, upstreamAuth);
    const incremental = await sync();
    expect(incremental.fetched.results).toBeGreaterThan(0);
    expect((await get(gateway, `/results/${PREFIX}res-rt`)).result).toEqual(local);
    // ...and then loses it altogether: a full sync does not mark ours tobedeleted.
    const em = upstream.db.orm.em.fork();
    await run(em, sql`delete from result_learning_objectives where result_sourced_id = 'res-rt'`);
    await run(em, sql`delete from result_score_scales where result_sourced_id = 'res-rt'`);
    await run(em, sql`delete from results where sourced_id = 'res-rt'`);
    const full = await sync(true);
    expect(full.tables.results?.deleted ?? 0).toBe(0);
    expect((await get(gateway, `/results/${PREFIX}res-rt`)).result).toEqual(local);

    // The upstream takes writes again: the grade arrives, and the next sync finds the upstream's copy equal to ours.
    proxy.faults.length = 0;
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 1, failed: 0, pending: 0 }]);
    expect((await get(upstream, '/results/res-rt')).result).toMatchObject({ score: 12, comment: 'round trip', status: 'active' });
    const after = await sync();
    expect(after.fetched.results).toBeGreaterThan(0);
    expect({ changed: after.changed, deleted: after.deleted }).toEqual({ changed: 0, deleted: 0 });
    expect((await get(gateway, `/results/${PREFIX}res-rt`)).result).toEqual(local);
  });
  it('a grade written here under an id without the prefix comes back from the upstream as itself, never as a second record', async () => {
    await put(gateway, '/lineItems/li-free', lineItem('li-free'), auth);
    await put(gateway, '/results/res-free', result('res-free', 'li-free', 9), auth);
    const before = { li: (await get(gateway, '/lineItems/li-free')).lineItem, res: (await get(gateway, '/results/res-free')).result };
    expect(await pushGrades(gateway.db, SOURCES_KEY, FAST)).toEqual([{ source: 'sis', delivered: 2, failed: 0, pending: 0 }]);
    expect((await get(upstream, '/results/res-free')).result).toMatchObject({ score: 9, lineItem: { sourcedId: 'li-free' } });
    const status = async (path: string) => (await gateway.app.inject({ method: 'GET', url: `${G}${path}`, headers: { authorization: gateway.auth } })).statusCode;

    for (const full of [false, true]) {
      const report = await sync(full);
      expect({ changed: report.changed, deleted: report.deleted }).toEqual({ changed: 0, deleted: 0 });
      expect(await status(`/lineItems/${PREFIX}li-free`)).toBe(404);
      expect(await status(`/results/${PREFIX}res-free`)).toBe(404);
      expect((await get(gateway, '/lineItems/li-free')).lineItem).toEqual(before.li);
      expect((await get(gateway, '/results/res-free')).result).toEqual(before.res);
    }
    // The SIS changes it, and adds a result of its own to that line item: both arrive, under the ids they have here.
    await put(upstream, '/results/res-free', { result: { ...result('res-free', 'li-free', 11).result, student: { sourcedId: student.slice(PREFIX.length) } } }, upstreamAuth);
    await put(upstream, '/results/res-sis', { result: { ...result('res-sis', 'li-free', 7).result, student: { sourcedId: student.slice(PREFIX.length) } } }, upstreamAuth);
    const report = await sync();
    expect(report.tables.results).toEqual({ changed: 2, deleted: 0 });
    expect((await get(gateway, '/results/res-free')).result.score).toBe(11);
    expect((await get(gateway, `/results/${PREFIX}res-sis`)).result).toMatchObject({ score: 7, lineItem: { sourcedId: 'li-free' }, student: { sourcedId: student } });
  });
});
