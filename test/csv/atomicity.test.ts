import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeDistrictPackage } from '../../src/csv/generate.js';
import { importPackage } from '../../src/csv/import.js';
import type { Database } from '../../src/db/orm.js';
import { runCli, runCliKilledWhen } from '../support/cli.js';
import { basePackage } from './fixtures.js';
import { cliDatabase, scratchDir, tableContents, writePackage } from './support.js';

/**
 * A real process, really killed (SIGKILL) after validation, while it writes: the database must be
 * exactly as before. The CLI runs on its own database reached through DATABASE_URL (a scratch
 * database on the server, or an embedded one served from this process).
 */
let cli: Awaited<ReturnType<typeof cliDatabase>>;
beforeAll(async () => {
  cli = await cliDatabase();
});
afterAll(async () => cli?.close());

async function withDb<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const db = await cli.open();
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

it('a process killed in the middle of the load leaves the database exactly as it was', async () => {
  const dir = scratchDir('kill-package');
  await writeDistrictPackage(dir, { schools: 2, students: process.env.DATABASE_URL ? 4000 : 600, seed: 3, lineItemsPerClass: 1 });
  const before = await withDb(async (db) => {
    expect((await importPackage(db, writePackage(scratchDir('kill-base'), basePackage()))).ok).toBe(true);
    return tableContents(db);
  });
  expect(before.users).toHaveLength(2);

  // Killed once every file has been read and checked (on a server: read and compared, reimport.ts)
  // and the writes have begun.
  const { signal, stdout, stderr } = await runCliKilledWhen(['import', dir], cli.env, /package is valid; loading|writing the changes/);
  expect(stderr).toContain(process.env.DATABASE_URL ? 'package read and compared; writing the changes and checking' : 'package is valid; loading');
  expect(signal).toBe('SIGKILL');
  expect(stderr).toContain('reading enrollments.csv');
  expect(stdout).not.toContain('imported');
  expect(await withDb((db) => tableContents(db))).toEqual(before);

  // The same package imports fine afterwards, so the kill really interrupted a working import.
  const res = await runCli(['import', dir], cli.env);
  expect(res.stdout).toContain('imported');
  expect(res.code).toBe(0);
  expect((await withDb((db) => tableContents(db))).enrollments.length).toBeGreaterThan(6000);
}, 120_000);
