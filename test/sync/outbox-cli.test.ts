import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { run, sql } from '../../src/db/sql.js';
import { runCli } from '../support/cli.js';
import { cliDatabase } from '../csv/support.js';
import { instance, listen, SOURCES_KEY, type Instance } from './support.js';

/** `sources add --push-grades`, `sources update`, `sources list` and `push-grades`: the real CLI binary against a database of its own. */
describe('oneroster-graph push-grades', { timeout: 300_000 }, () => {
  let cli: Awaited<ReturnType<typeof cliDatabase>>;
  let upstream: Instance;
  let base: string;
  let env: NodeJS.ProcessEnv;
  let credentials: { client_id: string; client_secret: string };
  const deletes: string[] = [];

  beforeAll(async () => {
    cli = await cliDatabase();
    upstream = await instance();
    upstream.app.addHook('onResponse', async (req, reply) => { if (req.method === 'DELETE') deletes.push(`${req.url} ${reply.statusCode}`); });
    base = await listen(upstream.app);
    credentials = await new ClientStore(upstream.db.orm.em.fork()).add('gateway', ['roster.readonly', 'gradebook.createput', 'gradebook.delete']);
    env = { ...cli.env, SOURCES_KEY: SOURCES_KEY.toString('base64'), LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await upstream?.app.close();
    await upstream?.db.close();
    await cli?.close();
  });

  const listed = async () => {
    const list = await runCli(['sources', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    return JSON.parse(list.stdout)[0].pushGrades;
  };

  it('turns sending grades back on and off, lists the outbox per source, and delivers what waits once', async () => {
    const added = await runCli(['sources', 'add', 'sis', '--base-url', base, '--token-url', `${base}/oauth/token`,
      '--client-id', credentials.client_id, '--client-secret', credentials.client_secret, '--push-grades'], env);
    expect(added.stderr).toBe('');
    expect(await listed()).toEqual({ on: true, pending: 0, failed: 0, lastFailure: null });

    const off = await runCli(['sources', 'update', 'sis', '--no-push-grades'], env);
    expect(off.stdout).toMatch(/no longer sent back/);
    expect((await listed()).on).toBe(false);
    expect((await runCli(['push-grades', 'sis'], env)).stderr).toMatch(/source sis does not push grades; turn it on with `sources update sis --push-grades`/);
    expect((await runCli(['sources', 'update', 'sis', '--push-grades'], env)).code).toBe(0);

    // A row as the write service leaves it: the DELETE of a result (which this upstream never had, so it answers 404: done).
    const db = await cli.open();
    try {
      await run(db.orm.em.fork(), sql`insert into grade_outbox (source_name, record_type, sourced_id, method) values ('sis', 'Result', 'res-1', 'DELETE')`);
    } finally {
      await db.close();
    }
    expect(await listed()).toMatchObject({ on: true, pending: 1, failed: 0 });
    const pushed = await runCli(['push-grades', '--json'], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout)).toEqual([{ source: 'sis', delivered: 1, failed: 0, pending: 0 }]);
    expect(deletes).toEqual(['/ims/oneroster/gradebook/v1p2/results/res-1 404']);
    expect((await runCli(['push-grades'], env)).stdout).toMatch(/no grades waiting/);
    expect(deletes).toHaveLength(1);
  });
});
