import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSql } from '../support/sql.js';
import type { Database } from '../../src/db/orm.js';
import { generateDistrict, type DistrictOptions } from '../../src/seed/district.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from '../support/db.js';

const digest = (opts: DistrictOptions) => {
  const hash = createHash('sha256');
  for (const batch of generateDistrict(opts)) hash.update(JSON.stringify(batch));
  return hash.digest('hex');
};

describe('the district generator', () => {
  it('is deterministic: the same seed gives the same district, another seed another one', () => {
    const opts = { schools: 2, students: 60, seed: 11 };
    expect(digest(opts)).toBe(digest(opts));
    expect(digest({ ...opts, seed: 12 })).not.toBe(digest(opts));
  });

  it('makes a coherent district: roles, guardians both ways, enrolments within the school', () => {
    const rows: Record<string, Record<string, unknown>[]> = {};
    for (const b of generateDistrict({ schools: 3, students: 90, seed: 5 })) (rows[b.entity] ??= []).push(...b.rows);
    const students = rows.User.filter((u) => String(u.sourcedId).startsWith('student-'));
    expect(students).toHaveLength(90);
    const roleOf = new Map<string, string[]>();
    for (const r of rows.UserRole) roleOf.set(String(r.user), [...(roleOf.get(String(r.user)) ?? []), String(r.role)]);
    expect(students.every((s) => roleOf.get(String(s.sourcedId))?.includes('student'))).toBe(true);
    // Multi-role users exist (district administrator who also teaches, teachers who are parents).
    expect([...roleOf.values()].some((roles) => roles.length > 1)).toBe(true);
    const agents = new Set(rows.UserAgent.map((a) => `${a.user}>${a.agent}`));
    expect([...agents].every((pair) => agents.has(pair.split('>').reverse().join('>')))).toBe(true);
    const schoolOfClass = new Map(rows.Class.map((c) => [c.sourcedId, c.school]));
    expect(rows.Enrollment.every((e) => schoolOfClass.get(e.class) === e.school)).toBe(true);
    const kinds = ['Org', 'AcademicSession', 'Course', 'Class', 'Demographics', 'Category', 'LineItem', 'Result', 'ScoreScale',
      'AssessmentLineItem', 'AssessmentResult', 'Resource', 'UserProfile'];
    for (const k of kinds) expect(rows[k]?.length, k).toBeGreaterThan(0);
  });
});

describe('seedDistrict', () => {
  let db: Database;
  beforeAll(async () => { db = await testDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('loads every generated row in one transaction', async () => {
    const report = await seedDistrict(db.orm.em, { schools: 2, students: 50, seed: 3 });
    const em = db.orm.em.fork();
    const [{ n }] = await runSql(em, 'select count(*)::int as n from enrollments');
    expect(n).toBe(report.rows.Enrollment);
    const [{ m }] = await runSql(em, `select count(*)::int as m from users where sourced_id like 'student-%'`);
    expect(m).toBe(50);
    // A second load of the same district collides on sourcedIds and leaves nothing half-written.
    await expect(seedDistrict(db.orm.em, { schools: 2, students: 50, seed: 3 })).rejects.toThrow();
    const [{ n: after }] = await runSql(em, 'select count(*)::int as n from enrollments');
    expect(after).toBe(n);
    // The planner knows the tables' sizes right away (ANALYZE after the load; -1 means never analysed).
    const [{ tuples }] = await runSql(em, `select reltuples::int as tuples from pg_class where oid = 'enrollments'::regclass`);
    expect(tuples).toBe(n);
  });
});
