import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { run, sql } from '../../src/db/sql.js';
import { bearer, TEST_SIGNING_KEY } from '../support/app.js';
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
    // A district with a gradebook: the retry below sends a result of it.
    upstream = await instance({ schools: 1, students: 8, seed: 3, lineItemsPerClass: 1 });
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
    expect(await listed()).toEqual({ on: true, concurrency: 4, pending: 0, failed: 0, lastFailure: null });
    const faster = await runCli(['sources', 'update', 'sis', '--push-concurrency', '8'], env);
    expect(faster.stdout).toMatch(/up to 8 grade requests at once/);
    expect((await listed()).concurrency).toBe(8);
    expect((await runCli(['sources', 'update', 'sis', '--push-concurrency', '40'], env)).stderr).toMatch(/--push-concurrency must be a whole number from 1 to 16/);
    expect((await listed()).concurrency).toBe(8);

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

  it('push-grades NAME --retry-failed sends the rows the upstream refused again, once it takes them; a row a later one supersedes stays failed', async () => {
    const G = '/ims/oneroster/gradebook/v1p2';
    const upstreamAuth = await bearer(await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv }),
      [SCOPES['gradebook.readonly'], SCOPES['gradebook.createput']]);
    const first = async (collection: string) => {
      const res = await upstream.app.inject({ method: 'GET', url: `${G}/${collection}?limit=1`, headers: { authorization: upstreamAuth } });
      return res.json()[collection][0] as Record<string, any>;
    };
    // Two writes of a result of a line item the upstream does not have yet: it refuses both (422).
    const [lineItem, result] = [await first('lineItems'), await first('results')];
    const body = (score: number) => ({ result: { ...result, sourcedId: 'res-retry', lineItem: { ...result.lineItem, sourcedId: 'li-later' }, score } });
    const db = await cli.open();
    try {
      for (const score of [3, 4]) {
        await run(db.orm.em.fork(), sql`insert into grade_outbox (source_name, record_type, sourced_id, method, body)
          values ('sis', 'Result', 'res-retry', 'PUT', ${JSON.stringify(body(score))}::jsonb)`);
      }
    } finally {
      await db.close();
    }
    const refused = await runCli(['push-grades', 'sis', '--json'], env);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toEqual([{ source: 'sis', delivered: 0, failed: 2, pending: 0 }]);
    // Two rows refused, one record: the list counts the records whose latest write was refused.
    expect(await listed()).toMatchObject({ pending: 0, failed: 1, lastFailure: { sourcedId: 'res-retry', gaveUp: true } });
    // Without --retry-failed nothing is sent again; without a name, --retry-failed is refused.
    expect((await runCli(['push-grades', 'sis', '--json'], env)).stdout).toMatch(/"delivered": 0/);
    expect((await runCli(['push-grades', '--retry-failed'], env)).stderr).toMatch(/--retry-failed needs a source name: push-grades NAME --retry-failed/);

    // The upstream gets the line item; the retry sends the later row only (it carries the newer result).
    const li = await upstream.app.inject({ method: 'PUT', url: `${G}/lineItems/li-later`, headers: { authorization: upstreamAuth },
      payload: { lineItem: { ...lineItem, sourcedId: 'li-later' } } });
    expect(li.statusCode, li.body).toBe(201);
    const retried = await runCli(['push-grades', 'sis', '--retry-failed', '--json'], env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(JSON.parse(retried.stdout)).toEqual([{ source: 'sis', delivered: 1, failed: 0, pending: 0, requeued: 1 }]);
    const there = await upstream.app.inject({ method: 'GET', url: `${G}/results/res-retry`, headers: { authorization: upstreamAuth } });
    expect(there.json().result.score).toBe(4);
    expect(await listed()).toMatchObject({ pending: 0, failed: 0, lastFailure: null });
    // Nothing left to retry: the superseded row stays failed in the outbox, and nothing is sent.
    expect((await runCli(['push-grades', 'sis', '--retry-failed'], env)).stdout).toMatch(/^sis: 0 failed rows queued again, 0 delivered/);
  });
});
