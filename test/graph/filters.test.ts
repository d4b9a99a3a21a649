import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../../src/db/bulk.js';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import type { DistrictOptions } from '../../src/seed/district.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from '../support/db.js';
import { ids, matches, sortRows, type Order } from './expected.js';
import { fixtureRows, ok } from './support.js';

/**
 * Filters and ordering of root and nested collections, compared with the same selection computed in
 * plain TypeScript over the generator's rows (test/graph/expected.ts).
 */
const OPTS: DistrictOptions = { schools: 2, students: 40, seed: 11, classesPerStudent: 3, classSize: 10, lineItemsPerClass: 2, hostile: true };
const rows = fixtureRows(OPTS);
const users = rows.get('User')!;
const roles = rows.get('UserRole')!;

/** Variety the generator does not give: delta stamps, deleted records, disabled logins. Applied to both sides. */
const changes = users.map((u, i) => ({
  id: u.sourcedId as string,
  stamp: i % 4 === 1 ? `2025-0${(i % 9) + 1}-15T10:${String(i % 60).padStart(2, '0')}:00.000Z` : (u.dateLastModified as string),
  status: i % 6 === 0 ? 'tobedeleted' : 'active',
  enabled: i % 5 !== 0,
}));
for (const [i, c] of changes.entries()) Object.assign(users[i], { dateLastModified: c.stamp, status: c.status, enabledUser: c.enabled });

let db: Database;
beforeAll(async () => {
  db = await testDatabase();
  await seedDistrict(db.orm.em, OPTS);
  await runSql(db.orm.em.fork(), `update users u set date_last_modified = c.stamp::timestamptz, status = c.status, enabled_user = c.enabled
    from jsonb_to_recordset(?::jsonb) as c(id text, stamp text, status text, enabled boolean) where u.sourced_id = c.id`, [JSON.stringify(changes)]);
});
afterAll(async () => { await db?.close(); });

const ALL = 'first: 10000';
async function userIds(filter: unknown, orderBy?: Order[]) {
  const r = await ok(db, `query($f: UserFilter, $o: [UserOrder!]) { users(filter: $f, orderBy: $o, ${ALL}) { totalCount nodes { sourcedId } } }`,
    { f: filter, o: orderBy });
  expect(r.data.users.totalCount).toBe(r.data.users.nodes.length);
  return r.data.users.nodes.map((n: Row) => n.sourcedId);
}
const expectUsers = (pick: (u: Row) => boolean, orderBy?: Order[]) => ids(sortRows(users.filter(pick), orderBy));
/** Tombstoned records make no relation (README "Tombstones never make relations"): related users must be live. */
const live = (u: Row | undefined) => u?.status !== 'tobedeleted';

describe('field comparisons on users', () => {
  const someFamily = users[7].familyName as string;
  const cases: [string, Record<string, unknown>, (u: Row) => boolean][] = [
    ['eq', { familyName: { eq: someFamily } }, (u) => matches(u.familyName, { eq: someFamily })],
    ['ne', { familyName: { ne: someFamily } }, (u) => matches(u.familyName, { ne: someFamily })],
    ['gt', { familyName: { gt: 'Kim' } }, (u) => matches(u.familyName, { gt: 'Kim' })],
    ['gte', { familyName: { gte: 'Kim' } }, (u) => matches(u.familyName, { gte: 'Kim' })],
    ['lt', { givenName: { lt: 'M' } }, (u) => matches(u.givenName, { lt: 'M' })],
    ['lte', { sourcedId: { lte: 'student-000020' } }, (u) => matches(u.sourcedId, { lte: 'student-000020' })],
    ['contains (case-insensitive)', { email: { contains: 'TEACHER' } }, (u) => matches(u.email, { contains: 'teacher' })],
    ['in', { familyName: { in: ['Smith', 'Kim', 'Nope'] } }, (u) => matches(u.familyName, { in: ['Smith', 'Kim', 'Nope'] })],
    ['isNull true', { preferredFirstName: { isNull: true } }, (u) => u.preferredFirstName == null],
    ['isNull false', { pronouns: { isNull: false } }, (u) => u.pronouns != null],
    ['ne keeps nulls', { pronouns: { ne: 'he/him' } }, (u) => u.pronouns !== 'he/him'],
    ['boolean eq', { enabledUser: { eq: false } }, (u) => u.enabledUser === false],
    ['boolean ne', { enabledUser: { ne: false } }, (u) => u.enabledUser !== false],
    ['status (delta sync)', { status: { eq: 'tobedeleted' } }, (u) => u.status === 'tobedeleted'],
    ['dateLastModified gt (delta sync)', { dateLastModified: { gt: '2025-04-01T00:00:00.000Z' } },
      (u) => matches(u.dateLastModified, { gt: '2025-04-01T00:00:00.000Z' })],
    ['dateLastModified lte with offset zone', { dateLastModified: { lte: '2025-05-15T12:20:00+02:00' } },
      (u) => matches(u.dateLastModified, { lte: '2025-05-15T10:20:00.000Z' })],
    ['list eq: any element', { grades: { eq: '10' } }, (u) => matches(u.grades ?? null, { __list: true, eq: '10' })],
    ['list gt: any element above', { grades: { gt: '10' } }, (u) => matches(u.grades ?? null, { __list: true, gt: '10' })],
    ['list lt: any element below', { grades: { lt: '10' } }, (u) => matches(u.grades ?? null, { __list: true, lt: '10' })],
    ['list ne: no element equal', { grades: { ne: '09' } }, (u) => matches(u.grades ?? null, { __list: true, ne: '09' })],
    ['list in', { grades: { in: ['09', '12'] } }, (u) => matches(u.grades ?? null, { __list: true, in: ['09', '12'] })],
    ['list isNull: empty', { grades: { isNull: true } }, (u) => matches(u.grades ?? null, { __list: true, isNull: true })],
    ['reference', { primaryOrg: { sourcedId: { eq: 'school-002' } } }, (u) => u.primaryOrg === 'school-002'],
    ['reference in', { primaryOrg: { sourcedId: { in: ['school-001', 'district-1'] } } }, (u) => ['school-001', 'district-1'].includes(u.primaryOrg as string)],
    ['AND', { AND: [{ familyName: { gte: 'K' } }, { familyName: { lt: 'S' } }] },
      (u) => matches(u.familyName, { gte: 'K' }) && matches(u.familyName, { lt: 'S' })],
    ['fields combine with AND', { familyName: { gte: 'K' }, enabledUser: { eq: true } }, (u) => matches(u.familyName, { gte: 'K' }) && u.enabledUser === true],
    ['OR', { OR: [{ familyName: { eq: 'Smith' } }, { pronouns: { eq: 'she/her' } }] }, (u) => u.familyName === 'Smith' || u.pronouns === 'she/her'],
    ['NOT', { NOT: { sourcedId: { contains: 'student' } } }, (u) => !String(u.sourcedId).includes('student')],
    ['NOT of OR inside AND', { AND: [{ status: { eq: 'active' } }, { NOT: { OR: [{ grades: { eq: '09' } }, { grades: { isNull: true } }] } }] },
      (u) => u.status === 'active' && !(((u.grades as string[] | undefined) ?? []).includes('09') || !((u.grades as string[] | undefined) ?? []).length)],
    ['empty OR matches nothing', { OR: [] }, () => false],
  ];
  it.each(cases)('%s', async (_name, filter, pick) => {
    const expected = expectUsers(pick);
    expect(await userIds(filter)).toEqual(expected);
  });

  it('the cases are selective: none matches all users or none, except the deliberate one', () => {
    for (const [name, , pick] of cases) {
      const n = users.filter(pick).length;
      if (name !== 'empty OR matches nothing') expect(n, name).toBeGreaterThan(0);
      expect(n, name).toBeLessThan(users.length);
    }
  });
});

describe('relation filters', () => {
  const school2 = 'school-002';
  it('roles.role: users holding a guardian role', async () => {
    const holders = new Set(roles.filter((r) => r.role === 'guardian').map((r) => r.user));
    expect(await userIds({ roles: { role: { eq: 'guardian' } } })).toEqual(expectUsers((u) => holders.has(u.sourcedId) && live(u)));
  });

  it('one role row must satisfy both conditions (role and org)', async () => {
    const holders = new Set(roles.filter((r) => r.role === 'teacher' && r.org === 'school-001').map((r) => r.user));
    expect(holders.size).toBeGreaterThan(1);
    expect(await userIds({ roles: { role: { eq: 'teacher' }, org: { sourcedId: { eq: 'school-001' } } } }))
      .toEqual(expectUsers((u) => holders.has(u.sourcedId) && live(u)));
  });

  it('agents: students whose guardian has a given family name', async () => {
    const byId = new Map(users.map((u) => [u.sourcedId, u]));
    const family = byId.get('guardian-001-00001')!.familyName;
    const agents = rows.get('UserAgent')!;
    const wanted = new Set(agents.filter((a) => byId.get(a.agent)!.familyName === family && live(byId.get(a.agent))).map((a) => a.user));
    expect(await userIds({ agents: { familyName: { eq: family } } })).toEqual(expectUsers((u) => wanted.has(u.sourcedId) && live(u)));
  });

  it('classes by term (link table) and by school (reference), nested under a school', async () => {
    const terms = rows.get('ClassTerm')!;
    const spring = new Set(terms.filter((t) => t.term === 'term-2025-spring').map((t) => t.class));
    const r = await ok(db, `{ school(sourcedId: "${school2}") { classes(filter: { terms: { sourcedId: { eq: "term-2025-spring" } } }, ${ALL}) { totalCount nodes { sourcedId } } } }`);
    const expected = ids(sortRows(rows.get('Class')!.filter((c) => c.school === school2 && spring.has(c.sourcedId))));
    expect(expected.length).toBeGreaterThan(0);
    expect(r.data.school.classes.nodes.map((n: Row) => n.sourcedId)).toEqual(expected);
    expect(r.data.school.classes.totalCount).toBe(expected.length);
  });

  it('a link relation filtered by a link relation, nested: a class\'s users whose agents match', async () => {
    const byId = new Map(users.map((u) => [u.sourcedId, u]));
    const families = [...new Set(users.slice(0, 40).map((u) => u.familyName as string))].slice(0, 4);
    const agents = rows.get('UserAgent')!;
    const klass = 'class-001-0003';
    const members = new Set(rows.get('Enrollment')!.filter((e) => e.class === klass).map((e) => e.user));
    const wanted = users.filter((u) => members.has(u.sourcedId) && live(u)
      && agents.some((a) => a.user === u.sourcedId && live(byId.get(a.agent)) && families.includes(byId.get(a.agent)!.familyName as string)));
    expect(wanted.length).toBeGreaterThan(0);
    expect(wanted.length).toBeLessThan(members.size);
    const r = await ok(db, `query($f: [String!]) { class(sourcedId: "${klass}") {
      users(filter: { agents: { familyName: { in: $f } } }, ${ALL}) { totalCount nodes { sourcedId } } } }`, { f: families });
    expect(r.data.class.users.nodes.map((n: Row) => n.sourcedId)).toEqual(ids(sortRows(wanted)));
    expect(r.data.class.users.totalCount).toBe(wanted.length);
  });

  it('enrollments of some classes (reference in) with an enum token', async () => {
    const classes = rows.get('Class')!.slice(0, 3).map((c) => c.sourcedId);
    const r = await ok(db, `query($c: [String!]) { enrollments(filter: { class: { sourcedId: { in: $c } }, role: { eq: "teacher" } }, ${ALL}) { nodes { sourcedId } } }`, { c: classes });
    const expected = ids(sortRows(rows.get('Enrollment')!.filter((e) => classes.includes(e.class) && e.role === 'teacher')));
    expect(r.data.enrollments.nodes.map((n: Row) => n.sourcedId)).toEqual(expected);
  });

  it('float, date and date-time comparisons on gradebook and demographics records', async () => {
    const r = await ok(db, `{
      results(filter: { score: { gte: 60, lt: 80 }, late: { eq: false } }, ${ALL}) { nodes { sourcedId } }
      lineItems(filter: { dueDate: { gte: "2024-09-10T00:00:00Z" } }, ${ALL}) { nodes { sourcedId } }
      demographics(filter: { birthDate: { gt: "2008-06-01", lte: "2010-01-01" } }, ${ALL}) { nodes { sourcedId } }
    }`);
    const results = rows.get('Result')!.filter((x) => matches(x.score, { gte: 60, lt: 80 }) && x.late === false);
    const lineItems = rows.get('LineItem')!.filter((x) => matches(x.dueDate, { gte: '2024-09-10T00:00:00.000Z' }));
    const demographics = rows.get('Demographics')!.filter((x) => matches(x.birthDate, { gt: '2008-06-01', lte: '2010-01-01' }));
    for (const list of [results, lineItems, demographics]) expect(list.length).toBeGreaterThan(0);
    expect(r.data.results.nodes.map((n: Row) => n.sourcedId)).toEqual(ids(sortRows(results)));
    expect(r.data.lineItems.nodes.map((n: Row) => n.sourcedId)).toEqual(ids(sortRows(lineItems)));
    expect(r.data.demographics.nodes.map((n: Row) => n.sourcedId)).toEqual(ids(sortRows(demographics)));
  });
});

describe('ordering', () => {
  const orders: Order[][] = [
    [{ field: 'familyName' }],
    [{ field: 'familyName', direction: 'DESC' }, { field: 'givenName', direction: 'ASC' }],
    [{ field: 'preferredFirstName', direction: 'DESC' }],
    [{ field: 'preferredFirstName', direction: 'ASC' }],
    [{ field: 'enabledUser' }, { field: 'dateLastModified', direction: 'DESC' }],
    [{ field: 'status', direction: 'DESC' }, { field: 'sourcedId', direction: 'DESC' }],
    [{ field: 'sourcedId', direction: 'DESC' }],
  ];
  it.each(orders.map((o) => [JSON.stringify(o), o] as const))('users by %s', async (_name, orderBy) => {
    expect(await userIds(undefined, orderBy)).toEqual(ids(sortRows(users, orderBy)));
  });

  it('ties end with sourcedId ascending', async () => {
    const got = await userIds({ familyName: { eq: 'Smith' } }, [{ field: 'familyName' }]);
    expect(got.length).toBeGreaterThan(1);
    expect(got).toEqual([...got].sort());
  });

  it('numbers, enums and date-times on other types, nested too', async () => {
    const r = await ok(db, `{
      results(orderBy: [{ field: score, direction: DESC }], ${ALL}) { nodes { sourcedId } }
      classes(orderBy: [{ field: classType }, { field: title, direction: DESC }], ${ALL}) { nodes { sourcedId } }
      class(sourcedId: "class-001-0002") { students(orderBy: [{ field: familyName, direction: DESC }], ${ALL}) { nodes { sourcedId } } }
    }`);
    expect(r.data.results.nodes.map((n: Row) => n.sourcedId)).toEqual(ids(sortRows(rows.get('Result')!, [{ field: 'score', direction: 'DESC' }])));
    expect(r.data.classes.nodes.map((n: Row) => n.sourcedId))
      .toEqual(ids(sortRows(rows.get('Class')!, [{ field: 'classType' }, { field: 'title', direction: 'DESC' }])));
    const members = new Set(rows.get('Enrollment')!.filter((e) => e.class === 'class-001-0002' && e.role === 'student').map((e) => e.user));
    expect(r.data.class.students.nodes.map((n: Row) => n.sourcedId))
      .toEqual(ids(sortRows(users.filter((u) => members.has(u.sourcedId) && live(u)), [{ field: 'familyName', direction: 'DESC' }])));
  });
});
