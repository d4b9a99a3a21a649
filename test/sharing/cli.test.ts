import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../support/db.js';
import { runCli } from '../support/cli.js';

/** `clients add/update/list` with sharing rules, through the real CLI on a real database. */
describe('clients: sharing rules on the command line', { timeout: 300_000 }, () => {
  const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn' };
  let cleanup = async () => {};
  const cli = async (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    const serverUrl = process.env.DATABASE_URL;
    if (serverUrl) {
      const name = `og_sharing_${randomBytes(5).toString('hex')}`;
      await admin(serverUrl, `create database ${name}`);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      env.DATABASE_URL = url.toString();
      cleanup = () => admin(serverUrl, `drop database if exists ${name} with (force)`);
    } else {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'og-sharing-'));
      Object.assign(env, { DATA_DIR: dir, DATABASE_URL: '' });
      cleanup = () => fs.rm(dir, { recursive: true, force: true });
    }
    expect((await cli('seed', '--schools', '3', '--students', '12')).code).toBe(0);
  }, 300_000);
  afterAll(async () => cleanup());

  it('adds a client limited to schools with denied fields, updates and lists its rules, refuses unknown orgs and fields', async () => {
    const added = await cli('clients', 'add', 'vendor', '--scopes', 'roster.readonly', '--orgs', 'school-001,school-003', '--deny-fields', 'users.email,users.phone');
    expect(added.code, added.stderr).toBe(0);
    const { client_id: id } = JSON.parse(added.stdout) as { client_id: string };

    const listed = JSON.parse((await cli('clients', 'list')).stdout) as Array<Record<string, unknown>>;
    expect(listed.find((c) => c.client_id === id)).toMatchObject({ orgs: ['school-001', 'school-003'], denied_fields: ['users.email', 'users.phone'] });

    const badOrg = await cli('clients', 'update', id, '--orgs', 'school-001,school-999');
    expect([badOrg.code, badOrg.stderr.trim()]).toEqual([1, expect.stringMatching(/^oneroster-graph: unknown org "school-999"/)]);
    const badField = await cli('clients', 'add', 'x', '--scopes', 'roster.readonly', '--deny-fields', 'users.mail');
    expect([badField.code, badField.stderr]).toEqual([1, expect.stringMatching(/unknown field "users.mail": expected collection.field/)]);

    const lifted = await cli('clients', 'update', id, '--orgs', '', '--deny-fields', 'demographics.birthDate');
    expect(lifted.code, lifted.stderr).toBe(0);
    expect(JSON.parse(lifted.stdout)).toMatchObject({ client_id: id, orgs: 'all', denied_fields: ['demographics.birthDate'] });
    const district = await cli('clients', 'update', id, '--orgs', 'district-1', '--scopes', 'roster-core.readonly');
    expect(JSON.parse(district.stdout)).toMatchObject({ orgs: ['district-1'], scopes: ['https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly'] });
  });
});
