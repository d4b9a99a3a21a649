import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { openDatabase } from '../../src/db/orm.js';
import { exited, freePort } from '../support/cli.js';
import { serve } from './processes.js';

/**
 * A real primary and streaming replicas of its own (the machine's PostgreSQL binaries, as the postgres
 * user: root may not run a server, and the machine's own cluster allows no replication), and a real
 * `serve` with DATABASE_URL on the primary and DATABASE_REPLICA_URL on two replicas. With the replica's
 * replay paused, a write through the API lands on the primary only; another client's reads (GraphQL and
 * REST) do not see it, so the replica served them; the writer sees it during its read-your-writes window,
 * and no longer once the window is over. Two instances run on the same databases: a write through one
 * starts the writer's window on the other too (as behind a load balancer).
 * Collected only when DATABASE_URL is set (vitest.config.ts).
 */
const BIN = '/usr/lib/postgresql/15/bin';
const WINDOW_MS = 4_000;
const GRADEBOOK = '/ims/oneroster/gradebook/v1p2';

const asPostgres = (tool: string, args: string[]) =>
  execFileSync('runuser', ['-u', 'postgres', '--', path.join(BIN, tool), ...args], { stdio: 'pipe', timeout: 60_000 });

async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe('reads on a streaming replica', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'og-replica-'));
  const primaryDir = path.join(root, 'primary');
  const primaryPort = freePort();
  // Two replicas, so that DATABASE_REPLICA_URL's list is exercised too; both are paused together below.
  const replicas = [1, 2].map((n) => ({ dir: path.join(root, `replica${n}`), port: primaryPort + n }));
  const urlOf = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;
  const primaryUrl = urlOf(primaryPort);
  const replicaUrls = replicas.map((r) => urlOf(r.port));
  const onEveryReplica = async (text: string) => Promise.all(replicaUrls.map((url) => query(url, text)));
  const started: string[] = [];
  const servers: Awaited<ReturnType<typeof serve>>[] = [];

  const startCluster = (dir: string, port: number) => {
    // Later lines of postgresql.conf win: the replica's copy of the primary's settings gets its own port.
    appendFileSync(path.join(dir, 'postgresql.conf'), `\nport = ${port}\n`);
    asPostgres('pg_ctl', ['-D', dir, '-l', path.join(root, `${port}.log`), '-w', '-t', '60', 'start']);
    started.push(dir);
  };

  beforeAll(async () => {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(root, uid, gid);
    asPostgres('initdb', ['-D', primaryDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    appendFileSync(path.join(primaryDir, 'postgresql.conf'), [
      '', "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${root}'`,
      'wal_level = replica', 'max_wal_senders = 4', 'hot_standby = on', 'fsync = off', '',
    ].join('\n'));
    appendFileSync(path.join(primaryDir, 'pg_hba.conf'), '\nhost replication postgres 127.0.0.1/32 trust\n');
    startCluster(primaryDir, primaryPort);
    for (const replica of replicas) {
      // -R writes standby.signal and primary_conninfo: the copy starts as a streaming replica.
      asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replica.dir, '-R', '-X', 'stream']);
      startCluster(replica.dir, replica.port);
    }
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    for (const dir of started.reverse()) {
      try { asPostgres('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']); } catch { /* already stopped */ }
    }
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('serves queries and GETs from the replica, writes and the writer\'s next reads from the primary', async () => {
    expect(await onEveryReplica('select pg_is_in_recovery() as standby')).toEqual([[{ standby: true }], [{ standby: true }]]);

    // Migrate the primary and make two clients: a writer and a reader.
    const db = await openDatabase({ databaseUrl: primaryUrl, dataDir: '', embeddedConnections: 4, statementTimeoutMs: 30_000 });
    const store = new ClientStore(db.orm.em);
    const writer = await store.add('writer', [SCOPES['gradebook.readonly']!, SCOPES['gradebook.createput']!]);
    const reader = await store.add('reader', [SCOPES['gradebook.readonly']!]);
    await db.close();

    const bases: string[] = [];
    for (let i = 0; i < 2; i++) {
      const port = freePort();
      servers.push(await serve({
        DATABASE_URL: primaryUrl, DATABASE_REPLICA_URL: replicaUrls.join(','), REPLICA_READ_YOUR_WRITES_MS: String(WINDOW_MS),
        JWT_SIGNING_KEY: '', LOG_LEVEL: 'warn', DATA_DIR: '/nonexistent-og-data',
      }, port));
      bases.push(`http://127.0.0.1:${port}`);
    }
    // Writes go through the first instance; reads through either (`other` is the second).
    const [base, other] = bases as [string, string];
    const tokenOf = async (c: { client_id: string; client_secret: string }) => {
      const res = await fetch(`${base}/oauth/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret }),
      });
      expect(res.status).toBe(200);
      return `Bearer ${(await res.json()).access_token}`;
    };
    const [writerAuth, readerAuth] = [await tokenOf(writer), await tokenOf(reader)];
    const graphql = async (auth: string, text: string, at = base) => (await fetch(`${at}/graphql`, {
      method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ query: text }),
    })).json();
    const title = async (auth: string, id: string, at = base) =>
      (await graphql(auth, `{ category(sourcedId: "${id}") { title } }`, at)).data?.category?.title ?? null;
    const restStatus = async (auth: string, id: string, at = base) =>
      (await fetch(`${at}${GRADEBOOK}/categories/${id}`, { headers: { authorization: auth } })).status;
    const onReplicas = async (id: string) => (await onEveryReplica(`select title from categories where sourced_id = '${id}'`)).map((rows) => rows.length);
    const onPrimary = async (id: string) => (await query(primaryUrl, `select title from categories where sourced_id = '${id}'`)).length;

    // A category written before the pause reaches the replica and is read there by anyone.
    const put = (id: string, auth = writerAuth) => fetch(`${base}${GRADEBOOK}/categories/${id}`, {
      method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ category: { title: `Title ${id}` } }),
    });
    expect((await put('rep-before')).status).toBe(201);
    await expect.poll(() => onReplicas('rep-before'), { timeout: 20_000, interval: 100 }).toEqual([1, 1]);
    expect(await title(readerAuth, 'rep-before')).toBe('Title rep-before');

    // The replica stops replaying: from now on it is behind the primary.
    await onEveryReplica('select pg_wal_replay_pause()');
    await expect.poll(async () => (await onEveryReplica('select pg_get_wal_replay_pause_state() as s')).map((rows) => rows[0]!.s), { timeout: 10_000 })
      .toEqual(['paused', 'paused']);

    // A REST write lands on the primary only.
    expect((await put('rep-rest')).status).toBe(201);
    expect([await onPrimary('rep-rest'), await onReplicas('rep-rest')]).toEqual([1, [0, 0]]);
    // The writer reads its own write (read-your-writes window); the reader's GraphQL query and REST GET
    // are answered from the replica, which does not have it yet.
    // Both instances know of the write: the other one heard of it through the primary.
    for (const at of bases) {
      expect(await title(writerAuth, 'rep-rest', at)).toBe('Title rep-rest');
      expect(await restStatus(writerAuth, 'rep-rest', at)).toBe(200);
    }
    // Several reads, so that both replicas answer some (each request picks one at random).
    for (let i = 0; i < 4; i++) {
      expect(await title(readerAuth, 'rep-rest', bases[i % 2])).toBeNull();
      expect(await restStatus(readerAuth, 'rep-rest', bases[i % 2])).toBe(404);
    }

    // A GraphQL mutation too: the record it returns is read from the primary within the write request.
    const mutated = await graphql(writerAuth, 'mutation { putCategory(sourcedId: "rep-gql", input: { title: "Title rep-gql" }) { created category { title } } }');
    expect(mutated).toEqual({ data: { putCategory: { created: true, category: { title: 'Title rep-gql' } } } });
    expect([await onPrimary('rep-gql'), await onReplicas('rep-gql')]).toEqual([1, [0, 0]]);
    expect(await title(writerAuth, 'rep-gql')).toBe('Title rep-gql');
    expect(await title(writerAuth, 'rep-gql', other)).toBe('Title rep-gql');
    expect(await title(readerAuth, 'rep-gql')).toBeNull();
    expect(await title(readerAuth, 'rep-gql', other)).toBeNull();

    // Once its window is over, the writer's reads go to the replica again.
    await new Promise((r) => setTimeout(r, WINDOW_MS + 500));
    expect(await title(writerAuth, 'rep-gql')).toBeNull();
    expect(await title(writerAuth, 'rep-gql', other)).toBeNull();
    expect(await restStatus(writerAuth, 'rep-rest')).toBe(404);

    // Replay resumes: the replica catches up and the reader sees both writes.
    await onEveryReplica('select pg_wal_replay_resume()');
    await expect.poll(async () => [await title(readerAuth, 'rep-rest'), await title(readerAuth, 'rep-gql')], { timeout: 20_000, interval: 200 })
      .toEqual(['Title rep-rest', 'Title rep-gql']);
    expect(await restStatus(readerAuth, 'rep-gql')).toBe(200);
  }, 120_000);
});
