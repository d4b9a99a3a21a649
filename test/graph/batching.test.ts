import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/orm.js';
import type { DistrictOptions } from '../../src/seed/district.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from '../support/db.js';
import { fixtureRows, ok } from './support.js';

/**
 * Nested collections resolve through per-request loaders: one statement per level, however many
 * parents there are. Two districts, one with 10 classes and one with 1,000 (10 classes per student,
 * tiny classes so that the big one stays quick to seed), get the same four-level queries.
 */
const SMALL: DistrictOptions = { schools: 1, students: 5, seed: 7, classesPerStudent: 10, classSize: 5, lineItemsPerClass: 2 };
const LARGE: DistrictOptions = { schools: 1, students: 100, seed: 7, classesPerStudent: 10, classSize: 1, lineItemsPerClass: 2 };

const SCHOOLS_TO_USERS = `{
  schools { nodes { sourcedId classes(first: 5000) { totalCount nodes { sourcedId
    enrollments(first: 100) { nodes { sourcedId role user { sourcedId givenName familyName } } } } } } }
}`;
const CLASSES_TO_STUDENTS = `{
  classes(first: 5000) { nodes { sourcedId
    lineItems(first: 100) { totalCount nodes { sourcedId
      results(first: 100) { nodes { sourcedId score student { sourcedId familyName } } } } } } }
}`;

describe.each([['10 classes', SMALL, 10], ['1,000 classes', LARGE, 1000]])('batching with %s', (_label, opts, classCount) => {
  let db: Database;
  const rows = fixtureRows(opts);
  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, opts);
  });
  afterAll(async () => { await db?.close(); });

  it('the fixture has the intended size', () => {
    expect(rows.get('Class')!.length).toBe(classCount);
  });

  // Four levels, four statements, plus the one school's class count, which runs beside its page (one
  // owner: listNested counts apart, on a second connection).
  it('schools → classes → enrollments → user: four statements and the count beside', async () => {
    const r = await ok(db, SCHOOLS_TO_USERS);
    const classes = r.data.schools.nodes.flatMap((s: any) => s.classes.nodes);
    expect(classes).toHaveLength(classCount);
    const enrollments = classes.flatMap((c: any) => c.enrollments.nodes);
    expect(enrollments).toHaveLength(rows.get('Enrollment')!.length);
    const users = new Map(rows.get('User')!.map((u) => [u.sourcedId, u]));
    for (const e of enrollments) expect(e.user.familyName).toBe(users.get(e.user.sourcedId)!.familyName);
    expect(r.data.schools.nodes[0].classes.totalCount).toBe(classCount);
    expect(r.statements).toBe(5);
  });

  it('classes → line items → results → student: four statements', async () => {
    const r = await ok(db, CLASSES_TO_STUDENTS);
    expect(r.data.classes.nodes).toHaveLength(classCount);
    const results = r.data.classes.nodes.flatMap((c: any) => c.lineItems.nodes.flatMap((li: any) => li.results.nodes));
    expect(results).toHaveLength(rows.get('Result')!.length);
    expect(results.every((x: any) => typeof x.student.familyName === 'string')).toBe(true);
    expect(r.statements).toBe(4);
  });
});
