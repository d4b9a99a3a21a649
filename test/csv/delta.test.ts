import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesFor } from '../../src/csv/columns.js';
import { inTransaction } from '../../src/csv/connection.js';
import { importPackage } from '../../src/csv/import.js';
import { analyzeChanged } from '../../src/csv/statistics.js';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { testDatabase } from '../support/db.js';
import { basePackage, csvFile } from './fixtures.js';
import { csv, exportTo, packageContent, scratchDir, writePackage } from './support.js';

let db: Database;
const q = async (sql: string, values: unknown[] = []) => runSql(db.orm.em.fork(), sql, values);
const one = async (sql: string, values: unknown[] = []) => (await q(sql, values))[0];

beforeAll(async () => {
  db = await testDatabase();
  const report = await importPackage(db, writePackage(scratchDir('delta-base'), basePackage()));
  expect(report.errors).toEqual([]);
});
afterAll(async () => db?.close());

describe('bulk and delta', () => {
  it('bulk load fills the tables, link tables included, with status active and dateLastModified = now', async () => {
    expect(await one(`select status, date_last_modified > now() - interval '5 minutes' as recent, user_ids from users where sourced_id = 'u1'`))
      .toEqual({ status: 'active', recent: true, user_ids: [{ type: 'LDAP', identifier: 'jdoe' }, { type: 'LTI', identifier: 'urn:x:1' }] });
    expect(await q(`select class_sourced_id, term_sourced_id from class_terms`)).toEqual([{ class_sourced_id: 'k1', term_sourced_id: 't1' }]);
    expect(await q(`select user_sourced_id, agent_sourced_id from user_agents order by 1`)).toEqual([
      { user_sourced_id: 'u1', agent_sourced_id: 'u2' }, { user_sourced_id: 'u2', agent_sourced_id: 'u1' }]);
    expect(await one(`select grades, subjects from courses where sourced_id = 'c1'`)).toEqual({ grades: ['09', '10'], subjects: ['Mathematics'] });
    // The import leaves planner statistics behind (-1: never analysed), link tables included.
    for (const table of ['users', 'user_agents', 'enrollments']) {
      const { n, tuples } = await one(`select (select count(*)::int from ${table}) as n, reltuples::int as tuples from pg_class where oid = '${table}'::regclass`);
      expect({ table, tuples }).toEqual({ table, tuples: n });
    }
  });

  it('statistics: a table is analysed when an import wrote more than a tenth of its rows (and at least 50), with its link tables', async () => {
    const specs = filesFor('1.2').filter((s) => s.key === 'users' || s.key === 'orgs');
    await inTransaction(db, async (session) => {
      expect(await analyzeChanged(session, specs, { users: { upserted: 1, markedDeleted: 0 } })).toEqual([]);
      expect(await analyzeChanged(session, specs, { users: { upserted: 40, markedDeleted: 11 } })).toEqual(['users', 'user_agents']);
      return 'commit';
    });
    // Column statistics: the keys, references, indexed filters and status; not every column (a given
    // name is in no plan's choice).
    const analysed = (await q(`select attname from pg_stats where schemaname = 'public' and tablename = 'users'`)).map((r) => r.attname);
    expect(analysed).toEqual(expect.arrayContaining(['date_last_modified', 'family_name', 'primary_org_sourced_id', 'sourced_id', 'status']));
    expect(analysed).not.toContain('given_name');
  });

  it('delta: upserts by sourcedId, tobedeleted marks deleted, dateLastModified comes from the file, other records stay', async () => {
    const before = await one(`select date_last_modified from users where sourced_id = 'u2'`);
    const report = await importPackage(db, writePackage(scratchDir('delta-1'), {
      users: csvFile('users', 'u1,active,2030-01-02T03:04:05.678Z,true,jdoe,,Jane,Smith,,,,,,u2,09,,,,,,s1,'),
      enrollments: csvFile('enrollments', 'e1,tobedeleted,2030-01-02T00:00:00.000Z,k1,s1,u1,student,false,2024-08-01,'),
      classes: csvFile('classes', 'k2,active,2030-01-02T00:00:00.000Z,Math 2,10,c1,M1-2,scheduled,,s1,"t1,y1",,,'),
    }, { users: 'delta', enrollments: 'delta', classes: 'delta' }));
    expect(report.errors).toEqual([]);
    expect(report.written).toEqual({
      classes: { upserted: 1, markedDeleted: 0 }, users: { upserted: 1, markedDeleted: 0 }, enrollments: { upserted: 1, markedDeleted: 0 },
    });
    expect(await one(`select family_name, user_ids, to_char(date_last_modified at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as d from users where sourced_id = 'u1'`))
      .toEqual({ family_name: 'Smith', user_ids: null, d: '2030-01-02T03:04:05.678' });
    expect(await one(`select status from enrollments where sourced_id = 'e1'`)).toEqual({ status: 'tobedeleted' });
    expect(await q(`select term_sourced_id from class_terms where class_sourced_id = 'k2' order by 1`)).toEqual([{ term_sourced_id: 't1' }, { term_sourced_id: 'y1' }]);
    expect(await one(`select date_last_modified from users where sourced_id = 'u2'`)).toEqual(before);
    expect(await one(`select count(*)::int as n from classes`)).toEqual({ n: 2 });
  });

  it('bulk: records absent from the file become tobedeleted; unchanged ones keep their date; lists are replaced', async () => {
    const d1 = await one(`select date_last_modified from orgs where sourced_id = 'd1'`);
    const report = await importPackage(db, writePackage(scratchDir('delta-2'), {
      orgs: csvFile('orgs', 'd1,,,District,district,,'),
      classes: csvFile('classes', 'k1,,,Math 1,09,c1,M1-1,scheduled,Room 1,s1,y1,,,"1,2"', 'k2,,,Math 2,10,c1,M1-2,scheduled,,s1,"t1,y1",,,'),
    }));
    expect(report.errors).toEqual([]);
    expect(report.written.orgs).toEqual({ upserted: 0, markedDeleted: 1 });
    expect(report.written.classes).toEqual({ upserted: 1, markedDeleted: 0 });
    expect(await q(`select sourced_id, status from orgs order by 1`)).toEqual([{ sourced_id: 'd1', status: 'active' }, { sourced_id: 's1', status: 'tobedeleted' }]);
    expect(await one(`select date_last_modified from orgs where sourced_id = 'd1'`)).toEqual(d1);
    expect(await q(`select term_sourced_id from class_terms where class_sourced_id = 'k1'`)).toEqual([{ term_sourced_id: 'y1' }]);
  });

  it('export: bulk holds active records with blank status and date; delta --since holds changes, tobedeleted included, both populated', async () => {
    const bulk = packageContent(await exportDir());
    expect(bulk['orgs.csv'].slice(1)).toEqual([JSON.stringify(['d1', '', '', 'District', 'district', '', ''])]);
    expect(bulk['enrollments.csv']).toBeUndefined(); // its only record is tobedeleted: the file is left out
    const manifestLines = bulk['manifest.csv'];
    expect(manifestLines).toContain(JSON.stringify(['file.enrollments', 'absent']));
    expect(manifestLines).toContain(JSON.stringify(['file.orgs', 'bulk']));

    const delta = packageContent(await exportDir('2029-12-31T00:00:00.000Z'));
    expect(delta['manifest.csv']).toContain(JSON.stringify(['file.users', 'delta']));
    expect(delta['enrollments.csv'].slice(1)).toEqual([JSON.stringify(['e1', 'tobedeleted', '2030-01-02T00:00:00.000Z', 'k1', 's1', 'u1', 'student', 'false', '2024-08-01', ''])]);
    expect(delta['users.csv'].slice(1).map((r) => JSON.parse(r).slice(0, 3))).toEqual([['u1', 'active', '2030-01-02T03:04:05.678Z']]);
    expect(delta['orgs.csv']).toBeUndefined();
    const everything = packageContent(await exportDir('2000-01-01T00:00:00.000Z'));
    expect(everything['orgs.csv'].slice(1).map((r) => JSON.parse(r).slice(0, 2))).toEqual([['d1', 'active'], ['s1', 'tobedeleted']]);
    expect(everything['courses.csv']).toHaveLength(2);
  });

  it('1.1 packages: users role + orgSourcedIds become roles; line items take the class school', async () => {
    const report = await importPackage(db, writePackage(scratchDir('v11'), {
      users: csv('sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password',
        'old1,active,2025-01-01T00:00:00.000Z,true,"d1,s1",administrator,old1,{LDAP:old1},Ola,Legacy,,,,,,,,'),
      categories: csv('sourcedId,status,dateLastModified,title', 'cat1,,,Homework'),
      lineItems: csv('sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax',
        'li1,,,HW 1,,2024-09-01,2024-09-08,k1,cat1,t1,0,100'),
    }, { users: 'delta' }, '1.1'));
    expect(report.errors).toEqual([]);
    expect(report.version).toBe('1.1');
    expect(await q(`select sourced_id, role, role_type, org_sourced_id from user_roles where user_sourced_id = 'old1' order by 1`)).toEqual([
      { sourced_id: 'old1-role-d1', role: 'siteAdministrator', role_type: 'primary', org_sourced_id: 'd1' },
      { sourced_id: 'old1-role-s1', role: 'siteAdministrator', role_type: 'primary', org_sourced_id: 's1' },
    ]);
    expect(await one(`select school_sourced_id, grading_period_sourced_id, to_char(assign_date at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as a from line_items where sourced_id = 'li1'`))
      .toEqual({ school_sourced_id: 's1', grading_period_sourced_id: 't1', a: '2024-09-01 00:00' });
  });
});

async function exportDir(since?: string) {
  const dir = scratchDir('delta-export');
  await exportTo(db, dir, { since });
  return dir;
}
