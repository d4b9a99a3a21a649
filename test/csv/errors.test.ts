import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILES_V12 } from '../../src/csv/columns.js';
import { importPackage } from '../../src/csv/import.js';
import type { CsvIssue } from '../../src/csv/report.js';
import type { Database } from '../../src/db/orm.js';
import { testDatabase } from '../support/db.js';
import { basePackage, csvFile, HEADERS } from './fixtures.js';
import { count, scratchDir, writePackage } from './support.js';

let db: Database;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => db?.close());

/** Imports the base package with `changes` applied (a file's body, or undefined to drop the file). */
async function importWith(changes: Record<string, string | undefined>, modes: Record<string, 'bulk' | 'delta'> = {}, dryRun = true) {
  const files = { ...basePackage(), ...changes };
  for (const [k, v] of Object.entries(files)) if (v === undefined) delete files[k];
  return importPackage(db, writePackage(scratchDir('err'), files as Record<string, string>, modes), { dryRun });
}

const issue = (file: string, line: number, column: string, reason: RegExp, value?: string) =>
  expect.objectContaining({ file, line, column, reason: expect.stringMatching(reason), ...(value === undefined ? {} : { value }) }) as unknown as CsvIssue;

describe('column specs', () => {
  it('every 1.2 file has exactly the header csv.md lists, in order', () => {
    expect(Object.fromEntries(FILES_V12.map((s) => [s.key, s.columns.map((c) => c.name).join(',')]))).toEqual(HEADERS);
  });
});

describe('validation errors name file, line, column, value and reason', () => {
  it('the base package is valid', async () => {
    const report = await importWith({});
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('header: wrong order, unknown column, duplicate column', async () => {
    const swapped = HEADERS.users.replace('givenName,familyName', 'familyName,givenName');
    const r1 = await importWith({ users: `${swapped}\nu1,,,true,j,,Doe,Jane,,,,,,,,,,,,,s1,\n` });
    expect(r1.errors).toContainEqual(issue('users.csv', 1, 'familyName', /column 7 must be givenName/, 'familyName'));
    const r2 = await importWith({ orgs: `${HEADERS.orgs},nickname,metadata.ok\nd1,,,D,district,,,x,y\n` });
    expect(r2.errors).toContainEqual(issue('orgs.csv', 1, 'nickname', /unknown column/));
    const r3 = await importWith({ orgs: `${HEADERS.orgs},metadata.a,metadata.a\nd1,,,D,district,,,x,y\n` });
    expect(r3.errors).toContainEqual(issue('orgs.csv', 1, 'metadata.a', /duplicate column/));
  });

  it('required values, and status/dateLastModified in delta files', async () => {
    const r1 = await importWith({ orgs: csvFile('orgs', 'd1,,,District,district,,', 's1,,,,school,,d1') });
    expect(r1.errors).toEqual([issue('orgs.csv', 3, 'name', /required value is missing/, '')]);
    const r2 = await importWith({ orgs: csvFile('orgs', 'd1,active,2025-01-01T00:00:00.000Z,District,district,,', 's1,,,School,school,,d1') }, { orgs: 'delta' });
    expect(r2.errors).toEqual([issue('orgs.csv', 3, 'status', /required in a delta file/), issue('orgs.csv', 3, 'dateLastModified', /required in a delta file/)]);
  });

  it('types: date, datetime, year, boolean, enumeration, float, sourcedId', async () => {
    const report = await importWith({
      orgs: csvFile('orgs', 'd1,active,2025-01-01 10:00:00,District,district,,', 's1,active,2025-01-01T00:00:00.000Z,School,college,,d1', 'bad id!,active,2025-01-01T00:00:00.000Z,X,ext:campus,,'),
      academicSessions: csvFile('academicSessions', 'y1,,,2025,schoolYear,2024-02-30,2025-07-01,,25', 't1,,,Fall,term,2024-08-01,2025-01-01,y1,2025'),
      users: csvFile('users', 'u1,,,True,jdoe,,Jane,Doe,,,,,,,,,,,,,s1,', 'u2,,,false,jdoe2,,John,Doe,,,,,,,,,,,,,s1,'),
      categories: csvFile('categories', 'cat1,,,Homework,heavy', 'cat2,,,Quiz,1.5e-1'),
    }, { orgs: 'delta' });
    expect(report.errors).toEqual(expect.arrayContaining([
      issue('orgs.csv', 2, 'dateLastModified', /not a datetime/, '2025-01-01 10:00:00'),
      issue('orgs.csv', 3, 'type', /not one of department, .* or ext:<token>/, 'college'),
      issue('orgs.csv', 4, 'sourcedId', /not a valid sourcedId/, 'bad id!'),
      issue('academicSessions.csv', 2, 'startDate', /not a date/, '2024-02-30'),
      issue('academicSessions.csv', 2, 'schoolYear', /not a year/, '25'),
      issue('users.csv', 2, 'enabledUser', /not true or false/, 'True'),
      issue('categories.csv', 2, 'weight', /not a number/, 'heavy'),
    ]));
    expect(report.errorCount).toBe(7); // ext:campus and 1.5e-1 are fine
  });

  it('lists, {type:id} userIds and {LHS:RHS} scoreScaleValue', async () => {
    const report = await importWith({
      courses: csvFile('courses', 'c1,,,y1,Math,M1,"09,,10",s1,Mathematics,MATH'),
      classes: csvFile('classes', 'k1,,,Math 1,09,c1,M1-1,scheduled,Room 1,s1,"t1,no good",,,'),
      users: csvFile('users', 'u1,,,true,jdoe,"{LDAP},{LTI:1}",Jane,Doe,,,,,,,,,,,,,s1,', 'u2,,,true,jdoe2,LDAP:x,John,Doe,,,,,,,,,,,,,s1,'),
      scoreScales: csvFile('scoreScales', 'sc1,,,Letters,letter,s1,c1,k1,"{A:94},{B-84}"', 'sc2,,,Letters,letter,s1,c1,k1,"{90 - 100:A},{0 - 89:B}"'),
      resources: csvFile('resources', 'res1,,,VR1,Book,"student,wizard",primary,,'),
    });
    expect(report.errors).toEqual(expect.arrayContaining([
      issue('courses.csv', 2, 'grades', /empty item/, '09,,10'),
      issue('classes.csv', 2, 'termSourcedIds', /"no good" is not a valid sourcedId/),
      issue('users.csv', 2, 'userIds', /malformed userIds item "\{LDAP\}"/),
      issue('users.csv', 3, 'userIds', /expected userIds items like/),
      issue('scoreScales.csv', 2, 'scoreScaleValue', /malformed scoreScaleValue item "\{B-84\}"/),
      issue('resources.csv', 2, 'roles', /"wizard" is not one of/),
    ]));
    expect(report.errorCount).toBe(6);
  });

  it('a record with the wrong number of cells, and invalid CSV', async () => {
    const r1 = await importWith({ orgs: csvFile('orgs', 'd1,,,District,district,,', 's1,,,School,school,,d1,extra') });
    expect(r1.errors).toEqual([issue('orgs.csv', 3, '', /expected 7 cells, found 8/)]);
    const r2 = await importWith({ orgs: csvFile('orgs', 'd1,,,District,district,,', 's1,,,"School,school,,d1') });
    expect(r2.errors).toEqual([issue('orgs.csv', 3, '', /not valid CSV/)]);
  });

  it('line numbers are physical lines, also after a quoted line break', async () => {
    const report = await importWith({ orgs: csvFile('orgs', 'd1,,,"Two\nlines",district,,', 's1,,,School,school,,d1', 's2,,,,school,,d1') });
    expect(report.errors).toEqual([issue('orgs.csv', 5, 'name', /required/)]);
  });

  it('duplicate sourcedIds', async () => {
    const report = await importWith({ orgs: csvFile('orgs', 'd1,,,District,district,,', 's1,,,School,school,,d1', 'd1,,,Again,district,,') });
    expect(report.errors).toEqual([issue('orgs.csv', 4, 'sourcedId', /duplicate sourcedId \(first on line 2\)/, 'd1')]);
  });

  it('references must resolve in the package or the database, single and in lists', async () => {
    const report = await importWith({
      enrollments: csvFile('enrollments', 'e1,,,k1,s1,u9,student,,,', 'e2,,,k1,s1,u1,student,,,'),
      classes: csvFile('classes', 'k1,,,Math 1,09,c1,M1-1,scheduled,Room 1,s1,"t1,t9",,,'),
      roles: csvFile('roles', 'r1,,,u1,primary,student,,,s1,p9'),
    });
    expect(report.errors).toEqual([
      issue('classes.csv', 2, 'termSourcedIds', /no academic_sessions record/, 't9'),
      issue('roles.csv', 2, 'userProfileSourcedId', /no user_profiles record/, 'p9'),
      issue('enrollments.csv', 2, 'userSourcedId', /no users record/, 'u9'),
    ]);
  });

  it('references to records already in the database resolve (a delta without the referenced files)', async () => {
    expect((await importWith({}, {}, false)).ok).toBe(true);
    const report = await importPackage(db, writePackage(scratchDir('err-db'), {
      enrollments: csvFile('enrollments', 'e2,active,2025-02-01T00:00:00.000Z,k1,s1,u2,student,,,'),
    }, { enrollments: 'delta' }), { dryRun: true });
    expect(report.errors).toEqual([]);
  });

  it('CSV syntax: a quote inside an unquoted cell is one clear finding, not a crash or a hang', async () => {
    for (const parseInDatabase of [true, false]) {
      const report = await importPackage(db, writePackage(scratchDir('err'), { ...basePackage(), orgs: csvFile('orgs', 'd1,,,Dis"trict,district,,') }), { dryRun: true, parseInDatabase });
      expect(report.ok).toBe(false);
      expect(report.errors).toEqual([issue('orgs.csv', 2, '', /not valid CSV: Invalid Opening Quote/)]);
    }
  });

  it('manifest: missing, wrong version, unknown property, declared file missing, undeclared file present', async () => {
    const dir = scratchDir('err-manifest');
    fs.writeFileSync(path.join(dir, 'orgs.csv'), basePackage().orgs);
    const r0 = await importPackage(db, dir);
    expect(r0.errors).toEqual([issue('manifest.csv', 0, '', /no manifest.csv/)]);
    fs.writeFileSync(path.join(dir, 'manifest.csv'), 'propertyName,value\nmanifest.version,1.0\noneroster.version,1.3\nfile.orgz,bulk\nfile.users,bulk\n');
    const r1 = await importPackage(db, dir);
    expect(r1.errors).toEqual(expect.arrayContaining([
      issue('manifest.csv', 3, 'value', /must be 1.2 or 1.1/, '1.3'),
      issue('manifest.csv', 4, 'propertyName', /unknown property/, 'file.orgz'),
      issue('users.csv', 0, '', /does not contain it/),
      issue('manifest.csv', 0, '', /does not declare it/, 'orgs.csv'),
    ]));
  });

  it('any error writes nothing; a dry run of a valid package writes nothing either', async () => {
    const fresh = await testDatabase();
    try {
      const bad = await importPackage(fresh, writePackage(scratchDir('err-none'), { ...basePackage(), enrollments: csvFile('enrollments', 'e1,,,k1,s1,u9,student,,,') }));
      expect(bad.ok).toBe(false);
      const dry = await importPackage(fresh, writePackage(scratchDir('err-dry'), basePackage()), { dryRun: true });
      expect(dry.ok).toBe(true);
      expect(dry.files.map((f) => f.rows)).toEqual([2, 2, 1, 1, 2, 2, 1]);
      for (const t of ['orgs', 'academic_sessions', 'courses', 'classes', 'users', 'user_roles', 'enrollments', 'class_terms', 'user_agents']) {
        expect(await count(fresh, t), t).toBe(0);
      }
      expect((await importPackage(fresh, writePackage(scratchDir('err-real'), basePackage()))).ok).toBe(true);
      expect(await count(fresh, 'orgs')).toBe(2);
    } finally {
      await fresh.close();
    }
  });
});
