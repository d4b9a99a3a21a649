import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { SharingRules } from '../../src/auth/sharing/rules.js';
import { SharingPolicy } from '../../src/auth/sharing/policy.js';
import type { Database } from '../../src/db/orm.js';
import { run, sql } from '../../src/db/sql.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from '../support/db.js';
import { ENTITIES, expectedVisibility, keyOf, readAll, tableOf, type Visible } from './visibility.js';

/** The policy's predicates, run over every table, against the visibility table computed from the seed. */
describe('sharing policy: one predicate per type', () => {
  let db: Database;
  let all: Awaited<ReturnType<typeof readAll>>;
  const seen = async (policy: SharingPolicy): Promise<Visible> => {
    const out = {} as Visible;
    for (const e of ENTITIES) {
      const rows = await run(db.orm.em.fork(), sql`select * from ${sql.table(tableOf(e))} as t where ${policy.rows(e, 't')}`);
      out[e] = new Set(rows.map((r) => keyOf(e, r)));
    }
    return out;
  };
  const policyOf = async (orgs: string[]) => {
    const store = new ClientStore(db.orm.em);
    const client = await store.add(`vendor ${orgs.join()}`, ['roster.readonly'], { orgs });
    const sharing = await new SharingRules(db.orm.em).for(client.client_id);
    expect(sharing.limited).toBe(true);
    return sharing.policy as SharingPolicy;
  };

  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, { schools: 3, students: 24, seed: 7, classesPerStudent: 3, classSize: 8, lineItemsPerClass: 2 });
    const em = db.orm.em.fork();
    // Tombstones the table speaks of: a student whose only role and enrollments at school-002 are deleted
    // is not visible there, nor are resources linked only through a deleted link.
    await run(em, sql`update user_roles set status = 'tobedeleted' where user_sourced_id = 'student-000009'`);
    await run(em, sql`update enrollments set status = 'tobedeleted' where user_sourced_id = 'student-000009'`);
    await run(em, sql`update class_resources set status = 'tobedeleted' where sourced_id = (select min(sourced_id) from class_resources)`);
    all = await readAll(db.orm.em);
  }, 120_000);
  afterAll(async () => { await db?.close(); });

  for (const orgs of [['school-001'], ['school-002'], ['school-001', 'school-003'], ['district-1']]) {
    it(`a client limited to ${orgs.join(', ')} sees exactly the table's rows of every type`, async () => {
      const got = await seen(await policyOf(orgs));
      const want = expectedVisibility(all, orgs);
      for (const e of ENTITIES) expect([...got[e]].sort(), e).toEqual([...want[e]].sort());
    });
  }

  it('two schools see disjoint rosters and gradebooks, and the district sees everything', async () => {
    const [a, b, d] = [await seen(await policyOf(['school-001'])), await seen(await policyOf(['school-002'])), await seen(await policyOf(['district-1']))];
    for (const e of ['Class', 'Enrollment', 'LineItem', 'Result', 'AssessmentLineItem', 'AssessmentResult', 'Demographics', 'ClassTerm', 'UserRole'] as const) {
      expect(a[e].size, e).toBeGreaterThan(0);
      expect([...a[e]].filter((k) => b[e].has(k)), e).toEqual([]);
    }
    // The superintendent teaches at school-001 and administers the district: seen by school-001, not by school-002.
    expect(a.User.has('admin-district')).toBe(true);
    expect(b.User.has('admin-district')).toBe(false);
    expect(a.User.has('student-000009') || b.User.has('student-000009')).toBe(false);
    for (const e of ['Org', 'Course', 'Class', 'ClassTerm', 'Enrollment', 'UserRole', 'LineItem', 'Result', 'ScoreScale', 'AssessmentResult'] as const) {
      expect(d[e].size, e).toBe(all[e].length);
    }
    expect([...d.User].sort()).toEqual(all.User.map((u) => u.sourced_id).filter((id) => id !== 'student-000009').sort());
  });

  it('caches a client\'s visible orgs for a few seconds and reads a change after that', async () => {
    const store = new ClientStore(db.orm.em);
    const client = await store.add('cached', ['roster.readonly'], { orgs: ['school-001'] });
    const rules = new SharingRules(db.orm.em, 60_000);
    const first = await rules.for(client.client_id);
    await store.update(client.client_id, { orgs: ['school-002'] });
    expect(await rules.for(client.client_id)).toBe(first);
    rules.forget(client.client_id);
    expect(((await rules.for(client.client_id)).policy as SharingPolicy).sets.orgs).toEqual(['school-002']);
    await store.update(client.client_id, { orgs: null });
    rules.forget();
    expect((await rules.for(client.client_id)).limited).toBe(false);
  });
});
