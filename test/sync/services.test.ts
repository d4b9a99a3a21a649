import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPackage } from '../../src/csv/import.js';
import { insertRows } from '../../src/db/bulk.js';
import { run, sql } from '../../src/db/sql.js';
import { ClientStore } from '../../src/auth/clients.js';
import { probeSource } from '../../src/sync/probe.js';
import { syncSource } from '../../src/sync/run.js';
import { addSource, listSources } from '../../src/sync/sources.js';
import { whyNotOffered } from '../../src/sync/not-offered.js';
import { SYNC_COLLECTIONS } from '../../src/sync/records.js';
import { UpstreamError } from '../../src/sync/upstream.js';
import { exportTo, scratchDir, writePackage } from '../csv/support.js';
import { addUpstreamSource, closeInstances, collection, instance, ROOT_COLLECTIONS, SOURCES_KEY, withoutStamp, type Instance } from './support.js';

type Rec = Record<string, any>;

/** A CSV file of the export as header + rows keyed by column name; `write` leaves empty cells empty (no data, not an empty string). */
function readCsv(dir: string, file: string) {
  const [header, ...rows] = parse(fs.readFileSync(path.join(dir, `${file}.csv`)), { bom: true }) as string[][];
  const records = rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
  const write = (list: Record<string, string>[]) =>
    `${[header!.join(','), ...list.map((r) => header!.map((h) => (r[h] ? `"${r[h].replace(/"/g, '""')}"` : '')).join(','))].join('\n')}\n`;
  return { records, write };
}

/**
 * Upstream: this server with a demo district that has gradebook data (line items, results, score scales,
 * learning objectives, assessments) and resources assigned to courses, classes and users. Gateway: an
 * empty instance syncing all three services from it over real HTTP.
 */
describe('sync of the gradebook and resources services', () => {
  let upstream: Instance;
  let gateway: Instance;
  let base: string;

  beforeAll(async () => {
    upstream = await instance({ schools: 1, students: 24, seed: 6, lineItemsPerClass: 2 });
    gateway = await instance();
    const em = upstream.db.orm.em.fork();
    // The seed has no score scales or learning objectives on results: give two results some.
    const [first, second] = await run(em, sql`select sourced_id, (select min(sourced_id) from score_scales) as scale from results order by sourced_id limit 2`);
    const now = new Date().toISOString();
    await insertRows(em, 'ResultScoreScale', [{ sourcedId: 'rss-1', status: 'active', dateLastModified: now, result: first!.sourced_id, scoreScale: first!.scale }]);
    await insertRows(em, 'ResultLearningObjective', [
      { sourcedId: 'rlo-1', status: 'active', dateLastModified: now, result: second!.sourced_id, source: 'case', learningObjectiveId: '6b9f7e8a-2c1d-4e5f-9a0b-1c2d3e4f5a6b', score: 3.5 },
      { sourcedId: 'rlo-2', status: 'active', dateLastModified: now, result: second!.sourced_id, source: 'district', learningObjectiveId: 'ALG-2', textScore: 'proficient' },
    ]);
    base = await addUpstreamSource(gateway, upstream, 'district', 'rostering,gradebook,resources');
  });
  afterAll(() => closeInstances(upstream, gateway));

  const expectSameCollections = async () => {
    for (const e of ROOT_COLLECTIONS) {
      expect(withoutStamp(await collection(gateway, e)), `${e.service}${e.path}`).toEqual(withoutStamp(await collection(upstream, e)));
    }
  };
  /** `<service>/<path>/<sourcedId>` → dateLastModified over every root collection. */
  const allStamps = async (i: Instance) => {
    const out = new Map<string, string>();
    for (const e of ROOT_COLLECTIONS) for (const r of await collection(i, e)) out.set(`${e.service}${e.path}/${r.sourcedId}`, r.dateLastModified);
    return out;
  };
  const movedBetween = (before: Map<string, string>, after: Map<string, string>) =>
    [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k).sort();
  const find = async (i: Instance, wrapper: string, sourcedId: string) =>
    (await collection(i, ROOT_COLLECTIONS.find((e) => e.path === `/${wrapper}`)!)).find((r) => r.sourcedId === sourcedId);

  it('a full run serves every rostering, gradebook and resources root collection exactly as the upstream does', async () => {
    const report = await syncSource(gateway.db, SOURCES_KEY, 'district', { upstream: { pageSize: 40 } });
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, mode: 'full' });
    for (const c of ['categories', 'scoreScales', 'lineItems', 'results', 'assessmentLineItems', 'assessmentResults', 'resources']) {
      expect(report.fetched[c], c).toBeGreaterThan(0);
    }
    expect(ROOT_COLLECTIONS.map((e) => e.path)).toEqual(expect.arrayContaining(['/lineItems', '/results', '/scoreScales', '/resources', '/students']));
    await expectSameCollections();
    // The embedded parts arrived (the comparison above would also pass were both sides without them).
    const lineItems = await collection(gateway, ROOT_COLLECTIONS.find((e) => e.path === '/lineItems')!);
    expect(lineItems.some((li) => li.scoreScale?.sourcedId && li.learningObjectiveSet?.length)).toBe(true);
    const results = await collection(gateway, ROOT_COLLECTIONS.find((e) => e.path === '/results')!);
    expect(results.filter((r) => r.scoreScale || r.learningObjectiveSet).map((r) => [r.scoreScale?.sourcedId, r.learningObjectiveSet?.length])).toEqual([
      [expect.any(String), undefined], [undefined, 2]]);
    expect((await collection(gateway, 'courses')).filter((c) => c.resources?.length).length).toBeGreaterThan(0);
    expect((await collection(gateway, 'users')).filter((u) => u.resources?.length).length).toBeGreaterThan(0);
    const [owned] = await run(gateway.db.orm.em.fork(), sql`select count(*)::int as n from source_records where source_name = 'district' and table_name = 'line_item_learning_objectives'`);
    expect(owned.n).toBeGreaterThan(0);
  });

  it('after a CSV delta import upstream, an incremental run takes exactly the changed, deleted and new records', async () => {
    const dir = scratchDir('sync-services-export');
    await exportTo(upstream.db, dir);
    const now = new Date().toISOString();
    const stamp = (r: Record<string, string>, changes: Record<string, string> = {}) => ({ ...r, status: 'active', dateLastModified: now, ...changes });
    const files: Record<string, string> = {};
    const lineItems = readCsv(dir, 'lineItems');
    const objectives = readCsv(dir, 'lineItemLearningObjectiveIds');
    const aligned = objectives.records[0]!;
    const changedItem = lineItems.records.find((r) => r.sourcedId === aligned.lineItemSourcedId)!;
    const otherItem = lineItems.records.find((r) => r.sourcedId !== changedItem.sourcedId)!;
    files.lineItems = lineItems.write([stamp(changedItem, { title: 'Renamed homework' }), stamp(otherItem, { sourcedId: 'li-new', title: 'New quiz' })]);
    // The renamed line item loses its objective; the new one gets two.
    files.lineItemLearningObjectiveIds = objectives.write([stamp(aligned, { status: 'tobedeleted' }),
      stamp(aligned, { sourcedId: 'lilo-new-1', lineItemSourcedId: 'li-new', source: 'district', learningObjectiveId: 'GEO-1' }),
      stamp(aligned, { sourcedId: 'lilo-new-2', lineItemSourcedId: 'li-new', source: 'district', learningObjectiveId: 'GEO-2' })]);
    const results = readCsv(dir, 'results');
    const gone = results.records[results.records.length - 1]!;
    const template = results.records.find((r) => r.lineItemSourcedId === otherItem.sourcedId)!;
    files.results = results.write([stamp(gone, { status: 'tobedeleted' }), stamp(template, { sourcedId: 'res-new', lineItemSourcedId: 'li-new', score: '77' })]);
    const scales = readCsv(dir, 'scoreScales');
    files.scoreScales = scales.write([stamp(scales.records[0]!, { title: 'Letters (revised)' })]);
    files.resultScoreScales = readCsv(dir, 'resultScoreScales').write([
      { sourcedId: 'rss-new', status: 'active', dateLastModified: now, resultSourcedId: 'res-new', scoreScaleSourcedId: scales.records[0]!.sourcedId }]);
    const categories = readCsv(dir, 'categories');
    files.categories = categories.write([stamp(categories.records[0]!, { sourcedId: 'cat-new', title: 'Projects' })]);
    const resources = readCsv(dir, 'resources');
    files.resources = resources.write([stamp(resources.records[0]!, { title: 'Atlas (2nd edition)' }),
      stamp(resources.records[0]!, { sourcedId: 'rsc-new', vendorResourceId: 'vr-new', title: 'New reader' })]);
    const courses = readCsv(dir, 'courses');
    const course = courses.records[0]!;
    files.courses = courses.write([stamp(course, { title: 'Course renamed' })]);
    files.courseResources = readCsv(dir, 'courseResources').write([
      { sourcedId: 'cres-new', status: 'active', dateLastModified: now, courseSourcedId: course.sourcedId, resourceSourcedId: 'rsc-new' }]);
    const users = readCsv(dir, 'users');
    const student = users.records.find((u) => u.sourcedId.startsWith('student-'))!;
    files.users = users.write([stamp(student, { givenName: 'Renamed' })]);
    const enrollments = readCsv(dir, 'enrollments');
    files.enrollments = enrollments.write([stamp(enrollments.records[0]!, { status: 'tobedeleted' })]);

    const upstreamBefore = await allStamps(upstream);
    const gatewayBefore = await allStamps(gateway);
    const imported = await importPackage(upstream.db, writePackage(scratchDir('sync-services-delta'), files,
      Object.fromEntries(Object.keys(files).map((k) => [k, 'delta' as const]))));
    expect(imported.errors).toEqual([]);
    const upstreamMoved = movedBetween(upstreamBefore, await allStamps(upstream));
    expect(upstreamMoved).toEqual(expect.arrayContaining(['gradebook/lineItems/li-new', 'gradebook/results/res-new', 'gradebook/categories/cat-new',
      'resources/resources/rsc-new', `gradebook/results/${gone.sourcedId}`, `rostering/courses/${course.sourcedId}`]));

    const report = await syncSource(gateway.db, SOURCES_KEY, 'district', { upstream: { pageSize: 40 } });
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, mode: 'incremental' });
    await expectSameCollections();
    expect(movedBetween(gatewayBefore, await allStamps(gateway))).toEqual(upstreamMoved);

    expect((await find(gateway, 'lineItems', changedItem.sourcedId!))?.learningObjectiveSet).toBeUndefined();
    expect((await find(gateway, 'lineItems', 'li-new'))?.learningObjectiveSet).toEqual([{ source: 'district', learningObjectiveIds: ['GEO-1', 'GEO-2'] }]);
    expect((await find(gateway, 'results', 'res-new'))?.scoreScale?.sourcedId).toBe(scales.records[0]!.sourcedId);
    expect((await find(gateway, 'results', gone.sourcedId!))?.status).toBe('tobedeleted');
    expect((await find(gateway, 'courses', course.sourcedId!))?.resources).toEqual(expect.arrayContaining([{ href: expect.any(String), sourcedId: 'rsc-new', type: 'resource' }]));
  });

  it('a bad gradebook record fails the run naming URL, sourcedId and field; nothing of the run is kept', async () => {
    const em = upstream.db.orm.em.fork();
    await run(em, sql`update categories set title = 'Quizzes and tests', date_last_modified = now() where sourced_id = (select min(sourced_id) from categories)`);
    const [bad] = await run(em, sql`update results set score_status = 'graded-ish', date_last_modified = now()
      where sourced_id = (select min(sourced_id) from results where status = 'active') returning sourced_id`);
    const before = await allStamps(gateway);
    const report = await syncSource(gateway.db, SOURCES_KEY, 'district');
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/invalid upstream records; nothing was written/);
    expect(report.errors).toEqual([{ url: expect.stringMatching(/\/ims\/oneroster\/gradebook\/v1p2\/results\?/), sourcedId: bad.sourced_id, field: 'scoreStatus',
      reason: expect.stringMatching(/"graded-ish" is not one of/) }]);
    expect(await allStamps(gateway)).toEqual(before);
    await run(em, sql`update results set score_status = 'fully graded', date_last_modified = now() where sourced_id = ${bad.sourced_id}`);
  });

  it('a full run tombstones the gradebook and resources records the upstream no longer lists, and parts an owner no longer has', async () => {
    const em = upstream.db.orm.em.fork();
    const [assessment] = await run(em, sql`delete from assessment_results where sourced_id = (select min(sourced_id) from assessment_results) returning sourced_id`);
    const [unlinked] = await run(em, sql`delete from user_resources where sourced_id = (select min(sourced_id) from user_resources) returning user_sourced_id`);
    await run(em, sql`update users set date_last_modified = now() where sourced_id = ${unlinked.user_sourced_id}`);
    const report = await syncSource(gateway.db, SOURCES_KEY, 'district', { full: true });
    expect(report.error).toBeUndefined();
    expect(report.tables.assessment_results).toEqual({ changed: 0, deleted: 1 });
    expect(report.tables.user_resources).toEqual({ changed: 0, deleted: 1 });
    expect((await find(gateway, 'assessmentResults', String(assessment.sourced_id)))?.status).toBe('tobedeleted');
    expect((await find(gateway, 'users', String(unlinked.user_sourced_id)))?.resources).toBeUndefined();
    // Everything else, the category fixed after the failed run included, is the upstream's again.
    const upstreamSide = ROOT_COLLECTIONS.filter((e) => e.path !== '/assessmentResults');
    for (const e of upstreamSide) expect(withoutStamp(await collection(gateway, e)), e.path).toEqual(withoutStamp(await collection(upstream, e)));
  });
  it('an upstream that does not grant the assessment collections: the run goes on without them, says so, and marks none of them tobedeleted', async () => {
    // A source of its own (prefixed: the records are not district's) whose upstream client loses its scopes between runs.
    const clients = new ClientStore(upstream.db.orm.em.fork());
    const all = ['roster.readonly', 'roster-demographics.readonly', 'gradebook.readonly', 'assessment.readonly'];
    const client = await clients.add('limited', all);
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'limited', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: client.client_id, clientSecret: client.client_secret, services: 'rostering,gradebook', prefix: 'lim-',
    });
    const assessmentsHere = async () => (await collection(gateway, ROOT_COLLECTIONS.find((e) => e.path === '/assessmentResults')!))
      .filter((r) => r.sourcedId.startsWith('lim-'));
    const first = await syncSource(gateway.db, SOURCES_KEY, 'limited', { upstream: { pageSize: 40 } });
    expect(first.error).toBeUndefined();
    expect(first.skipped).toEqual({});
    const before = await assessmentsHere();
    expect(before.length).toBeGreaterThan(0);

    await clients.update(client.client_id, { scopes: ['roster.readonly', 'roster-demographics.readonly', 'gradebook.readonly'] });
    const probe = await probeSource(gateway.db.orm.em.fork(), SOURCES_KEY, 'limited', { pageSize: 5 });
    expect(probe.ok).toBe(true);
    expect(probe.collections.find((c) => c.collection === 'results')).toMatchObject({ records: 5 });
    expect(probe.collections.find((c) => c.collection === 'assessmentResults')).toMatchObject({
      skipped: true, error: 'the upstream refuses assessmentResults (403): its client for this gateway lacks assessment.readonly',
    });

    const full = await syncSource(gateway.db, SOURCES_KEY, 'limited', { full: true, upstream: { pageSize: 40 } });
    expect(full.error).toBeUndefined();
    expect(full.ok).toBe(true);
    expect(Object.keys(full.skipped)).toEqual(['assessmentLineItems', 'assessmentResults']);
    expect(full.skipped.assessmentLineItems).toContain('lacks assessment.readonly');
    expect(full.fetched.results).toBeGreaterThan(0);
    expect(full.deleted).toBe(0);
    expect(await assessmentsHere()).toEqual(before);
    const listed = (await listSources(gateway.db.orm.em.fork())).find((x) => x.name === 'limited')!;
    expect(listed.lastRun).toMatchObject({ status: 'succeeded', skipped: full.skipped });

    // Granted again: the next incremental run reads those collections whole (their changes meanwhile were never
    // read), the one after only what changed.
    const upstreamCount = async (path: string) => (await collection(upstream, ROOT_COLLECTIONS.find((e) => e.path === path)!)).length;
    await clients.update(client.client_id, { scopes: all });
    const regained = await syncSource(gateway.db, SOURCES_KEY, 'limited', { marginMs: 0, upstream: { pageSize: 40 } });
    expect(regained).toMatchObject({ ok: true, mode: 'incremental', skipped: {} });
    expect(regained.fetched.assessmentLineItems).toBe(await upstreamCount('/assessmentLineItems'));
    expect(regained.fetched.assessmentResults).toBe(await upstreamCount('/assessmentResults'));
    expect(regained.fetched.results).toBe(0);
    expect(await assessmentsHere()).toEqual(before);
    const after = await syncSource(gateway.db, SOURCES_KEY, 'limited', { marginMs: 0, upstream: { pageSize: 40 } });
    expect(after.fetched.assessmentResults).toBe(0);

    // Demographics withheld too (optional), and the gradebook refused, which the service cannot do without: the
    // run fails at categories saying which scope, and writes nothing.
    await clients.update(client.client_id, { scopes: ['roster.readonly'] });
    const refused = await syncSource(gateway.db, SOURCES_KEY, 'limited', { full: true, upstream: { pageSize: 40 } });
    expect(refused.ok).toBe(false);
    expect(refused.skipped).toEqual({ demographics: 'the upstream refuses demographics (403): its client for this gateway lacks roster-demographics.readonly' });
    expect(refused.error).toBe(`the upstream refuses categories (403): its client for this gateway lacks gradebook.readonly or gradebook-core.readonly: ${base}/ims/oneroster/gradebook/v1p2/categories?limit=40&offset=0`);
    expect(await assessmentsHere()).toEqual(before);
    const failedProbe = await probeSource(gateway.db.orm.em.fork(), SOURCES_KEY, 'limited', { pageSize: 5 });
    expect(failedProbe.ok).toBe(false);
    expect(failedProbe.collections.find((c) => c.collection === 'categories')?.error).toContain('(403)');
    expect(failedProbe.collections.find((c) => c.collection === 'users')).toMatchObject({ records: 5 });
  });

  it('names a collection an upstream does not implement (404, 501) as not offered; other faults are not', () => {
    const assessments = SYNC_COLLECTIONS.find((c) => c.wrapper === 'assessmentLineItems')!;
    expect(assessments.optional).toBe(true);
    expect(SYNC_COLLECTIONS.filter((c) => c.optional).map((c) => c.wrapper)).toEqual(['demographics', 'assessmentLineItems', 'assessmentResults']);
    const answered = (status: number) => new UpstreamError(`upstream answered ${status}: u`, 'u', false, undefined, status);
    expect(whyNotOffered(assessments, answered(404))).toBe('the upstream does not offer assessmentLineItems (404)');
    expect(whyNotOffered(assessments, answered(501))).toBe('the upstream does not offer assessmentLineItems (501)');
    for (const status of [400, 401, 500, 503]) expect(whyNotOffered(assessments, answered(status))).toBeUndefined();
    expect(whyNotOffered(assessments, new Error('socket hang up'))).toBeUndefined();
  });
  it('the gateway\'s own CSV export, parts a sync made included, imports into a fresh database', async () => {
    const em = gateway.db.orm.em.fork();
    const parts = await run(em, sql`select (select count(*)::int from line_item_score_scales) + (select count(*)::int from line_item_learning_objectives)
      + (select count(*)::int from course_resources) + (select count(*)::int from class_resources) + (select count(*)::int from user_resources) as n`);
    expect(Number(parts[0]!.n)).toBeGreaterThan(0);
    const dir = scratchDir('sync-services-roundtrip');
    await exportTo(gateway.db, dir);
    const fresh = await instance();
    try {
      const imported = await importPackage(fresh.db, dir);
      expect(imported.errors.slice(0, 5)).toEqual([]);
      expect(imported.ok).toBe(true);
      for (const table of ['line_item_score_scales', 'line_item_learning_objectives', 'course_resources', 'class_resources', 'user_resources']) {
        // A bulk export carries the live records (tombstones travel in deltas).
        const count = async (db: Instance['db']) => Number((await run(db.orm.em.fork(), sql`select count(*)::int as n from ${sql.table(table)} where status = 'active'`))[0]!.n);
        expect(await count(fresh.db), table).toBe(await count(gateway.db));
      }
    } finally {
      await closeInstances(fresh);
    }
  });
});
