import { Migration } from '@mikro-orm/migrations';

/**
 * sourcedIds and the columns that reference them compare in the "C" collation: bytes, as memcmp
 * compares them. Key and index builds, foreign-key checks, joins and ORDER BY sourcedId then sort
 * with abbreviated keys instead of strcoll (the database default, C.UTF-8, is a libc locale; its
 * order is code-point order, which is the same order as bytes for UTF-8, so no result changes).
 * Measured: an index build over 1,000,000 text keys 1.4 → 0.85 s in psql with distinct key prefixes;
 * on the benchmark's ids, which share their first 8 bytes, index builds gained 10-20 % and the primary
 * keys within noise. MikroORM does not model collations, so the entities need no change and its
 * schema diff stays empty.
 */
const KEY_COLUMNS: Record<string, string[]> = {
  academic_sessions: ['sourced_id', 'parent_sourced_id'],
  assessment_line_items: ['sourced_id', 'class_sourced_id', 'parent_assessment_line_item_sourced_id', 'score_scale_sourced_id'],
  assessment_results: ['sourced_id', 'assessment_line_item_sourced_id', 'student_sourced_id', 'score_scale_sourced_id'],
  categories: ['sourced_id'],
  class_resources: ['sourced_id', 'class_sourced_id', 'resource_sourced_id'],
  class_terms: ['class_sourced_id', 'term_sourced_id'],
  classes: ['sourced_id', 'course_sourced_id', 'school_sourced_id'],
  course_resources: ['sourced_id', 'course_sourced_id', 'resource_sourced_id'],
  courses: ['sourced_id', 'school_year_sourced_id', 'org_sourced_id'],
  demographics: ['sourced_id'],
  enrollments: ['sourced_id', 'user_sourced_id', 'class_sourced_id', 'school_sourced_id'],
  line_item_learning_objectives: ['sourced_id', 'line_item_sourced_id'],
  line_item_score_scales: ['sourced_id', 'line_item_sourced_id', 'score_scale_sourced_id'],
  line_items: ['sourced_id', 'class_sourced_id', 'school_sourced_id', 'category_sourced_id', 'grading_period_sourced_id', 'academic_session_sourced_id'],
  orgs: ['sourced_id', 'parent_sourced_id'],
  resources: ['sourced_id'],
  result_learning_objectives: ['sourced_id', 'result_sourced_id'],
  result_score_scales: ['sourced_id', 'result_sourced_id', 'score_scale_sourced_id'],
  results: ['sourced_id', 'line_item_sourced_id', 'student_sourced_id', 'class_sourced_id'],
  score_scales: ['sourced_id', 'org_sourced_id', 'course_sourced_id', 'class_sourced_id'],
  user_agents: ['user_sourced_id', 'agent_sourced_id'],
  user_profiles: ['sourced_id', 'user_sourced_id'],
  user_resources: ['sourced_id', 'user_sourced_id', 'org_sourced_id', 'class_sourced_id', 'resource_sourced_id'],
  user_roles: ['sourced_id', 'user_sourced_id', 'org_sourced_id'],
  users: ['sourced_id', 'primary_org_sourced_id'],
};

const collate = (collation: string) => Object.entries(KEY_COLUMNS).map(([table, columns]) =>
  `alter table "${table}" ${columns.map((c) => `alter column "${c}" type text collate "${collation}"`).join(', ')};`);

export class Migration20261127120000 extends Migration {
  override async up(): Promise<void> {
    for (const sql of collate('C')) this.addSql(sql);
  }

  override async down(): Promise<void> {
    for (const sql of collate('default')) this.addSql(sql);
  }
}
