import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { basePackage, csvFile } from './fixtures.js';
import { cliDatabase, scratchDir, writePackage } from './support.js';

let cli: Awaited<ReturnType<typeof cliDatabase>>;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  cli = await cliDatabase();
  env = cli.env;
});
afterAll(async () => cli?.close());

describe('oneroster-graph import / export', () => {
  it('imports a folder, prints the report as JSON, exports it back', async () => {
    const res = await runCli(['import', writePackage(scratchDir('cli-ok'), basePackage()), '--json'], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report).toMatchObject({ ok: true, version: '1.2', errorCount: 0 });
    expect(report.files[0]).toEqual(expect.objectContaining({ file: 'orgs', mode: 'bulk', rows: 2, rowsPerSecond: expect.any(Number) }));

    const out = scratchDir('cli-export');
    const exp = await runCli(['export', out], env);
    expect(exp.code).toBe(0);
    expect(exp.stdout).toMatch(/exported bulk package .*: 7 files, 11 rows/);
    expect(fs.readFileSync(path.join(out, 'users.csv'), 'utf8')).toContain('u1,,,true,jdoe,"{LDAP:jdoe},{LTI:urn:x:1}",Jane,Doe');
  });

  it('an invalid package: errors with file:line:column on stdout, exit 1; a missing package: one line on stderr', async () => {
    const bad = writePackage(scratchDir('cli-bad'), { ...basePackage(), enrollments: csvFile('enrollments', 'e1,,,k1,s1,u9,student,maybe,,') });
    const res = await runCli(['import', bad], env);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('import failed: 2 errors, nothing written');
    expect(res.stdout).toContain('enrollments.csv:2:primary: not true or false (lower case) (value "maybe")');
    expect(res.stdout).toContain('enrollments.csv:2:userSourcedId: no users record with this sourcedId in the package or the database (value "u9")');
    const missing = await runCli(['import', '/no/such/package.zip'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual(['oneroster-graph: /no/such/package.zip: no such file or folder']);
    const since = await runCli(['export', scratchDir('cli-x'), '--since', 'yesterday'], env);
    expect(since.code).not.toBe(0);
    expect(since.stderr.trim().split('\n')).toHaveLength(1);
    expect(since.stderr).toMatch(/expected an ISO datetime/);
  });
});
