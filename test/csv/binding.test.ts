import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPackage } from '../../src/csv/import.js';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { testDatabase } from '../support/db.js';
import { basePackage, csvFile } from './fixtures.js';
import { exportTo, scratchDir, writePackage } from './support.js';

let db: Database;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => db?.close());

const gradebook = (assign: string, due: string) => ({
  ...basePackage(),
  categories: csvFile('categories', 'cat1,,,Homework,1'),
  lineItems: csvFile('lineItems', `li1,,,HW,,${assign},${due},k1,cat1,t1,0,100,s1`),
});

describe('CSV as the 1.2 binding writes it', () => {
  it('users.csv: a blank username is an error naming file, line and column', async () => {
    const files = { ...basePackage(), users: csvFile('users', 'u1,,,true,jdoe,,Jane,Doe,,,,,,u2,09,,,,,,s1,', 'u2,,,true,,,John,Doe,,,,,,u1,,,,,,,s1,') };
    const report = await importPackage(db, writePackage(scratchDir('bind-user'), files), { dryRun: true });
    expect(report.errors).toEqual([expect.objectContaining({ file: 'users.csv', line: 3, column: 'username', reason: 'required value is missing' })]);
  });

  it('lineItems.csv: assignDate and dueDate are exported as YYYY-MM-DD; import takes a date or a datetime', async () => {
    const imported = await importPackage(db, writePackage(scratchDir('bind-li'), gradebook('2024-09-02', '2024-09-09T15:30:00.000Z')));
    expect(imported.errors).toEqual([]);
    const [row] = await runSql(db.orm.em.fork(), `select to_char(assign_date at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as a,
      to_char(due_date at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as d from line_items where sourced_id = 'li1'`);
    expect(row).toEqual({ a: '2024-09-02 00:00', d: '2024-09-09 15:30' });
    const dir = scratchDir('bind-li-out');
    await exportTo(db, dir);
    const lines = fs.readFileSync(path.join(dir, 'lineItems.csv'), 'utf8').trim().split('\n');
    expect(lines[1]).toBe('li1,,,HW,,2024-09-02,2024-09-09,k1,cat1,t1,0,100,s1');
  });
});
