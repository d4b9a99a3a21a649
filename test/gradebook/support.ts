import type { FastifyInstance } from 'fastify';
import { SCOPES } from '../../src/auth/scopes.js';
import type { SigningKeys } from '../../src/auth/signing-keys.js';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { bearer, graphql, testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

/** Every gradebook and assessment scope, read and write, and the roster read scope that references to orgs and users need. */
export const GRADEBOOK_ALL = [
  SCOPES['roster-core.readonly'],
  SCOPES['gradebook.readonly'], SCOPES['gradebook.createput'], SCOPES['gradebook.createpost'], SCOPES['gradebook.delete'],
  SCOPES['assessment.readonly'], SCOPES['assessment.createput'], SCOPES['assessment.delete'],
];

/** Ids of a small seeded district the write tests reference. */
export interface Fixture {
  school: string;
  otherSchool: string;
  classId: string;
  otherClass: string;
  course: string;
  students: string[];
  lineItem: string;
  otherLineItem: string;
  category: string;
  scale: string;
  term: string;
  gradingPeriod: string;
  otherTerm: string;
  district: string;
}

export interface GradebookEnv {
  db: Database;
  app: FastifyInstance;
  keys: SigningKeys;
  ids: Fixture;
  auth: (scopes?: readonly string[]) => Promise<string>;
  gql: (query: string, variables?: Record<string, unknown>, scopes?: readonly string[]) => ReturnType<typeof graphql>;
  sql: (text: string, values?: unknown[]) => Promise<Record<string, unknown>[]>;
}

export async function gradebookEnv(): Promise<GradebookEnv> {
  const db = await testDatabase();
  await seedDistrict(db.orm.em, { schools: 2, students: 16, seed: 7, classesPerStudent: 2, classSize: 8, lineItemsPerClass: 2 });
  const { app, keys } = await testApp(db, { LOG_LEVEL: 'silent' });
  const sql = (text: string, values: unknown[] = []) => runSql(db.orm.em.fork(), text, values);
  const one = async (text: string) => String((await sql(text))[0].id);
  const classId = await one(`select sourced_id as id from classes where school_sourced_id = 'school-001' order by 1 limit 1`);
  // The line item's grading period sits in the fall term; the other term is spring.
  const lineItem = await one(`select sourced_id as id from line_items where class_sourced_id = '${classId}' and grading_period_sourced_id in ('gp-2025-q1', 'gp-2025-q2') order by 1 limit 1`);
  const ids: Fixture = {
    district: 'district-1',
    school: 'school-001',
    otherSchool: 'school-002',
    classId,
    otherClass: await one(`select sourced_id as id from classes where sourced_id <> '${classId}' order by 1 limit 1`),
    course: await one(`select course_sourced_id as id from classes where sourced_id = '${classId}'`),
    students: (await sql(`select user_sourced_id as id from enrollments where class_sourced_id = ? and role = 'student' order by 1`, [classId])).map((r) => String(r.id)),
    lineItem,
    otherLineItem: await one(`select sourced_id as id from line_items where class_sourced_id <> '${classId}' order by 1 limit 1`),
    category: 'cat-homework',
    scale: await one(`select sourced_id as id from score_scales order by 1 limit 1`),
    term: await one(`select coalesce(p.sourced_id, s.sourced_id) as id from line_items li join academic_sessions s on s.sourced_id = li.grading_period_sourced_id
      left join academic_sessions p on p.sourced_id = s.parent_sourced_id where li.sourced_id = '${lineItem}'`),
    gradingPeriod: await one(`select grading_period_sourced_id as id from line_items where sourced_id = '${lineItem}'`),
    otherTerm: 'term-2025-spring',
  };
  const auth = (scopes: readonly string[] = GRADEBOOK_ALL) => bearer(keys, scopes);
  const gql = async (query: string, variables?: Record<string, unknown>, scopes: readonly string[] = GRADEBOOK_ALL) =>
    graphql(app, query, await auth(scopes), variables);
  return { db, app, keys, ids, auth, gql, sql };
}

export async function closeEnv(env: GradebookEnv | undefined) {
  await env?.app.close();
  await env?.db.close();
}

export const ref = (type: string, sourcedId: string, path = type) =>
  ({ href: `https://example.test/ims/oneroster/${path}/${sourcedId}`, sourcedId, type });
