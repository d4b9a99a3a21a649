import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILES_V12 } from '../../src/csv/columns.js';
import { writeChangedPackage, writeDistrictPackage, type PackageChanges } from '../../src/csv/generate.js';
import { importPackage } from '../../src/csv/import.js';
import type { Database } from '../../src/db/orm.js';
import { testDatabase } from '../support/db.js';
import { runSql } from '../support/sql.js';
import { basePackage } from './fixtures.js';
import { scratchDir, tableContents, writePackage } from './support.js';

/**
 * The nightly re-import: the same bulk package again, or one with about 1 % of its records changed.
 * On a server it takes the `changes` path (reimport.ts), on the embedded database the careful one;
 * either way a record is written only when it changed: every other row keeps its xmin (the
 * transaction that last wrote it) and its dateLastModified.
 */
const server = !!process.env.DATABASE_URL;
let db: Database;
let pkg: string;
beforeAll(async () => {
  db = await testDatabase();
  pkg = scratchDir('reimport');
  await writeDistrictPackage(pkg, { schools: 2, students: 300, seed: 21, lineItemsPerClass: 1 });
  const first = await importPackage(db, pkg);
  expect(first.errors).toEqual([]);
}, 120_000);
afterAll(async () => {
  await db?.close();
});

const LINK_TABLES = { class_terms: ['class_sourced_id', 'term_sourced_id'], user_agents: ['user_sourced_id', 'agent_sourced_id'] };

/** Every row of every table a package writes: table → key → the writing transaction (xmin) and dateLastModified. */
async function rowVersions(): Promise<Record<string, Map<string, string>>> {
  const em = db.orm.em.fork();
  const out: Record<string, Map<string, string>> = {};
  for (const { table } of FILES_V12) {
    const rows = await runSql(em, `select sourced_id as k, xmin::text || ' ' || date_last_modified::text || ' ' || status as v from ${table}`);
    out[table] = new Map(rows.map((r) => [String(r.k), String(r.v)]));
  }
  for (const [table, [a, b]] of Object.entries(LINK_TABLES)) {
    const rows = await runSql(em, `select ${a} || ' ' || ${b} as k, xmin::text as v from ${table}`);
    out[table] = new Map(rows.map((r) => [String(r.k), String(r.v)]));
  }
  return out;
}

/** The keys of each table whose row is new, gone or written since `before`. */
function written(before: Record<string, Map<string, string>>, after: Record<string, Map<string, string>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const table of Object.keys(after)) {
    const keys = new Set([...before[table].keys(), ...after[table].keys()]);
    const moved = [...keys].filter((k) => before[table].get(k) !== after[table].get(k)).sort();
    if (moved.length) out[table] = moved;
  }
  return out;
}

describe('re-importing a bulk package', () => {
  it('that is identical writes no row at all: every xmin and dateLastModified stays', async () => {
    const before = await rowVersions();
    const again = await importPackage(db, pkg);
    expect(again.errors).toEqual([]);
    expect(again.path).toBe(server ? 'changes' : 'careful');
    expect(Object.values(again.written).every((w) => w.upserted === 0 && w.markedDeleted === 0)).toBe(true);
    expect(written(before, await rowVersions())).toEqual({});
  }, 120_000);

  it('with 1 % of its records changed, added or removed writes exactly those records', async () => {
    const changedPkg = scratchDir('reimport-changed');
    const changes: PackageChanges = writeChangedPackage(pkg, changedPkg);
    const before = await rowVersions();
    const report = await importPackage(db, changedPkg);
    expect(report.errors).toEqual([]);
    expect(report.path).toBe(server ? 'changes' : 'careful');
    const after = await rowVersions();

    const tableOf = (file: string) => FILES_V12.find((s) => s.key === file)!.table;
    const expected: Record<string, string[]> = {};
    for (const [file, c] of Object.entries(changes)) {
      expect(c.changed.length + c.added.length + c.removed.length).toBeGreaterThan(0);
      expected[tableOf(file)] = [...c.changed, ...c.added, ...c.removed].sort();
      expect(report.written[tableOf(file)]).toEqual({ upserted: c.changed.length + c.added.length, markedDeleted: c.removed.length });
    }
    // Links: the agents of every 200th user are dropped; added users and classes bring their twins' links.
    const agentsOf = (users: string[], m: Map<string, string>) => [...m.keys()].filter((k) => users.includes(k.split(' ')[0]));
    const usersChanged = changes.users.changed;
    const dropped = agentsOf(usersChanged, before.user_agents).filter((k) => !after.user_agents.has(k));
    expect(dropped.length).toBeGreaterThan(0);
    expected.user_agents = [...dropped, ...agentsOf(changes.users.added, after.user_agents)].sort();
    expected.class_terms = agentsOf(changes.classes.added, after.class_terms).sort();
    for (const [k, v] of Object.entries(expected)) if (!v.length) delete expected[k];
    expect(written(before, after)).toEqual(expected);

    // The changed and added records carry the import's time, the removed ones are tobedeleted.
    const em = db.orm.em.fork();
    const removedUsers = await runSql(em, `select distinct status from users where sourced_id = any(?)`, [changes.users.removed]);
    expect(removedUsers).toEqual([{ status: 'tobedeleted' }]);
    const [stamp] = await runSql(em, `select count(distinct date_last_modified)::int as n from enrollments where sourced_id = any(?)`,
      [[...changes.enrollments.changed, ...changes.enrollments.added, ...changes.enrollments.removed]]);
    expect(stamp.n).toBe(1);
    const [given] = await runSql(em, `select given_name from users where sourced_id = ?`, [usersChanged[0]]);
    expect(String(given.given_name).endsWith('x')).toBe(true);

    // And the same changed package once more: nothing left to write.
    const settled = await rowVersions();
    const third = await importPackage(db, changedPkg);
    expect(third.errors).toEqual([]);
    expect(written(settled, await rowVersions())).toEqual({});
  }, 120_000);
});

describe('a delta file on tables that hold records', () => {
  it('writes exactly the records it changes, and a sourcedId listed twice is an error', async () => {
    const lines = fs.readFileSync(path.join(pkg, 'enrollments.csv'), 'utf8').trimEnd().split('\n');
    const id = (line: string) => line.split(',')[0];
    const withDate = (line: string, status: string) => line.replace(/^([^,]*),[^,]*,[^,]*,/, `$1,${status},2030-01-01T00:00:00Z,`);
    // One record marked deleted, one unchanged apart from a dateLastModified of its own (in delta a change).
    const dir = scratchDir('reimport-delta');
    fs.cpSync(pkg, dir, { recursive: true });
    const manifest = fs.readFileSync(path.join(dir, 'manifest.csv'), 'utf8').replace(/^file\.(\w+),bulk$/gm, (_, k) => `file.${k},absent`);
    fs.writeFileSync(path.join(dir, 'manifest.csv'), manifest.replace('file.enrollments,absent', 'file.enrollments,delta'));
    for (const f of fs.readdirSync(dir)) if (f !== 'manifest.csv' && f !== 'enrollments.csv') fs.rmSync(path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'enrollments.csv'), `${[lines[0], withDate(lines[10], 'tobedeleted'), withDate(lines[11], 'active')].join('\n')}\n`);
    const before = await rowVersions();
    const report = await importPackage(db, dir);
    expect(report.errors).toEqual([]);
    expect(report.path).toBe(server ? 'changes' : 'careful');
    expect(report.written.enrollments).toEqual({ upserted: 2, markedDeleted: 0 });
    expect(written(before, await rowVersions())).toEqual({ enrollments: [id(lines[10]), id(lines[11])].sort() });

    fs.writeFileSync(path.join(dir, 'enrollments.csv'), `${[lines[0], withDate(lines[12], 'active'), withDate(lines[12], 'active')].join('\n')}\n`);
    const settled = await rowVersions();
    const twice = await importPackage(db, dir);
    expect(twice.errors).toEqual([expect.objectContaining({ file: 'enrollments.csv', line: 3, reason: expect.stringMatching(/duplicate sourcedId/) })]);
    expect(written(settled, await rowVersions())).toEqual({});
  }, 120_000);
});

it('tables a re-import fills for the first time get their indexes and foreign keys back, and the data is the careful path\'s', async () => {
  const [x, y] = [await testDatabase(), await testDatabase()];
  try {
    const schema = async (d: Database) => runSql(d.orm.em.fork(), `select conrelid::regclass::text as t, conname, pg_get_constraintdef(oid) as def, convalidated
      from pg_constraint where connamespace = 'public'::regnamespace union all
      select tablename, indexname, indexdef, true from pg_indexes where schemaname = 'public' order by 1, 2, 3`);
    const before = await schema(x);
    // A small package first (no results, line items, demographics, ...), then the district: a re-import into partly empty tables.
    const base = writePackage(scratchDir('reimport-base'), basePackage());
    for (const d of [x, y]) expect((await importPackage(d, base)).errors).toEqual([]);
    const a = await importPackage(x, pkg);
    const b = await importPackage(y, pkg, { optimistic: false });
    expect(a.errors).toEqual([]);
    expect(a.path).toBe(server ? 'changes' : 'careful');
    expect(b.path).toBe('careful');
    expect(a.written).toEqual(b.written);
    expect(await tableContents(x, { withDates: false })).toEqual(await tableContents(y, { withDates: false }));
    expect(await schema(x)).toEqual(before);
  } finally {
    await x.close();
    await y.close();
  }
}, 180_000);

describe('a re-import with errors writes nothing and names them as the careful path does', () => {
  const broken = (name: string, edit: (lines: string[]) => string[]) => {
    const dir = scratchDir(name);
    fs.cpSync(pkg, dir, { recursive: true });
    const file = path.join(dir, name.split('-')[0] + '.csv');
    fs.writeFileSync(file, `${edit(fs.readFileSync(file, 'utf8').trimEnd().split('\n')).join('\n')}\n`);
    return dir;
  };
  const cases: [string, (lines: string[]) => string[], RegExp][] = [
    // An identical line twice: the duplicate changes nothing by itself, so only the check finds it.
    ['enrollments-duplicate', (lines) => [...lines, lines[5]], /duplicate sourcedId/],
    ['enrollments-reference', (lines) => [...lines.slice(0, 3), lines[3].replace(/^([^,]*),([^,]*),([^,]*),([^,]*),/, '$1,$2,$3,no-such-class,'), ...lines.slice(4)], /no classes record/],
    // roles.userProfileSourcedId has no foreign key: the anti-join over the file finds it.
    ['roles-profile', (lines) => [...lines.slice(0, 2), `${lines[2].replace(/,[^,]*$/, ',no-such-profile')}`, ...lines.slice(3)], /no user_profiles record/],
  ];
  for (const [name, edit, reason] of cases) {
    it(name, async () => {
      const dir = broken(name, edit);
      const before = await rowVersions();
      const report = await importPackage(db, dir);
      expect(report.path).toBe('careful');
      expect(report.errors).toHaveLength(1);
      expect(report.errors[0]).toEqual(expect.objectContaining({ file: `${name.split('-')[0]}.csv`, reason: expect.stringMatching(reason) }));
      expect(report.errors[0].line).toBeGreaterThan(1);
      expect(written(before, await rowVersions())).toEqual({});
    }, 120_000);
  }
});
