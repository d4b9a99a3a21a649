import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/auth/scopes.js';
import { FILES_V12 } from '../../src/csv/columns.js';
import { writeDistrictPackage } from '../../src/csv/generate.js';
import { importPackage } from '../../src/csv/import.js';
import type { Database } from '../../src/db/orm.js';
import { ref } from '../gradebook/support.js';
import { bearer, testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';
import { runSql } from '../support/sql.js';
import { scratchDir, tableContents } from './support.js';

/**
 * A re-import skips a bulk file identical to the one its table was last imported from, only when
 * nothing else wrote that table (or its link tables) since; unchanged-files.ts says why that is
 * safe. Skipping happens on the `changes` path (a server); the write counters and the entries are
 * kept on both databases, and on both a written table is compared and set back to its file.
 */
const server = !!process.env.DATABASE_URL;
let db: Database;
let pkg: string;
const sqlRun = (text: string, values: unknown[] = []) => runSql(db.orm.em.fork(), text, values);
const unchangedOf = (r: Awaited<ReturnType<typeof importPackage>>) => r.files.filter((f) => f.parsedBy === 'unchanged').map((f) => f.file).sort();
const ALL = FILES_V12.map((s) => s.key);

beforeAll(async () => {
  db = await testDatabase();
  pkg = scratchDir('unchanged');
  await writeDistrictPackage(pkg, { schools: 2, students: 200, seed: 5, lineItemsPerClass: 1 });
  const first = await importPackage(db, pkg);
  expect(first.errors).toEqual([]);
}, 120_000);
afterAll(async () => {
  await db?.close();
});

/** The files the package lists (those with rows in the first load). */
async function packageFiles() {
  const rows = await sqlRun(`select table_name from csv_file_digests`);
  return rows.map((r) => FILES_V12.find((s) => s.table === r.table_name)!.key).sort();
}

describe('an identical re-import', () => {
  it('reads no file on a server, and reports what the comparison would: same rows, nothing written', async () => {
    const listed = await packageFiles();
    expect(listed).toEqual(expect.arrayContaining(['users', 'enrollments', 'results', 'classes']));
    const contents = await tableContents(db);
    const again = await importPackage(db, pkg);
    expect(again.errors).toEqual([]);
    expect(unchangedOf(again)).toEqual(server ? listed : []);
    expect(Object.values(again.written).every((w) => w.upserted === 0 && w.markedDeleted === 0)).toBe(true);
    const [users] = await sqlRun(`select count(*)::int as n from users`);
    expect(again.files.find((f) => f.file === 'users')!.rows).toBe(users.n);
    expect(await tableContents(db)).toEqual(contents);
  }, 120_000);
});

describe('a table written after the import', () => {
  it('through the REST API is compared again and set back to its file; the other files stay skipped', async () => {
    const contents = await tableContents(db);
    const [result] = await sqlRun(`select sourced_id, score from results order by sourced_id limit 1`);
    const [full] = await sqlRun(`select r.*, l.sourced_id as li from results r join line_items l on l.sourced_id = r.line_item_sourced_id where r.sourced_id = ?`, [result.sourced_id]);
    const { app, keys } = await testApp(db, { LOG_LEVEL: 'silent' });
    try {
      const token = await bearer(keys, [SCOPES['gradebook.createput'], SCOPES['roster-core.readonly']]);
      const res = await app.inject({
        method: 'PUT', url: `/ims/oneroster/gradebook/v1p2/results/${String(result.sourced_id)}`, headers: { authorization: token },
        payload: { result: {
          sourcedId: result.sourced_id, status: 'active', dateLastModified: '2025-01-01T00:00:00.000Z',
          lineItem: ref('lineItem', String(full.li)), student: ref('user', String(full.student_sourced_id)),
          scoreStatus: 'fully graded', score: Number(result.score) + 1, scoreDate: '2025-09-10',
        } },
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
    } finally {
      await app.close();
    }
    expect((await tableContents(db)).results).not.toEqual(contents.results);

    const again = await importPackage(db, pkg);
    expect(again.errors).toEqual([]);
    expect(again.written.results).toEqual({ upserted: 1, markedDeleted: 0 });
    expect(unchangedOf(again)).toEqual(server ? (await packageFiles()).filter((f) => f !== 'results') : []);
    expect(await tableContents(db, { withDates: false })).toEqual(await tableContentsWithout(contents));

    // Written back by the import itself: the next identical re-import skips it again.
    const third = await importPackage(db, pkg);
    expect(third.written.results).toEqual({ upserted: 0, markedDeleted: 0 });
    expect(unchangedOf(third)).toEqual(server ? await packageFiles() : []);
  }, 120_000);

  it('through its link table only (a user\'s agents) is compared again and the link restored', async () => {
    const [link] = await sqlRun(`select user_sourced_id, agent_sourced_id from user_agents order by 1, 2 limit 1`);
    await sqlRun(`delete from user_agents where user_sourced_id = ? and agent_sourced_id = ?`, [link.user_sourced_id, link.agent_sourced_id]);
    const again = await importPackage(db, pkg);
    expect(again.errors).toEqual([]);
    expect(again.written.users).toEqual({ upserted: 1, markedDeleted: 0 });
    if (server) expect(unchangedOf(again)).not.toContain('users');
    expect(await sqlRun(`select 1 as one from user_agents where user_sourced_id = ? and agent_sourced_id = ?`, [link.user_sourced_id, link.agent_sourced_id])).toEqual([{ one: 1 }]);
  }, 120_000);

  it('by any statement, even one that changes no row, is compared again (nothing then written)', async () => {
    await sqlRun(`update categories set title = title where false`);
    const again = await importPackage(db, pkg);
    expect(again.errors).toEqual([]);
    if (server) expect(unchangedOf(again)).toEqual((await packageFiles()).filter((f) => f !== 'categories'));
    expect(Object.values(again.written).every((w) => w.upserted === 0 && w.markedDeleted === 0)).toBe(true);
  }, 120_000);
});

/** The contents with the dates left out, as tableContents(db, { withDates: false }) reads them. */
async function tableContentsWithout(contents: Record<string, unknown[]>) {
  return Object.fromEntries(Object.entries(contents).map(([t, rows]) => [t, rows.map((r) => {
    const { date_last_modified: _, ...rest } = r as Record<string, unknown>;
    return rest;
  })]));
}
