import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSql } from '../support/sql.js';
import { exited, freePort, runCli, startServe } from '../support/cli.js';
import { onServer, testDatabase } from '../support/db.js';

/**
 * The two-command promise of the README: `npm start` on a bare machine serves the demo district from
 * the embedded database, stops cleanly on SIGTERM, and finds the same data after a restart.
 */
describe('serve on the embedded database', { timeout: 240_000 }, () => {
  let dataDir: string;
  const env = () => ({ DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn' });
  afterAll(async () => { if (dataDir) await fs.rm(dataDir, { recursive: true, force: true }); });

  it('seeds the demo district, answers health and GraphQL, and keeps its data across a restart', async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'og-serve-'));
    const port = freePort();
    const first = await startServe(env(), port);
    const base = `http://127.0.0.1:${port}`;
    expect(first.output()).toContain('Loaded the demo district');
    expect(first.output()).toContain(`embedded PostgreSQL (PGlite) in ${dataDir}`);
    expect(first.output()).toContain(`Listening on 127.0.0.1:${port} (this machine only`);
    // Output goes to a pipe (a log), so the demo secret is in a 0600 file, not in the output.
    const secretFile = path.join(dataDir, 'demo-client.json');
    expect((await fs.stat(secretFile)).mode & 0o777).toBe(0o600);
    const demo = JSON.parse(await fs.readFile(secretFile, 'utf8')) as { client_id: string; client_secret: string };
    expect(first.output()).toContain(secretFile);
    expect(first.output()).not.toContain(demo.client_secret);
    const issued = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: demo.client_id, client_secret: demo.client_secret }),
    });
    expect(issued.status).toBe(200);
    // Not reachable on the machine's other addresses.
    const external = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) await expect(fetch(`http://${external.address}:${port}/healthz`)).rejects.toThrow();
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });

    const typename = await fetch(`${base}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await typename.json()).toEqual({ data: { __typename: 'Query' } });

    // GraphiQL comes pre-filled with a working demo token.
    const page = await (await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } })).text();
    const token = /Bearer (ey[A-Za-z0-9._-]+)/.exec(page)?.[1];
    expect(token).toBeTruthy();
    const count = async () => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ users { totalCount } schools { totalCount } }' }),
      });
      return (await res.json()) as { data: { users: { totalCount: number }; schools: { totalCount: number } } };
    };
    const before = await count();
    expect(before.data.schools.totalCount).toBe(3);
    expect(before.data.users.totalCount).toBeGreaterThan(300);

    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    await expect(fs.stat(path.join(dataDir, 'oneroster-graph.lock'))).rejects.toThrow();

    const second = await startServe(env(), port);
    expect(second.output()).not.toContain('Loaded the demo district');
    expect(await count()).toEqual(before);
    second.child.kill('SIGINT');
    expect(await exited(second.child)).toBe(0);
  });

  it('loads no demo district into a store where API clients are already set up for real data', async () => {
    const own = await fs.mkdtemp(path.join(os.tmpdir(), 'og-serve-clients-'));
    try {
      const ownEnv = { ...env(), DATA_DIR: own };
      const added = await runCli(['clients', 'add', 'Acme LMS', '--scopes', 'roster.readonly'], ownEnv);
      expect(added.code, added.stderr).toBe(0);
      const port = freePort();
      const server = await startServe(ownEnv, port);
      try {
        expect(server.output()).not.toContain('Loaded the demo district');
        expect(server.output()).toContain('No roster yet (API clients or sources are set up, so no demo district is loaded)');
        await expect(fs.stat(path.join(own, 'demo-client.json'))).rejects.toThrow();
      } finally {
        server.child.kill('SIGTERM');
        expect(await exited(server.child)).toBe(0);
      }
    } finally {
      await fs.rm(own, { recursive: true, force: true });
    }
  });

  it('refuses a second process on the same data directory with one clear line', async () => {
    const port = freePort();
    const server = await startServe(env(), port);
    try {
      const other = await runCli(['migrate'], env());
      expect(other.code).not.toBe(0);
      expect(other.stderr.trim().split('\n')).toHaveLength(1);
      expect(other.stderr).toMatch(/in use by process \d+/);
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
  });
});

// Only meaningful with a server; defined (not skipped) only then.
if (onServer()) describe('serve with DATABASE_URL', () => {
  it('migrates that database and never seeds it', async () => {
    const db = await testDatabase();
    try {
      const url = db.orm.config.get('clientUrl')!;
      const port = freePort();
      const keysDir = await fs.mkdtemp(path.join(os.tmpdir(), 'og-keys-'));
      const server = await startServe({ DATABASE_URL: url, DATA_DIR: keysDir, LOG_LEVEL: 'warn' }, port);
      expect(server.output()).toContain('Data: PostgreSQL at');
      expect(server.output()).not.toContain('Loaded the demo district');
      expect(server.output()).not.toContain('client_secret');
      expect(server.output()).toContain(`Listening on 0.0.0.0:${port}`);
      const [{ n }] = await runSql(db.orm.em.fork(), 'select count(*)::int as n from orgs');
      expect(n).toBe(0);
      server.child.kill('SIGTERM');
      expect(await exited(server.child)).toBe(0);
      // The generated signing key lives in the database, shared by every instance; DATA_DIR holds none.
      const [{ keys }] = await runSql(db.orm.em.fork(), 'select count(*)::int as keys from signing_keys');
      expect(keys).toBe(1);
      await expect(fs.stat(path.join(keysDir, 'signing-keys.json'))).rejects.toThrow(/ENOENT/);
      await fs.rm(keysDir, { recursive: true, force: true });
    } finally {
      await db.close();
    }
  });
});
