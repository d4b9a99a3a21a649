import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, sql } from '../../src/db/sql.js';
import { runCli } from '../support/cli.js';
import { cliDatabase } from '../csv/support.js';
import { instance, listen, SOURCES_KEY, upstreamClient, type Instance } from './support.js';

/** The real CLI binary against a database of its own, pulling from an upstream instance listening in this test. */
// Every CLI call starts a process and opens the database: slow on a shared machine.
describe('oneroster-graph sources / sync', { timeout: 300_000 }, () => {
  let cli: Awaited<ReturnType<typeof cliDatabase>>;
  let upstream: Instance;
  let base: string;
  let credentials: { client_id: string; client_secret: string };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cli = await cliDatabase();
    upstream = await instance({ schools: 1, students: 12, seed: 4 });
    base = await listen(upstream.app);
    credentials = await upstreamClient(upstream.db);
    env = { ...cli.env, SOURCES_KEY: SOURCES_KEY.toString('base64'), LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await upstream?.app.close();
    await upstream?.db.close();
    await cli?.close();
  });

  const add = (name: string, extra: string[] = [], e = env) => runCli(['sources', 'add', name, '--base-url', base, '--token-url', `${base}/oauth/token`,
    '--client-id', credentials.client_id, '--client-secret', credentials.client_secret, ...extra], e);

  it('adds a source only with SOURCES_KEY and valid options; the secret is stored sealed', async () => {
    const noKey = await add('district', [], { ...env, SOURCES_KEY: '' });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/SOURCES_KEY is not set/);
    const oauth1OnV12 = await add('district', ['--auth', 'oauth1']);
    expect(oauth1OnV12.stderr).toMatch(/--auth oauth1 is for --version 1.1 sources only/);
    const badPrefix = await add('district', ['--prefix', 'a b']);
    expect(badPrefix.stderr).toMatch(/--prefix must be/);
    // The endpoint's whole path given as the base URL: refused, naming the base URL meant.
    const withPath = await add('district', ['--base-url', `${base}/sis/ims/oneroster/rostering/v1p2/`]);
    expect(withPath.code).toBe(1);
    expect(withPath.stderr).toContain(`--base-url is what comes before /ims/oneroster/...: give ${base}/sis`);

    const ok = await add('district');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/added source district/);
    expect((await add('district')).stderr).toMatch(/a source named district exists already/);

    const db = await cli.open();
    try {
      const [row] = await run(db.orm.em.fork(), sql`select client_secret_sealed from sources where name = 'district'`);
      expect(String(row.client_secret_sealed)).toMatch(/^s1\./);
      expect(String(row.client_secret_sealed)).not.toContain(credentials.client_secret);
    } finally {
      await db.close();
    }
  });

  it('syncs with a JSON report; sources list shows the last run, never the secret; remove forgets the source', async () => {
    const sync = await runCli(['sync', 'district', '--json'], env);
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    const report = JSON.parse(sync.stdout);
    expect(report).toMatchObject({ source: 'district', ok: true, mode: 'full', errors: [] });
    expect(report.fetched.users).toBeGreaterThan(12);

    const wrongKey = await runCli(['sync', 'district'], { ...env, SOURCES_KEY: Buffer.alloc(32, 1).toString('hex') });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/cannot be opened with SOURCES_KEY/);

    const list = await runCli(['sources', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(credentials.client_secret);
    expect(list.stdout).not.toMatch(/s1\./);
    const [source] = JSON.parse(list.stdout);
    expect(source).toMatchObject({ name: 'district', baseUrl: base, services: ['rostering'], lastError: null });
    // Every time in one format, ISO 8601 in UTC, whatever the database driver gave.
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    expect(source.lastSuccess).toMatch(iso);
    expect(source.createdAt).toMatch(iso);
    expect(source.lastRun).toMatchObject({ status: 'succeeded', mode: 'full', dryRun: false, changed: report.changed, startedAt: expect.stringMatching(iso), finishedAt: expect.stringMatching(iso) });
    expect(source.records).toBeGreaterThan(report.fetched.users);

    const removed = await runCli(['sources', 'remove', 'district'], env);
    expect(removed.stdout).toMatch(/removed source district/);
    expect(JSON.parse((await runCli(['sources', 'list'], env)).stdout)).toEqual([]);
    expect((await runCli(['sources', 'remove', 'district'], env)).stderr).toMatch(/no source district/);
  });

  it('adds a OneRoster 1.1 source signing with OAuth 1.0a (no token URL); sources test reads its 1.1 collections', async () => {
    const added = await runCli(['sources', 'add', 'legacy', '--base-url', base, '--version', '1.1', '--auth', 'oauth1',
      '--client-id', credentials.client_id, '--client-secret', credentials.client_secret], env);
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/added source legacy/);
    const tested = await runCli(['sources', 'test', 'legacy'], env);
    expect(tested.stderr).toBe('');
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/^legacy: signed requests accepted\n/);
    expect(tested.stdout).toMatch(/users\s+\d+ on the first page, \d+ in all/);
  });
});
