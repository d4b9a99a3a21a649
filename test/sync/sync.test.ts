import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ClientStore } from '../../src/auth/clients.js';
import { insertRows } from '../../src/db/bulk.js';
import { run, runOnClient, sql } from '../../src/db/sql.js';
import { probeSource } from '../../src/sync/probe.js';
import { syncSource } from '../../src/sync/run.js';
import { startSyncSchedule } from '../../src/sync/schedule.js';
import { addSource, dueSources, listSources, parseEvery, updateSource } from '../../src/sync/sources.js';
import { collection, COLLECTIONS, instance, listen, SOURCES_KEY, stamps, upstreamClient, withoutStamp, type Instance } from './support.js';

/** Upstream: a second instance of this server with the demo district, over real HTTP. Gateway: an empty instance that syncs from it. */
describe('sync from an upstream OneRoster 1.2 provider', () => {
  let upstream: Instance;
  let gateway: Instance;
  let base: string;
  let credentials: { client_id: string; client_secret: string };

  beforeAll(async () => {
    upstream = await instance({ schools: 1, students: 24, seed: 5 });
    gateway = await instance();
    base = await listen(upstream.app);
    credentials = await upstreamClient(upstream.db);
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'district', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: credentials.client_id, clientSecret: credentials.client_secret, services: 'rostering,resources',
    });
  });
  afterAll(async () => {
    await upstream?.app.close();
    await gateway?.app.close();
    await upstream?.db.close();
    await gateway?.db.close();
  });

  const expectSameCollections = async () => {
    for (const c of COLLECTIONS) expect(withoutStamp(await collection(gateway, c)), c).toEqual(withoutStamp(await collection(upstream, c)));
  };

  /** Every key, foreign key and index of the public schema, as the catalog defines them. */
  const structure = async () => (await run(gateway.db.orm.em.fork(), sql`select conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) as d
      from pg_constraint where connamespace = 'public'::regnamespace
    union all select indexdef from pg_indexes where schemaname = 'public' order by 1`)).map((r) => String(r.d));

  it('a first run is full, pages through every rostering collection, and serves exactly the upstream records', async () => {
    // Into an empty gateway: the tables' keys, indexes and foreign keys are dropped while they fill and rebuilt.
    const before = await structure();
    const report = await syncSource(gateway.db, SOURCES_KEY, 'district', { upstream: { pageSize: 7 } });
    expect(await structure()).toEqual(before);
    expect(before.length).toBeGreaterThan(50);
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, mode: 'full', dryRun: false });
    expect(report.fetched.users).toBe((await collection(upstream, 'users')).length);
    expect(report.changed).toBeGreaterThan(report.fetched.users);
    await expectSameCollections();
    const [owned] = await run(gateway.db.orm.em.fork(), sql`select count(*)::int as n from source_records where source_name = 'district' and table_name = 'users'`);
    expect(owned.n).toBe(report.fetched.users);
  });

  it('an incremental run takes only real changes: updated, tombstoned and new records; the rest keep their dateLastModified', async () => {
    const before = await stamps(gateway);
    const em = upstream.db.orm.em.fork();
    const [user] = await run(em, sql`update users set given_name = 'Renamed', date_last_modified = now()
      where sourced_id = (select min(sourced_id) from users where sourced_id like 'student-%') returning sourced_id`);
    const [enrollment] = await run(em, sql`update enrollments set status = 'tobedeleted', date_last_modified = now()
      where sourced_id = (select min(sourced_id) from enrollments) returning sourced_id`);
    await insertRows(em, 'Org', [{ sourcedId: 'dept-science', status: 'active', dateLastModified: new Date().toISOString(), name: 'Science', type: 'department', parent: 'district-1' }]);

    const report = await syncSource(gateway.db, SOURCES_KEY, 'district');
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, mode: 'incremental' });
    expect(report.since).toBeDefined();
    await expectSameCollections();

    const after = await stamps(gateway);
    const moved = [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k).sort();
    expect(moved).toEqual([`enrollments/${enrollment.sourced_id}`, 'orgs/dept-science', `users/${user.sourced_id}`].sort());
    expect(report.changed + report.deleted).toBe(3);
  });

  it('a full run marks what the upstream no longer lists tobedeleted, only for this source', async () => {
    const em = upstream.db.orm.em.fork();
    const [gone] = await run(em, sql`delete from enrollments where sourced_id = (select max(sourced_id) from enrollments) returning sourced_id`);
    // A record of the gateway's own (loaded here, not by the source) is never touched by the source's runs.
    await insertRows(gateway.db.orm.em.fork(), 'Org', [{ sourcedId: 'local-org', status: 'active', name: 'Local', type: 'school' }]);

    const report = await syncSource(gateway.db, SOURCES_KEY, 'district', { full: true });
    expect(report.error).toBeUndefined();
    expect(report.mode).toBe('full');
    const enrollments = await collection(gateway, 'enrollments');
    expect(enrollments.find((e) => e.sourcedId === gone.sourced_id)?.status).toBe('tobedeleted');
    expect((await collection(gateway, 'orgs')).find((o) => o.sourcedId === 'local-org')?.status).toBe('active');
    expect(report.tables.enrollments?.deleted).toBe(1);
  });

  it('a dry run reports what would change and writes nothing', async () => {
    await run(upstream.db.orm.em.fork(), sql`update orgs set name = 'Dry District', date_last_modified = now() where sourced_id = 'district-1'`);
    const before = await collection(gateway, 'orgs');
    const report = await syncSource(gateway.db, SOURCES_KEY, 'district', { dryRun: true });
    expect(report).toMatchObject({ ok: true, dryRun: true });
    expect(report.tables.orgs?.changed).toBe(1);
    expect(await collection(gateway, 'orgs')).toEqual(before);
  });

  it('keeps its staging tables only while it runs, and drops what a crashed earlier run of the source left', async () => {
    const em = gateway.db.orm.em.fork();
    const stageTables = async () => (await run(em, sql`select table_name from information_schema.tables where table_schema = 'sync_stage'`))
      .map((r) => String(r.table_name));
    const [earlier] = await run(em, sql`select min(id) as id from sync_runs where source_name = 'district'`);
    const leftover = `r${String(earlier.id)}_users`;
    await run(em, sql`create table ${sql.table(`sync_stage.${leftover}`)} (like users)`);
    expect(await stageTables()).toEqual([leftover]);
    let seen: string[] = [];
    const report = await syncSource(gateway.db, SOURCES_KEY, 'district', {
      full: true, onPage: () => { void stageTables().then((t) => (seen = t.length > seen.length ? t : seen)); },
    });
    expect(report.error).toBeUndefined();
    expect(seen.some((t) => t.endsWith('_users') && t !== leftover)).toBe(true);
    expect(await stageTables()).toEqual([]);
  });

  it('a second source delivering the same sourcedIds without a prefix is refused, nothing overwritten', async () => {
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'copycat', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: credentials.client_id, clientSecret: credentials.client_secret,
    });
    const before = await stamps(gateway);
    const report = await syncSource(gateway.db, SOURCES_KEY, 'copycat');
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/cannot be stored; nothing was written/);
    expect(report.errors[0]?.reason).toMatch(/belongs to source district; give this source a --prefix/);
    expect(await stamps(gateway)).toEqual(before);
    const listed = await listSources(gateway.db.orm.em.fork());
    expect(listed.find((s) => s.name === 'copycat')?.lastError).toMatch(/nothing was written/);
    expect(JSON.stringify(listed)).not.toContain(credentials.client_secret);
  });

  it('with a prefix the same upstream becomes records of its own', async () => {
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'mirror', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: credentials.client_id, clientSecret: credentials.client_secret, prefix: 'm-',
    });
    const report = await syncSource(gateway.db, SOURCES_KEY, 'mirror');
    expect(report.error).toBeUndefined();
    const classes = await collection(gateway, 'classes');
    const mirrored = classes.find((c) => c.sourcedId.startsWith('m-'));
    expect(mirrored?.course.sourcedId).toMatch(/^m-/);
    expect(mirrored?.school.sourcedId).toMatch(/^m-/);
  });

  it('sources test: a token and the first page of each collection; wrong credentials fail naming the token URL', async () => {
    const probe = await probeSource(gateway.db.orm.em.fork(), SOURCES_KEY, 'district', { pageSize: 5 });
    expect(probe.collections.map((c) => c.collection)).toEqual([...COLLECTIONS, 'resources']);
    const users = probe.collections.find((c) => c.collection === 'users')!;
    expect(users).toMatchObject({ records: 5, total: (await collection(upstream, 'users')).length });
    expect(users.url).toBe(`${base}/ims/oneroster/rostering/v1p2/users?limit=5&offset=0`);

    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'wrong', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: credentials.client_id, clientSecret: 'not-the-secret',
    });
    await expect(probeSource(gateway.db.orm.em.fork(), SOURCES_KEY, 'wrong')).rejects.toThrow(`upstream answered 401: ${base}/oauth/token`);
  });

  it('serve syncs sources added with --every on their schedule, and only those', async () => {
    expect(parseEvery('15m')).toBe(900);
    expect(() => parseEvery('15 minutes')).toThrow(/--every must be/);
    expect(() => parseEvery('0s')).toThrow(/between 1s and 30d/);
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'timed', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: credentials.client_id, clientSecret: credentials.client_secret, prefix: 't-', every: '2s',
    });
    const em = gateway.db.orm.em.fork();
    expect(await dueSources(em)).toEqual(['timed']);
    const runsOf = async (name: string) => (await run(em, sql`select status from sync_runs where source_name = ${name} order by id`)).map((r) => r.status);
    const districtRuns = (await runsOf('district')).length;
    const schedule = startSyncSchedule(gateway.db, { sourcesKey: SOURCES_KEY.toString('base64') }, gateway.app.log, { tickMs: 100 });
    try {
      const deadline = Date.now() + 30_000;
      while ((await runsOf('timed')).filter((s) => s === 'succeeded').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    } finally {
      await schedule.stop();
    }
    expect((await runsOf('timed')).slice(0, 2)).toEqual(['succeeded', 'succeeded']);
    expect(await runsOf('district')).toHaveLength(districtRuns);
    expect((await collection(gateway, 'orgs')).some((o) => o.sourcedId === 't-district-1')).toBe(true);
  });

  it('never runs two syncs of one source at once', async () => {
    const runs = await Promise.allSettled([
      syncSource(gateway.db, SOURCES_KEY, 'district'), syncSource(gateway.db, SOURCES_KEY, 'district'),
    ]);
    expect(runs.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([
      expect.stringMatching(/a sync of district is already running/),
    ]);
  });

  it('holds a database lock per source, so that another process cannot run it meanwhile', async () => {
    // On a PostgreSQL server the lock is per session: held here on a connection of its own, a run elsewhere is refused.
    // The embedded database has a single backend, where the in-process guard above is what excludes a second run.
    const client = new pg.Client({ connectionString: gateway.db.orm.config.get('clientUrl') });
    await client.connect();
    try {
      const [held] = await runOnClient(client, sql`select pg_try_advisory_lock(7410018, hashtext('district')) as ok`);
      expect(held.ok).toBe(true);
      const outcome = await syncSource(gateway.db, SOURCES_KEY, 'district').then(() => 'ran', (err: Error) => err.message);
      expect(outcome).toBe(gateway.db.embedded ? 'ran' : 'a sync of district is already running (another process holds its lock)');
    } finally {
      await client.end();
    }
  });

  it('sources update takes a rotated secret and a new address without losing the source\'s records or history', async () => {
    const em = gateway.db.orm.em.fork();
    const sourceRecords = async () => Number((await run(em, sql`select count(*)::int as n from source_records where source_name = 'district'`))[0]!.n);
    const owned = await sourceRecords();
    expect(owned).toBeGreaterThan(0);
    const rotated = await new ClientStore(upstream.db.orm.em.fork()).rotateSecret(credentials.client_id);
    const refused = await syncSource(gateway.db, SOURCES_KEY, 'district');
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/401/);

    await expect(updateSource(em, undefined, 'district', { clientSecret: rotated!.client_secret })).rejects.toThrow('SOURCES_KEY');
    await expect(updateSource(em, SOURCES_KEY, 'district', { tokenUrl: 'ftp://x' })).rejects.toThrow('--token-url must be an absolute http(s) URL');
    await expect(updateSource(em, SOURCES_KEY, 'district', { every: 'soon' })).rejects.toThrow('--every must be');
    await expect(updateSource(em, SOURCES_KEY, 'nosuch', { pageSize: '5' })).rejects.toThrow('no source nosuch');
    // The same server under another address (a SIS that moved): base URL and token URL change together.
    const moved = base.replace('127.0.0.1', 'localhost');
    await updateSource(em, SOURCES_KEY, 'district', { clientSecret: rotated!.client_secret, baseUrl: moved, tokenUrl: `${moved}/oauth/token`, every: '15m' });
    const [listed] = (await listSources(em)).filter((s) => s.name === 'district');
    expect(listed).toMatchObject({ baseUrl: moved, tokenUrl: `${moved}/oauth/token`, everySeconds: 900, services: ['rostering', 'resources'] });
    expect(JSON.stringify(listed)).not.toContain(rotated!.client_secret);

    const report = await syncSource(gateway.db, SOURCES_KEY, 'district');
    expect(report).toMatchObject({ ok: true, mode: 'incremental' });
    expect(await sourceRecords()).toBe(owned);
    await updateSource(em, undefined, 'district', { every: 'off' });
    expect((await listSources(em)).find((s) => s.name === 'district')?.everySeconds).toBeNull();
  });
});
