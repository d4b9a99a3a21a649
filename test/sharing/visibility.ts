import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql } from '../../src/db/sql.js';
import type { EntityName } from '../../src/model/dsl.js';

/**
 * The README's visibility table, computed independently of src/auth/sharing: every seeded row is
 * read with plain SQL and the table's rules are applied in JavaScript. Keys are sourcedIds, or
 * `owner|target` for the link tables without one (class_terms, user_agents).
 */
export type Visible = Record<EntityName, Set<string>>;

type R = Record<string, any>;
const TABLES: Record<EntityName, string> = {
  Org: 'orgs', AcademicSession: 'academic_sessions', Course: 'courses', Class: 'classes', User: 'users', UserRole: 'user_roles',
  UserProfile: 'user_profiles', UserAgent: 'user_agents', ClassTerm: 'class_terms', Enrollment: 'enrollments', Demographics: 'demographics',
  Category: 'categories', LineItem: 'line_items', LineItemLearningObjective: 'line_item_learning_objectives',
  LineItemScoreScale: 'line_item_score_scales', Result: 'results', ResultLearningObjective: 'result_learning_objectives',
  ResultScoreScale: 'result_score_scales', ScoreScale: 'score_scales', AssessmentLineItem: 'assessment_line_items',
  AssessmentResult: 'assessment_results', Resource: 'resources', CourseResource: 'course_resources', ClassResource: 'class_resources',
  UserResource: 'user_resources',
};
export const tableOf = (e: EntityName) => TABLES[e];
export const ENTITIES = Object.keys(TABLES) as EntityName[];

export const keyOf = (entity: EntityName, r: R): string =>
  entity === 'ClassTerm' ? `${r.class_sourced_id}|${r.term_sourced_id}`
    : entity === 'UserAgent' ? `${r.user_sourced_id}|${r.agent_sourced_id}` : String(r.sourced_id);

export async function readAll(em: EntityManager): Promise<Record<EntityName, R[]>> {
  const out = {} as Record<EntityName, R[]>;
  for (const e of ENTITIES) out[e] = await run(em.fork(), sql`select * from ${sql.table(TABLES[e])}`);
  return out;
}

export function expectedVisibility(all: Record<EntityName, R[]>, given: readonly string[]): Visible {
  const live = (r: R) => r.status !== 'tobedeleted';
  const orgs = new Set(given);
  for (let grew = true; grew;) {
    grew = false;
    for (const o of all.Org) if (o.parent_sourced_id && orgs.has(o.parent_sourced_id) && !orgs.has(o.sourced_id)) { orgs.add(o.sourced_id); grew = true; }
  }
  const ids = (rows: R[]) => new Set(rows.map((r) => String(r.sourced_id)));
  const classes = ids(all.Class.filter((c) => orgs.has(c.school_sourced_id)));
  const courseIdsOfClasses = new Set(all.Class.filter((c) => classes.has(c.sourced_id)).map((c) => c.course_sourced_id));
  const courses = ids(all.Course.filter((c) => orgs.has(c.org_sourced_id) || courseIdsOfClasses.has(c.sourced_id)));
  const lineItems = ids(all.LineItem.filter((l) => orgs.has(l.school_sourced_id)));
  const users = new Set<string>([
    ...all.UserRole.filter((r) => live(r) && orgs.has(r.org_sourced_id)).map((r) => r.user_sourced_id),
    ...all.Enrollment.filter((e) => live(e) && orgs.has(e.school_sourced_id)).map((e) => e.user_sourced_id),
  ]);
  const sessions = new Set<string>([
    ...all.ClassTerm.filter((t) => classes.has(t.class_sourced_id)).map((t) => t.term_sourced_id),
    ...all.Course.filter((c) => courses.has(c.sourced_id) && c.school_year_sourced_id).map((c) => c.school_year_sourced_id),
    ...all.LineItem.filter((l) => lineItems.has(l.sourced_id)).flatMap((l) => [l.grading_period_sourced_id, l.academic_session_sourced_id].filter(Boolean)),
  ]);
  const parentOf = new Map(all.AcademicSession.map((s) => [s.sourced_id, s.parent_sourced_id]));
  for (const s of [...sessions]) for (let p = parentOf.get(s); p; p = parentOf.get(p)) sessions.add(p);
  const results = ids(all.Result.filter((r) => lineItems.has(r.line_item_sourced_id)));
  const alis = ids(all.AssessmentLineItem.filter((a) => classes.has(a.class_sourced_id)));
  const resources = new Set<string>([
    ...all.CourseResource.filter((l) => live(l) && courses.has(l.course_sourced_id)).map((l) => l.resource_sourced_id),
    ...all.ClassResource.filter((l) => live(l) && classes.has(l.class_sourced_id)).map((l) => l.resource_sourced_id),
    ...all.UserResource.filter((l) => live(l) && users.has(l.user_sourced_id)).map((l) => l.resource_sourced_id),
  ]);
  const keys = (e: EntityName, pick: (r: R) => boolean) => new Set(all[e].filter(pick).map((r) => keyOf(e, r)));
  return {
    Org: orgs, AcademicSession: sessions, Course: courses, Class: classes, User: users,
    UserRole: keys('UserRole', (r) => orgs.has(r.org_sourced_id)),
    UserProfile: keys('UserProfile', (r) => users.has(r.user_sourced_id)),
    UserAgent: keys('UserAgent', (r) => users.has(r.user_sourced_id) && users.has(r.agent_sourced_id)),
    ClassTerm: keys('ClassTerm', (r) => classes.has(r.class_sourced_id)),
    Enrollment: keys('Enrollment', (r) => orgs.has(r.school_sourced_id)),
    Demographics: keys('Demographics', (r) => users.has(r.sourced_id)),
    Category: keys('Category', (c) => all.LineItem.some((l) => lineItems.has(l.sourced_id) && l.category_sourced_id === c.sourced_id)
      || !all.LineItem.some((l) => l.category_sourced_id === c.sourced_id)),
    LineItem: lineItems,
    LineItemLearningObjective: keys('LineItemLearningObjective', (r) => lineItems.has(r.line_item_sourced_id)),
    LineItemScoreScale: keys('LineItemScoreScale', (r) => lineItems.has(r.line_item_sourced_id)),
    Result: results,
    ResultLearningObjective: keys('ResultLearningObjective', (r) => results.has(r.result_sourced_id)),
    ResultScoreScale: keys('ResultScoreScale', (r) => results.has(r.result_sourced_id)),
    ScoreScale: keys('ScoreScale', (s) => orgs.has(s.org_sourced_id) || classes.has(s.class_sourced_id)),
    AssessmentLineItem: alis,
    AssessmentResult: keys('AssessmentResult', (r) => alis.has(r.assessment_line_item_sourced_id)),
    Resource: keys('Resource', (r) => resources.has(r.sourced_id)),
    CourseResource: keys('CourseResource', (r) => courses.has(r.course_sourced_id)),
    ClassResource: keys('ClassResource', (r) => classes.has(r.class_sourced_id)),
    UserResource: keys('UserResource', (r) => users.has(r.user_sourced_id)),
  };
}
