import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, sql } from '../../src/db/sql.js';
import { INTERRUPTED, syncSource } from '../../src/sync/run.js';
import { startSyncSchedule } from '../../src/sync/schedule.js';
import { addSource } from '../../src/sync/sources.js';
import { cliDatabase } from '../csv/support.js';
import { CLI, runCli, runCliKilledWhen } from '../support/cli.js';
import { closeInstances, expectConverged, faultProxy, instance, listen, proxiedSource, requestTo, snapshot, SOURCES_KEY, stagingTables, upstreamClient, type Fault, type Instance } from './support.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Holds every /users request (the run waits there) until the test's end; `reached` resolves at the first one. */
function holdUsers(): { fault: Fault; reached: Promise<void> } {
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const fault: Fault = async (req, res) => {
    if (!requestTo('/users')(req)) return false;
    reach();
    await sleep(20_000);
    res.destroy();
    return 'keep';
  };
  return { fault, reached };
}

/** A run stopped while it goes on (Ctrl-C, `serve` stopping) or whose process died: recorded as failed, nothing kept, the next run converges. */
describe('sync runs stopped before they finish', { timeout: 300_000 }, () => {
  let upstream: Instance;
  let gateway: Instance;
  let proxy: Awaited<ReturnType<typeof faultProxy>>;

  beforeAll(async () => {
    ({ upstream, gateway, proxy } = await proxiedSource(11));
    // A first run, so that "as before" holds data.
    expect((await syncSource(gateway.db, SOURCES_KEY, 'sis')).ok).toBe(true);
    await run(upstream.db.orm.em.fork(), sql`update users set given_name = given_name || '-changed', date_last_modified = now()`);
  });
  afterAll(async () => {
    proxy.faults.length = 0;
    await proxy?.close();
    await closeInstances(upstream, gateway);
  });

  const lastRun = async () => (await run(gateway.db.orm.em.fork(), sql`select status, error, finished_at from sync_runs where source_name = 'sis' order by id desc limit 1`))[0]!;

  it('a run stopped mid-fetch ends at once with the reason, keeps nothing and is recorded failed; the next run converges', async () => {
    const before = await snapshot(gateway);
    const held = holdUsers();
    proxy.faults.push(held.fault);
    const controller = new AbortController();
    void held.reached.then(() => controller.abort(new Error('stopped by the test')));
    const t0 = Date.now();
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { signal: controller.signal, upstream: { timeoutMs: 15_000, pageSize: 10 } });
    proxy.faults.length = 0;
    expect(Date.now() - t0).toBeLessThan(10_000); // not the page's timeout, nor its retries
    expect(report).toMatchObject({ ok: false, error: 'stopped by the test', changed: 0, deleted: 0 });
    expect(await lastRun()).toMatchObject({ status: 'failed', error: 'stopped by the test' });
    expect(await stagingTables(gateway.db)).toEqual([]);
    expect(await snapshot(gateway)).toEqual(before);

    expect((await syncSource(gateway.db, SOURCES_KEY, 'sis')).ok).toBe(true);
    await expectConverged(gateway, upstream);
  });

  it('a run recorded running whose process died is marked failed by the next run of its source', async () => {
    const em = gateway.db.orm.em.fork();
    const [dead] = await run(em, sql`insert into sync_runs (source_name, mode, dry_run, started_at, status) values ('sis', 'full', false, now() - interval '1 hour', 'running') returning id`);
    expect((await syncSource(gateway.db, SOURCES_KEY, 'sis')).ok).toBe(true);
    const [row] = await run(em, sql`select status, error from sync_runs where id = ${dead!.id}`);
    expect(row).toEqual({ status: 'failed', error: INTERRUPTED });
    expect(await run(em, sql`select id from sync_runs where status = 'running'`)).toEqual([]);
  });

  it('`serve` stopping cuts a scheduled run short: recorded failed with why, the data as before', async () => {
    await run(upstream.db.orm.em.fork(), sql`update users set family_name = family_name || '-again', date_last_modified = now()`);
    await run(gateway.db.orm.em.fork(), sql`update sources set every_seconds = 1 where name = 'sis'`);
    const before = await snapshot(gateway);
    const held = holdUsers();
    proxy.faults.push(held.fault);
    const schedule = startSyncSchedule(gateway.db, { sourcesKey: SOURCES_KEY.toString('base64') }, gateway.app.log, { tickMs: 100 });
    try {
      await held.reached;
      const t0 = Date.now();
      await schedule.stop();
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      proxy.faults.length = 0;
      await run(gateway.db.orm.em.fork(), sql`update sources set every_seconds = null where name = 'sis'`);
    }
    expect(await lastRun()).toMatchObject({ status: 'failed', error: 'interrupted: the server is stopping; nothing of the run was kept' });
    expect(await snapshot(gateway)).toEqual(before);
  });
});

/** The real CLI: Ctrl-C stops the run cleanly; a process killed outright leaves a run the next one marks failed. */
describe('oneroster-graph sync interrupted', { timeout: 300_000 }, () => {
  let cli: Awaited<ReturnType<typeof cliDatabase>>;
  let upstream: Instance;
  let proxy: Awaited<ReturnType<typeof faultProxy>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cli = await cliDatabase();
    upstream = await instance({ schools: 1, students: 12, seed: 4 });
    proxy = await faultProxy(await listen(upstream.app));
    const credentials = await upstreamClient(upstream.db);
    env = { ...cli.env, SOURCES_KEY: SOURCES_KEY.toString('base64'), LOG_LEVEL: 'silent' };
    const added = await runCli(['sources', 'add', 'district', '--base-url', proxy.url, '--token-url', `${proxy.url}/oauth/token`,
      '--client-id', credentials.client_id, '--client-secret', credentials.client_secret], env);
    expect(added.code).toBe(0);
  });
  afterAll(async () => {
    proxy.faults.length = 0;
    await proxy?.close();
    await closeInstances(upstream);
    await cli?.close();
  });

  const lastRun = async () => JSON.parse((await runCli(['sources', 'list'], env)).stdout)[0].lastRun;

  it('Ctrl-C stops the run under way: exit 130, the report says why, and sources list shows it failed, not running', async () => {
    proxy.faults.push(holdUsers().fault);
    const child = spawn(process.execPath, [CLI, 'sync', 'district'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/fetched classes/.test(stderr) && !child.killed) child.kill('SIGINT'); // waiting for /users now
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    proxy.faults.length = 0;
    expect(code).toBe(130);
    expect(stderr).toContain('stopping the sync (SIGINT): nothing of the run under way is kept');
    expect(stdout).toMatch(/district: full sync FAILED/);
    expect(stdout).toContain('error: interrupted by SIGINT; nothing of the run was kept');
    expect(await lastRun()).toMatchObject({ status: 'failed', error: 'interrupted by SIGINT; nothing of the run was kept', changed: 0 });
  });

  it('a sync killed outright shows as running until the next run of its source marks it failed and converges', async () => {
    const killed = await runCliKilledWhen(['sync', 'district'], env, /fetched classes/);
    expect(killed.signal).toBe('SIGKILL');
    expect(await lastRun()).toMatchObject({ status: 'running' });
    const again = await runCli(['sync', 'district', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, mode: 'full' });
    const [source] = JSON.parse((await runCli(['sources', 'list'], env)).stdout);
    expect(source.lastRun).toMatchObject({ status: 'succeeded' });
    const db = await cli.open();
    try {
      const statuses = (await run(db.orm.em.fork(), sql`select status, error from sync_runs order by id`)).map((r) => [r.status, r.error]);
      expect(statuses).toEqual([['failed', 'interrupted by SIGINT; nothing of the run was kept'], ['failed', INTERRUPTED], ['succeeded', null]]);
      expect(await stagingTables(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
