import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDistrictPackage } from '../../src/csv/generate.js';
import { importPackage } from '../../src/csv/import.js';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { runCliKilledWhen } from '../support/cli.js';
import { testDatabase } from '../support/db.js';
import { basePackage, csvFile, HEADERS } from './fixtures.js';
import { cliDatabase, csv, scratchDir, tableContents, writePackage } from './support.js';

/**
 * Initial loads on a server take the optimistic path (fast-import.ts): converted straight into the
 * tables, checked by the key and foreign-key builds, and on any failure undone to a savepoint and
 * done again the careful way. `careful` gets every package with the optimistic path switched off:
 * both must end with the same tables, the same report, and the schema's keys and indexes intact.
 * On the embedded database both are the careful path, and all of this still holds.
 */
let opt: Database;
let careful: Database;
let schema: unknown;
beforeAll(async () => {
  opt = await testDatabase();
  careful = await testDatabase();
  schema = await structures(opt);
});
afterAll(async () => {
  await opt?.close();
  await careful?.close();
});

const server = !!process.env.DATABASE_URL;

/** Every index and constraint of the schema, with whether it is validated. */
async function structures(db: Database) {
  const em = db.orm.em.fork();
  return {
    indexes: await runSql(em, `select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`),
    constraints: await runSql(em, `select conrelid::regclass::text as t, conname, pg_get_constraintdef(oid) as def, convalidated
      from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`),
  };
}

const empty = async (db: Database) => Object.values(await tableContents(db)).every((rows) => rows.length === 0);

describe('a package that looks clean but fails a check: the optimistic path gives up, the careful one names the errors', () => {
  // Every file here parses cleanly and every cell passes the cell checks of the optimistic path:
  // only the key builds, the foreign-key validation or a cast can tell.
  const cases: [string, Record<string, string>, RegExp][] = [
    ['a duplicate sourcedId', { enrollments: csvFile('enrollments', 'e1,,,k1,s1,u1,student,false,2024-08-01,', 'e1,,,k1,s1,u2,student,,,') }, /duplicate sourcedId/],
    ['a reference that resolves nowhere', { enrollments: csvFile('enrollments', 'e1,,,k1,s1,u9,student,false,2024-08-01,') }, /no users record/],
    ['a reference holding characters no sourcedId has', { enrollments: csvFile('enrollments', 'e1,,,k1,s1,u 1,student,false,2024-08-01,') }, /not a valid sourcedId/],
    ['a reference in a list', { classes: csvFile('classes', 'k1,,,Math 1,09,c1,M1-1,scheduled,Room 1,s1,"t1,t9",,,') }, /no academic_sessions record/],
    ['a reference without a foreign key (roles to user profiles)', { roles: csvFile('roles', 'r1,,,u1,primary,student,,,s1,p9', 'r2,,,u2,primary,guardian,,,s1,') }, /no user_profiles record/],
    ['a day that does not exist', { enrollments: csvFile('enrollments', 'e1,,,k1,s1,u1,student,false,2023-02-29,') }, /not a date/],
    // Files Node splits itself (copy-direct.ts): enrollments, roles, categories, ...
    ['a quote inside an unquoted cell', { enrollments: csvFile('enrollments', 'e1,,,k1,s1,u1,stu"dent,false,,') }, /not valid CSV|not one of/],
    ['a wrong number of cells', { roles: csvFile('roles', 'r1,,,u1,primary,student,,,s1', 'r2,,,u2,primary,guardian,,,s1,') }, /expected 10 cells/],
    ['a float out of range', { categories: csvFile('categories', 'cat1,,,Homework,1e400') }, /not a number/],
  ];
  for (const [what, files, reason] of cases) {
    it(what, async () => {
      const dir = writePackage(scratchDir('opt-fail'), { ...basePackage(), ...files });
      const a = await importPackage(opt, dir);
      const b = await importPackage(careful, dir, { optimistic: false });
      expect(a.errors.length).toBeGreaterThan(0);
      expect(a.errors).toEqual(b.errors);
      expect(a.errors).toContainEqual(expect.objectContaining({ reason: expect.stringMatching(reason) }));
      expect(a.path).toBe('careful');
      expect(await empty(opt)).toBe(true);
      expect(await structures(opt)).toEqual(schema);
    });
  }
});

/** Imports into two fresh databases, optimistic and careful; returns both reports and whether the tables match. */
async function both(dir: string) {
  const [x, y] = [await testDatabase(), await testDatabase()];
  try {
    const a = await importPackage(x, dir);
    const b = await importPackage(y, dir, { optimistic: false });
    const same = JSON.stringify(await tableContents(x, { withDates: false })) === JSON.stringify(await tableContents(y, { withDates: false }));
    return { a, b, same, schema: await structures(x) };
  } finally {
    await x.close();
    await y.close();
  }
}

describe('a clean initial load', () => {
  it('unusual but valid cells, CRLF line ends, a BOM, quotes and metadata columns: the same tables either way', async () => {
    const crlf = (body: string) => body.replace(/\n/g, '\r\n');
    const dir = writePackage(scratchDir('opt-cells'), {
      ...basePackage(),
      orgs: `\ufeff${crlf(csvFile('orgs', 'd1,inactive,,"Say ""hi"", ok \\ back\tslash",district,"",', 's1,active,2025-01-01T00:00:00.5Z,School,ext:campus.1,ID,d1'))}`,
      // cat5 carries status and dateLastModified after rows that leave them blank (copy-direct.ts: a second COPY, every column).
      categories: csvFile('categories', 'cat1,,,Homework,-0', 'cat2,,,Quiz,.5', 'cat3,,,Test,1.5E+2', 'cat4,,,Other,+3.', 'cat5,tobedeleted,2025-01-01T00:00:00Z,Old,1', 'cat6,,,New,2'),
      enrollments: csv(`${HEADERS.enrollments},metadata.a,metadata.b`,
        'e1,,,k1,s1,u1,student,false,2024-02-29,,"",x', '"e2",tobedeleted,2025-01-01T10:00:00Z,k1,s1,u2,student,,,2025-01-01,,'),
    });
    const { a, b, same, schema: after } = await both(dir);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(a.path).toBe(server ? 'optimistic' : 'careful');
    if (server) expect(a.files.find((f) => f.file === 'enrollments')?.parsedBy).toBe('node');
    expect(a.written).toEqual(b.written);
    expect(same).toBe(true);
    expect(after).toEqual(schema);
  }, 60_000);

  it('a valid package the optimistic path does not read (a quoted line break) loads the careful way', async () => {
    const dir = writePackage(scratchDir('opt-declined'), { ...basePackage(), categories: csvFile('categories', 'cat1,,,"Home\nwork",1') });
    const { a, b, same } = await both(dir);
    expect(a.errors).toEqual([]);
    expect(a.path).toBe('careful');
    expect(a.written).toEqual(b.written);
    expect(same).toBe(true);
  }, 60_000);

  it('writes the same tables and report either way, and leaves every key, index and foreign key as it was', async () => {
    const dir = scratchDir('opt-district');
    await writeDistrictPackage(dir, { schools: 2, students: 300, seed: 11, lineItemsPerClass: 1 });
    const a = await importPackage(opt, dir);
    const b = await importPackage(careful, dir, { optimistic: false });
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(a.path).toBe(server ? 'optimistic' : 'careful');
    expect(b.path).toBe('careful');
    expect(a.written).toEqual(b.written);
    expect(a.files.map((f) => [f.file, f.rows])).toEqual(b.files.map((f) => [f.file, f.rows]));
    expect(await tableContents(opt, { withDates: false })).toEqual(await tableContents(careful, { withDates: false }));
    expect(await structures(opt)).toEqual(schema);
    // Blank dateLastModified cells hold the import's time however the rows went in (copy-direct.ts
    // leaves them to the column default now(); users go through SQL with the same value).
    const stamps = await runSql(opt.orm.em.fork(), `select count(distinct d)::int as n, max(d) > now() - interval '10 minutes' as recent from
      (select date_last_modified d from enrollments union all select date_last_modified from results union all select date_last_modified from users) t`);
    expect(stamps).toEqual([{ n: 1, recent: true }]);

    // Now the tables hold rows: a re-import (reimport.ts; careful on the embedded database), and an unchanged package changes nothing.
    const again = await importPackage(opt, dir);
    expect(again.path).toBe(server ? 'changes' : 'careful');
    expect(Object.values(again.written).every((w) => w.upserted === 0 && w.markedDeleted === 0)).toBe(true);
  }, 60_000);
});

it('a process killed during an initial load leaves the database exactly as it was, keys and indexes included', async () => {
  const cli = await cliDatabase();
  try {
    const dir = scratchDir('opt-kill');
    await writeDistrictPackage(dir, { schools: 2, students: server ? 2000 : 400, seed: 12, lineItemsPerClass: 1 });
    const before = await cli.open().then(async (db) => {
      try {
        return { schema: await structures(db), empty: await empty(db) };
      } finally {
        await db.close();
      }
    });
    expect(before.empty).toBe(true);
    // The optimistic path says so as it starts writing (structures dropped); the careful one after its checks.
    const { signal, stdout, stderr } = await runCliKilledWhen(['import', dir], cli.env, /initial load; loading and checking|package is valid; loading/);
    expect(signal).toBe('SIGKILL');
    expect(stderr).toContain(server ? 'initial load; loading and checking' : 'package is valid; loading');
    expect(stdout).not.toContain('imported');
    const db = await cli.open();
    try {
      expect(await empty(db)).toBe(true);
      expect(await structures(db)).toEqual(before.schema);
    } finally {
      await db.close();
    }
  } finally {
    await cli.close();
  }
}, 120_000);
