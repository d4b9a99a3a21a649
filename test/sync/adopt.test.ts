import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPackage } from '../../src/csv/export.js';
import { importPackage } from '../../src/csv/import.js';
import { folderSink } from '../../src/csv/sinks.js';
import { run, sql } from '../../src/db/sql.js';
import { syncSource } from '../../src/sync/run.js';
import { addSource } from '../../src/sync/sources.js';
import { closeInstances, collection, COLLECTIONS, instance, listen, snapshot, SOURCES_KEY, upstreamClient, withoutStamp, type Instance } from './support.js';

/**
 * A district that loaded its SIS's CSV export here and now syncs the SIS over REST: the records are already
 * here, belonging to no source. A run refuses them unless it adopts them (`--adopt`).
 */
describe('sync --adopt: records loaded here by CSV become the source\'s', () => {
  let upstream: Instance;
  let gateway: Instance;
  let dir: string;

  beforeAll(async () => {
    upstream = await instance({ schools: 1, students: 16, seed: 21 });
    gateway = await instance();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'og-adopt-'));
    await exportPackage(upstream.db, await folderSink(dir));
    expect((await importPackage(gateway.db, dir)).ok).toBe(true);
    // One record only the CSV had (the SIS dropped it since): adoption leaves it as it is.
    await run(gateway.db.orm.em.fork(), sql`insert into academic_sessions (sourced_id, status, date_last_modified, title, type, start_date, end_date, school_year)
      values ('csv-only-term', 'active', now(), 'Old term', 'term', '2020-01-01', '2020-06-30', '2020')`);
    const base = await listen(upstream.app);
    const credentials = await upstreamClient(upstream.db);
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'sis', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: credentials.client_id, clientSecret: credentials.client_secret, services: 'rostering,resources',
    });
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await closeInstances(upstream, gateway);
  });

  const owners = async () => (await run(gateway.db.orm.em.fork(), sql`select count(*)::int as n from source_records where source_name = 'sis'`))[0]!.n;

  it('without --adopt the run is refused, naming the record and the way out, and writes nothing', async () => {
    const before = await snapshot(gateway);
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis');
    expect(report.ok).toBe(false);
    expect(report.errors[0]).toMatchObject({ field: 'sourcedId', reason: expect.stringMatching(/exists here and was not delivered by this source \(CSV import or API\); give this source a --prefix, or sync with --adopt/) });
    expect(await snapshot(gateway)).toEqual(before);
    expect(await owners()).toBe(0);
  });

  it('a dry run counts what it would adopt and writes nothing', async () => {
    const before = await snapshot(gateway);
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { adopt: true, dryRun: true });
    expect(report.ok).toBe(true);
    expect(report.adopted).toBeGreaterThan(0);
    expect(await snapshot(gateway)).toEqual(before);
    expect(await owners()).toBe(0);
  });

  it('with --adopt the records become the source\'s; unchanged ones keep their dateLastModified; what the SIS does not deliver stays as it was', async () => {
    const csvUsers = await collection(gateway, 'users');
    const csvOrgs = await collection(gateway, 'orgs');
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { adopt: true });
    expect(report.ok, report.error).toBe(true);
    expect(report.adopted).toBeGreaterThan(csvUsers.length);
    for (const c of COLLECTIONS.filter((c) => c !== 'academicSessions')) {
      expect(withoutStamp(await collection(gateway, c)), c).toEqual(withoutStamp(await collection(upstream, c)));
    }
    // The CSV held the same values: they keep the import's change time, so this server's delta consumers see nothing.
    expect(await collection(gateway, 'orgs')).toEqual(csvOrgs);
    expect(report.tables.orgs?.changed ?? 0).toBe(0);
    const terms = await collection(gateway, 'academicSessions');
    expect(terms.find((t) => t.sourcedId === 'csv-only-term')).toMatchObject({ status: 'active', title: 'Old term' });
    expect(await owners()).toBeGreaterThanOrEqual(report.adopted!);

    // Now the source's own: its changes and deletions arrive; a full run leaves the CSV-only record alone (not the source's).
    const [gone] = await run(upstream.db.orm.em.fork(), sql`update courses set status = 'tobedeleted', date_last_modified = now()
      where sourced_id = (select min(sourced_id) from courses) returning sourced_id`);
    const full = await syncSource(gateway.db, SOURCES_KEY, 'sis', { full: true });
    expect(full.ok, full.error).toBe(true);
    expect((await collection(gateway, 'courses')).find((c) => c.sourcedId === gone!.sourced_id)?.status).toBe('tobedeleted');
    expect((await collection(gateway, 'academicSessions')).find((t) => t.sourcedId === 'csv-only-term')?.status).toBe('active');
  });

  it('never adopts another source\'s record', async () => {
    const [org] = await collection(gateway, 'orgs');
    await run(gateway.db.orm.em.fork(), sql`update source_records set source_name = 'other' where table_name = 'orgs' and sourced_id = ${org!.sourcedId}`);
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { adopt: true, full: true });
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => e.reason)).toEqual([expect.stringContaining(`belongs to source other; give this source a --prefix`)]);
  });
});
