import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsList } from '../../migrations/index.js';
import { runCli } from '../support/cli.js';

/**
 * The CLI against a real database: a scratch database on the server when DATABASE_URL is set,
 * otherwise an embedded store in a temporary DATA_DIR.
 */
// Each call starts a process (tsx loader, database open): generous timeouts for a loaded 2-core machine.
describe('oneroster-graph CLI', { timeout: 240_000 }, () => {
  const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn' };
  let cleanup = async () => {};

  beforeAll(async () => {
    const serverUrl = process.env.DATABASE_URL;
    if (serverUrl) {
      const name = `og_cli_${randomBytes(5).toString('hex')}`;
      const admin = async (sql: string) => {
        const c = new pg.Client({ connectionString: serverUrl });
        await c.connect();
        await c.query(sql).finally(() => c.end());
      };
      await admin(`create database ${name}`);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      env.DATABASE_URL = url.toString();
      cleanup = () => admin(`drop database if exists ${name} with (force)`);
    } else {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'og-cli-'));
      Object.assign(env, { DATA_DIR: dir, DATABASE_URL: '' });
      cleanup = () => fs.rm(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => cleanup());

  it('prints help for every command', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['migrate', '--help'], ['seed', '--help'], ['clients', 'add', '--help']]) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: oneroster-graph');
    }
  });

  it('migrates, then seeds a deterministic district and reports its counts', async () => {
    const migrate = await runCli(['migrate'], env);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(new RegExp(`: ${migrationsList.length} migrations applied, none pending`));
    const seed = await runCli(['seed', '--demo', '--schools', '2', '--students', '40', '--seed', '7'], env);
    expect(seed.code).toBe(0);
    expect(seed.stdout).toMatch(/seeded \d+ records/);
    // 20 students a school in each of its 8 classes, plus one teacher enrolment per class.
    expect(seed.stdout).toMatch(/Enrollment\s+336\n/);
  });

  it('manages OAuth clients; the secret is printed once and stored only as a hash', async () => {
    const added = await runCli(['clients', 'add', 'lms', '--scopes', 'roster.readonly gradebook.readonly'], env);
    expect(added.code).toBe(0);
    const client = JSON.parse(added.stdout) as { client_id: string; client_secret: string; scopes: string[] };
    expect(client.scopes).toEqual([
      'https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly',
      'https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly',
    ]);
    const listed = await runCli(['clients', 'list'], env);
    expect(listed.stdout).toContain(client.client_id);
    expect(listed.stdout).not.toContain(client.client_secret);
    const rotated = await runCli(['clients', 'rotate-secret', client.client_id], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const secret2 = (JSON.parse(rotated.stdout) as { client_secret: string }).client_secret;
    expect(secret2).not.toBe(client.client_secret);
    expect((await runCli(['clients', 'remove', client.client_id], env)).code).toBe(0);
    expect((await runCli(['clients', 'list'], env)).stdout).not.toContain(client.client_id);
  });

  it('fails with one clear line and a non-zero exit', async () => {
    for (const args of [['seed', '--schools', 'abc'], ['clients', 'remove', 'nobody'], ['clients', 'add', 'x', '--scopes', 'nonsense.scope'], ['frobnicate']]) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^oneroster-graph: /);
    }
  });
});
