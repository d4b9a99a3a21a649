import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDistrictPackage } from '../../src/csv/generate.js';
import { importPackage, type ImportOptions } from '../../src/csv/import.js';
import type { Database } from '../../src/db/orm.js';
import { testDatabase } from '../support/db.js';
import { basePackage, csvFile, HEADERS } from './fixtures.js';
import { csv, scratchDir, tableContents, writePackage } from './support.js';

/**
 * On a server, clean files are parsed by PostgreSQL (COPY into text columns, checks and conversions
 * in SQL); anything else goes through csv-parse. Both paths must write the same tables and report
 * the same errors, so every case here runs both ways: in `viaCopy` (default) and in `viaNode`
 * (csv-parse forced). On the embedded database both are csv-parse, and these tests still hold.
 */
let viaCopy: Database;
let viaNode: Database;
beforeAll(async () => {
  viaCopy = await testDatabase();
  viaNode = await testDatabase();
});
afterAll(async () => {
  await viaCopy?.close();
  await viaNode?.close();
});

const server = !!process.env.DATABASE_URL;
const NODE: ImportOptions = { parseInDatabase: false };

async function importBoth(dir: string, dryRun = false) {
  const a = await importPackage(viaCopy, dir, { dryRun });
  const b = await importPackage(viaNode, dir, { dryRun, ...NODE });
  expect(b.files.every((f) => f.parsedBy === 'csv-parse')).toBe(true);
  return { a, b };
}

const parsedBy = (r: Awaited<ReturnType<typeof importPackage>>) => Object.fromEntries(r.files.map((f) => [f.file, f.parsedBy]));

describe('PostgreSQL and csv-parse read a package the same way', () => {
  it('a generated district: the same tables either way', async () => {
    const dir = scratchDir('pid-district');
    await writeDistrictPackage(dir, { schools: 1, students: 40, seed: 5, hostile: true, lineItemsPerClass: 1 });
    const { a, b } = await importBoth(dir);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(await tableContents(viaCopy, { withDates: false })).toEqual(await tableContents(viaNode, { withDates: false }));
    // Hostile users.csv holds quoted line breaks, which only csv-parse may read (physical line numbers).
    expect(parsedBy(a)).toEqual(expect.objectContaining({ enrollments: server ? 'postgres' : 'csv-parse', users: 'csv-parse' }));
  });

  it('unusual but valid cells convert to the same values', async () => {
    const dir = writePackage(scratchDir('pid-cells'), {
      ...basePackage(),
      orgs: csv(`${HEADERS.orgs},metadata.a,metadata.b`,
        'd1,inactive,,"Say ""hi"", ok",district,"",,"",x',
        's1,active,2025-01-01T00:00:00Z,School,ext:campus.1,ID,d1,,'),
      academicSessions: csvFile('academicSessions', 'y1,,,2025,schoolYear,2024-02-29,2025-07-01,,0000', 't1,,,"",term,2024-08-01,2025-01-01,y1,2025'),
      categories: csvFile('categories', 'cat1,,,Homework,-0', 'cat2,,,Quiz,.5', 'cat3,,,Test,1.5E+2', 'cat4,,,Other,+3.'),
      users: csvFile('users',
        'u1,,,false,jdoe,"{LDAP:a:b},{X:},{Y,z:1}",Jane,"",,,,,,u2,"09,10,ext:x",,,,,,s1,',
        'u2,,,true,jdoe2,,John,Doe,,,,,,,,,,,,,s1,'),
      lineItems: csvFile('lineItems', 'li1,,,HW,,2025-01-01,2025-01-02T10:00:00.5Z,k1,cat1,t1,0,100.25,s1'),
      scoreScales: csvFile('scoreScales', 'sc1,,,Letters,letter,,,k1,"{90 - 100:A},{0:F:-}"'),
      resources: csvFile('resources', 'res1,,,VR1,Book,"student,teacher",primary,,'),
    });
    const { a, b } = await importBoth(dir);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    // No file needed csv-parse (viaCopy holds rows from the test above: a re-import, whose one-to-one files Node splits).
    if (server) expect(Object.values(parsedBy(a)).every((p) => p !== 'csv-parse')).toBe(true);
    const [copied, parsed] = [await tableContents(viaCopy, { withDates: false }), await tableContents(viaNode, { withDates: false })];
    expect(copied).toEqual(parsed);
    expect(copied.orgs).toContainEqual(expect.objectContaining({ sourced_id: 'd1', status: 'tobedeleted', identifier: '', metadata: { a: '' , b: 'x' } }));
    expect(copied.users).toContainEqual(expect.objectContaining({ sourced_id: 'u1', family_name: '',
      user_ids: [{ type: 'LDAP', identifier: 'a:b' }, { type: 'X', identifier: '' }, { type: 'Y,z', identifier: '1' }] }));
    const weights = (copied.categories as { sourced_id: string; weight: number }[]).filter((c) => /^cat\d$/.test(c.sourced_id));
    expect(weights.map((c) => c.weight)).toEqual([0, 0.5, 150, 3]);
  });

  const cases: [string, Record<string, string>, RegExp | null][] = [
    ['a line holding only \\.', { orgs: csvFile('orgs', 'd1,,,District,district,,', '\\.', 's1,,,School,school,,d1') }, /expected 7 cells, found 1/],
    ['a blank line (refused at its line: a million of them once took a minute to skip)', { orgs: csvFile('orgs', 'd1,,,District,district,,', '', 's1,,,,school,,d1') }, /^blank line/],
    ['a year before 100', { academicSessions: csvFile('academicSessions', 'y1,,,2025,schoolYear,0099-08-01,2025-07-01,,2025', 't1,,,Fall,term,2024-08-01,2025-01-01,y1,2025') }, /not a date/],
    ['a float out of range', { categories: csvFile('categories', 'cat1,,,Homework,1e400') }, /not a number/],
    // PostgreSQL reads these (the SQL checks look at characters and shapes, the casts do the rest); cells.ts does not.
    ['a float PostgreSQL reads but the binding does not', { categories: csvFile('categories', 'cat1,,,Homework,Infinity', 'cat2,,,Quiz,1e', 'cat3,,,Test,0x1A') }, /not a number/],
    ['a day that does not exist', { academicSessions: csvFile('academicSessions', 'y1,,,2025,schoolYear,2023-02-29,2025-07-01,,2025', 't1,,,Fall,term,2024-08-01,2025-01-01,y1,2025') }, /not a date/],
    ['hour 24, second 60 and month 13 in datetimes', { orgs: csvFile('orgs', 'd1,,2025-01-01T24:00:00Z,District,district,,', 's1,,2025-01-01T10:00:60.5Z,School,school,,d1', 's2,,2025-13-01T10:00:00Z,School,school,,d1') }, /not a datetime/],
    ['a float too small to be anything but 0', { categories: csvFile('categories', 'cat1,,,Homework,1e-400') }, null],
    ['carriage returns only', { orgs: `${HEADERS.orgs}\rd1,,,District,district,,\rs1,,,School,school,,d1\r` }, null],
    ['a wrong number of cells', { orgs: csvFile('orgs', 'd1,,,District,district,', 's1,,,School,school,,d1') }, /expected 7 cells, found 6/],
    ['an unknown enumeration value', { orgs: csvFile('orgs', 'd1,Active,,District,district,,', 's1,,,School,school,,d1') }, /not one of/],
  ];
  for (const [what, files, error] of cases) {
    it(`${what}: the same report either way`, async () => {
      const dir = writePackage(scratchDir('pid-case'), { ...basePackage(), ...files });
      const { a, b } = await importBoth(dir, true);
      expect(a.errors).toEqual(b.errors);
      if (error) expect(a.errors).toEqual(b.errors.map(() => expect.objectContaining({ reason: expect.stringMatching(error) })));
      if (error) expect(a.errors.length).toBeGreaterThan(0);
      else expect(a.errors).toEqual([]);
    });
  }
});
