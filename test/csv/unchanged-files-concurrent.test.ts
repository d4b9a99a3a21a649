import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILES_V12 } from '../../src/csv/columns.js';
import { inTransaction } from '../../src/csv/connection.js';
import { writeDistrictPackage } from '../../src/csv/generate.js';
import { importPackage } from '../../src/csv/import.js';
import { readManifest } from '../../src/csv/manifest.js';
import { openPackage } from '../../src/csv/read-package.js';
import { IssueList, type FileReport } from '../../src/csv/report.js';
import { digestingPackage, markWrites, recordFiles } from '../../src/csv/unchanged-files.js';
import type { Database } from '../../src/db/orm.js';
import { testDatabase } from '../support/db.js';
import { runSql } from '../support/sql.js';
import { scratchDir } from './support.js';

/**
 * Unchanged files of a re-import with other transactions writing meanwhile (unchanged-files.ts says why
 * the skip stays safe). A PostgreSQL server only (vitest.config.ts): the embedded database is one
 * session, where another transaction cannot be in flight beside the import.
 */
let db: Database;
let pkg: string;
const sqlRun = (text: string, values: unknown[] = []) => runSql(db.orm.em.fork(), text, values);
const unchangedOf = (r: Awaited<ReturnType<typeof importPackage>>) => r.files.filter((f) => f.parsedBy === 'unchanged').map((f) => f.file).sort();
const packageFiles = async () => (await sqlRun(`select table_name from csv_file_digests`))
  .map((r) => FILES_V12.find((s) => s.table === r.table_name)!.key).sort();

beforeAll(async () => {
  db = await testDatabase();
  pkg = scratchDir('unchanged-concurrent');
  await writeDistrictPackage(pkg, { schools: 2, students: 200, seed: 5, lineItemsPerClass: 1 });
  expect((await importPackage(db, pkg)).errors).toEqual([]);
}, 120_000);
afterAll(async () => {
  await db?.close();
});

describe('an unchanged file with concurrent writers', () => {
  const other = async () => {
    const client = new pg.Client({ connectionString: db.orm.config.get('clientUrl') });
    await client.connect();
    return client;
  };

  it('a write in flight when the import starts and committed after it is seen by the next re-import', async () => {
    const [user] = await sqlRun(`select sourced_id, given_name from users order by sourced_id limit 1`);
    const writer = await other();
    try {
      await writer.query('begin');
      await writer.query(`update users set given_name = 'Inflight' where sourced_id = $1`, [user.sourced_id]);
      // The import cannot see the uncommitted change: it compares, finds nothing, and must not record users.
      const during = await importPackage(db, pkg);
      expect(during.errors).toEqual([]);
      expect(during.written.users).toEqual({ upserted: 0, markedDeleted: 0 });
      expect(unchangedOf(during)).not.toContain('users');
      await writer.query('commit');
    } finally {
      await writer.end();
    }
    const after = await importPackage(db, pkg);
    expect(after.written.users).toEqual({ upserted: 1, markedDeleted: 0 });
    expect(await sqlRun(`select given_name from users where sourced_id = ?`, [user.sourced_id])).toEqual([{ given_name: user.given_name }]);
  }, 120_000);

  it('a write committed between the import\'s start and its end keeps that table\'s entry from being recorded', async () => {
    const source = digestingPackage(await openPackage(pkg));
    try {
      const manifest = (await readManifest(source, new IssueList()))!;
      const specs = FILES_V12.filter((s) => manifest.modes.has(s.key));
      for (const s of specs) for await (const chunk of await source.open(`${s.key}.csv`)) void chunk;
      const files: FileReport[] = [];
      for (const s of specs) {
        const [{ n }] = await sqlRun(`select count(*)::int as n from ${s.table}`);
        files.push({ file: s.key, mode: 'bulk' as const, parsedBy: 'node' as const, rows: Number(n), seconds: 0, rowsPerSecond: 0 });
      }
      await inTransaction(db, async (session) => {
        const marks = await markWrites(session, specs);
        const writer = await other();
        try {
          await writer.query(`update courses set title = title where sourced_id = (select min(sourced_id) from courses)`);
        } finally {
          await writer.end();
        }
        await recordFiles(session, source, specs, manifest.modes, manifest.version, marks, files);
        return 'commit';
      });
    } finally {
      source.close();
    }
    const recorded = await packageFiles();
    expect(recorded).not.toContain('courses');
    expect(recorded).toEqual(expect.arrayContaining(['users', 'classes', 'enrollments']));
    const again = await importPackage(db, pkg);
    expect(unchangedOf(again)).not.toContain('courses');
    expect(again.written.courses).toEqual({ upserted: 0, markedDeleted: 0 });
  }, 120_000);
});
