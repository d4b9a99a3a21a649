import type { EntityName } from './dsl.js';

/**
 * A fixed condition on a row, as data (the data layer binds the value): `column = equals` on the row
 * itself, or `some` live row of another entity naming the row in column `via` and matching `where`
 * (a user "is a student" when some live role of theirs has role = 'student').
 */
export type RowCondition =
  | { column: string; equals: string }
  | { some: EntityName; via: string; where: RowCondition[] };

/**
 * To-many (and derived to-one) navigations of the graph, beyond the plain references in the
 * descriptors. Each is either an inverse foreign key on the target (`fk`) or a link yielding
 * `(owner, target)` pairs of sourcedIds. The same definitions drive nested collections, relation
 * filters (`exists`), and the REST nested paths.
 *
 * Tombstones never make relations: a pair exists only while the owner, every row the link goes
 * through and the target are all not `tobedeleted`. Relations hold no SQL: tables, columns and fixed
 * conditions are data, which the data layer turns into statements (src/data/links.ts, queries.ts,
 * filters.ts), adding those liveness conditions and the request's read policy.
 */
export interface Relation {
  owner: EntityName;
  name: string;
  target: EntityName;
  source: { fk: string } | Link;
  /** Extra conditions on the target row (e.g. only terms). */
  where?: RowCondition[];
  /** Served as a single object (first match) rather than a connection. */
  single?: boolean;
  /** Served as a plain list, not a paginated connection (small embedded lists like roles). */
  list?: boolean;
  /** Usable in filters of the owner type (`{ terms: { sourcedId: { eq } } }`). */
  filterable?: boolean;
  /**
   * A handful of rows per owner at most (a user's agents, a class's terms): a page of owners reads it
   * in the same statement (src/graph/embeds.ts). Plain lists (`list`) are always read that way.
   */
  embed?: boolean;
  description: string;
}

/** A column of one of a link's tables, named by the table's alias in the link. */
export interface ColumnRef { alias: string; column: string }

/** A table a link passes through; `on` joins it to the tables before it (`alias.column = equals`; absent on the first). */
export interface Hop { table: string; alias: string; on?: { column: string; equals: ColumnRef } }

/** One way of pairing owners with targets: the tables passed through, the owner and target columns, and fixed conditions. */
export interface LinkPath { hops: Hop[]; owner: ColumnRef; target: ColumnRef; where?: Array<ColumnRef & { equals: string }> }

/**
 * A link: the paths whose `(owner, target)` pairs it unites. The data layer turns it into SQL
 * (src/data/links.ts), leaving out the tombstoned rows of every table it passes through.
 */
export interface Link { paths: LinkPath[] }

const at = (alias: string, column: string): ColumnRef => ({ alias, column });
const link = (...paths: LinkPath[]): Link => ({ paths });

/** A link through one table: `owner` and `target` are its columns, `where` fixed values of its other columns. */
const through = (table: string, owner: string, target: string, where?: Record<string, string>): Link =>
  link({ hops: [{ table, alias: 'l' }], owner: at('l', owner), target: at('l', target),
    where: where && Object.entries(where).map(([column, equals]) => ({ ...at('l', column), equals })) });

const enrolled = (role?: string) =>
  through('enrollments', 'class_sourced_id', 'user_sourced_id', role ? { role } : undefined);
const classesOfUser = () => through('enrollments', 'user_sourced_id', 'class_sourced_id');
const roleHolders = (role?: string) =>
  through('user_roles', 'org_sourced_id', 'user_sourced_id', role ? { role } : undefined);
/** class_terms joined to the classes they name. */
const termClasses: Hop[] = [{ table: 'class_terms', alias: 'ct' }, { table: 'classes', alias: 'c', on: { column: 'sourced_id', equals: at('ct', 'class_sourced_id') } }];

export const relations: Relation[] = [
  // Org
  { owner: 'Org', name: 'children', embed: true, target: 'Org', source: { fk: 'parent_sourced_id' }, description: 'Child orgs.', filterable: true },
  { owner: 'Org', name: 'classes', target: 'Class', source: { fk: 'school_sourced_id' }, description: 'Classes taught at this school.' },
  { owner: 'Org', name: 'courses', target: 'Course', source: { fk: 'org_sourced_id' }, description: 'Courses owned by this org.' },
  { owner: 'Org', name: 'enrollments', target: 'Enrollment', source: { fk: 'school_sourced_id' }, description: 'Enrollments at this school.' },
  { owner: 'Org', name: 'terms', target: 'AcademicSession', where: [{ column: 'type', equals: 'term' }],
    source: link({ hops: termClasses, owner: at('c', 'school_sourced_id'), target: at('ct', 'term_sourced_id') }),
    description: 'Terms in which classes of this school run.' },
  { owner: 'Org', name: 'users', target: 'User', source: roleHolders(), description: 'Users holding any role in this org.' },
  { owner: 'Org', name: 'roles', target: 'UserRole', source: { fk: 'org_sourced_id' }, description: 'Roles held in this org (the inverse of Role.org).' },
  { owner: 'Org', name: 'primaryOrgUsers', target: 'User', source: { fk: 'primary_org_sourced_id' }, description: 'Users whose primaryOrg is this org.' },
  { owner: 'Org', name: 'students', target: 'User', source: roleHolders('student'), description: 'Users with the student role in this org.' },
  { owner: 'Org', name: 'teachers', target: 'User', source: roleHolders('teacher'), description: 'Users with the teacher role in this org.' },
  { owner: 'Org', name: 'lineItems', target: 'LineItem', source: { fk: 'school_sourced_id' }, description: 'Line items of this school.' },
  { owner: 'Org', name: 'scoreScales', target: 'ScoreScale',
    source: link({ hops: [{ table: 'score_scales', alias: 's' }, { table: 'classes', alias: 'c', on: { column: 'sourced_id', equals: at('s', 'class_sourced_id') } }], owner: at('c', 'school_sourced_id'), target: at('s', 'sourced_id') }),
    description: 'Score scales of the classes of this school.' },

  // AcademicSession
  { owner: 'AcademicSession', name: 'children', embed: true, target: 'AcademicSession', source: { fk: 'parent_sourced_id' }, description: 'Child sessions.', filterable: true },
  { owner: 'AcademicSession', name: 'gradingPeriods', target: 'AcademicSession', source: { fk: 'parent_sourced_id' }, where: [{ column: 'type', equals: 'gradingPeriod' }], description: 'Grading periods of this term.' },
  { owner: 'AcademicSession', name: 'classes', target: 'Class',
    source: through('class_terms', 'term_sourced_id', 'class_sourced_id'), description: 'Classes running in this session.' },
  { owner: 'AcademicSession', name: 'schools', target: 'Org',
    source: link({ hops: termClasses, owner: at('ct', 'term_sourced_id'), target: at('c', 'school_sourced_id') }),
    description: 'Schools with classes running in this session (the inverse of Org.terms).' },
  { owner: 'AcademicSession', name: 'courses', target: 'Course', source: { fk: 'school_year_sourced_id' }, description: 'Courses of this school year.' },
  { owner: 'AcademicSession', name: 'lineItems', target: 'LineItem',
    source: link({ hops: [{ table: 'line_items', alias: 'l' }], owner: at('l', 'grading_period_sourced_id'), target: at('l', 'sourced_id') },
      { hops: [{ table: 'line_items', alias: 'l' }], owner: at('l', 'academic_session_sourced_id'), target: at('l', 'sourced_id') }),
    description: 'Line items of this session, as their gradingPeriod or their academicSession.' },

  // Course
  { owner: 'Course', name: 'classes', target: 'Class', source: { fk: 'course_sourced_id' }, description: 'Classes of this course.' },
  { owner: 'Course', name: 'resources', embed: true, target: 'Resource', filterable: true,
    source: through('course_resources', 'course_sourced_id', 'resource_sourced_id'), description: 'Resources assigned to this course.' },
  { owner: 'Course', name: 'scoreScales', target: 'ScoreScale', source: { fk: 'course_sourced_id' }, description: 'Score scales of this course.' },

  // Class
  { owner: 'Class', name: 'terms', embed: true, target: 'AcademicSession', filterable: true,
    source: through('class_terms', 'class_sourced_id', 'term_sourced_id'), description: 'Academic sessions this class runs in.' },
  { owner: 'Class', name: 'enrollments', target: 'Enrollment', source: { fk: 'class_sourced_id' }, description: 'Enrollments in this class.' },
  { owner: 'Class', name: 'users', target: 'User', source: enrolled(), description: 'Users enrolled in this class in any role.' },
  { owner: 'Class', name: 'students', target: 'User', source: enrolled('student'), description: 'Users enrolled as students.', filterable: true },
  { owner: 'Class', name: 'teachers', target: 'User', source: enrolled('teacher'), description: 'Users enrolled as teachers.', filterable: true },
  { owner: 'Class', name: 'lineItems', target: 'LineItem', source: { fk: 'class_sourced_id' }, description: 'Line items of this class.' },
  { owner: 'Class', name: 'categories', target: 'Category',
    source: through('line_items', 'class_sourced_id', 'category_sourced_id'), description: 'Categories used by the line items of this class.' },
  { owner: 'Class', name: 'results', target: 'Result',
    source: link({ hops: [{ table: 'results', alias: 'r' }, { table: 'line_items', alias: 'li', on: { column: 'sourced_id', equals: at('r', 'line_item_sourced_id') } }], owner: at('li', 'class_sourced_id'), target: at('r', 'sourced_id') }),
    description: 'Results of the line items of this class.' },
  { owner: 'Class', name: 'scoreScales', target: 'ScoreScale', source: { fk: 'class_sourced_id' }, description: 'Score scales of this class.' },
  { owner: 'Class', name: 'assessmentLineItems', target: 'AssessmentLineItem', source: { fk: 'class_sourced_id' }, description: 'Assessment line items of this class.' },
  { owner: 'Class', name: 'resources', embed: true, target: 'Resource', filterable: true,
    source: through('class_resources', 'class_sourced_id', 'resource_sourced_id'), description: 'Resources assigned to this class.' },

  // User
  { owner: 'User', name: 'roles', target: 'UserRole', source: { fk: 'user_sourced_id' }, list: true, filterable: true, description: 'The roles this user holds, per org.' },
  { owner: 'User', name: 'userProfiles', target: 'UserProfile', source: { fk: 'user_sourced_id' }, list: true, description: 'Accounts of this user in applications.' },
  { owner: 'User', name: 'orgs', embed: true, target: 'Org', source: through('user_roles', 'user_sourced_id', 'org_sourced_id'), description: 'Orgs in which this user holds a role.' },
  { owner: 'User', name: 'enrollments', target: 'Enrollment', source: { fk: 'user_sourced_id' }, filterable: true, description: 'Enrollments of this user.' },
  { owner: 'User', name: 'classes', target: 'Class', source: classesOfUser(), description: 'Classes this user is enrolled in, in any role.' },
  { owner: 'User', name: 'agents', embed: true, target: 'User', filterable: true,
    source: through('user_agents', 'user_sourced_id', 'agent_sourced_id'), description: 'Related people: guardians of a student, students of a guardian.' },
  { owner: 'User', name: 'agentFor', target: 'User',
    source: through('user_agents', 'agent_sourced_id', 'user_sourced_id'), description: 'Users who list this user as an agent.' },
  { owner: 'User', name: 'demographics', target: 'Demographics', single: true,
    source: through('demographics', 'sourced_id', 'sourced_id'), description: 'Demographic data of this user (same sourcedId).' },
  { owner: 'User', name: 'results', target: 'Result', source: { fk: 'student_sourced_id' }, description: 'Results of this student.' },
  { owner: 'User', name: 'assessmentResults', target: 'AssessmentResult', source: { fk: 'student_sourced_id' }, description: 'Assessment results of this student.' },
  { owner: 'User', name: 'resources', embed: true, target: 'Resource', filterable: true,
    source: through('user_resources', 'user_sourced_id', 'resource_sourced_id'), description: 'Resources assigned to this user.' },

  // Demographics
  { owner: 'Demographics', name: 'user', target: 'User', single: true,
    source: through('users', 'sourced_id', 'sourced_id'), description: 'The user these demographics describe.' },

  // Gradebook
  { owner: 'Category', name: 'classes', target: 'Class',
    source: through('line_items', 'category_sourced_id', 'class_sourced_id'), description: 'Classes with line items in this category.' },
  { owner: 'Category', name: 'lineItems', target: 'LineItem', source: { fk: 'category_sourced_id' }, description: 'Line items in this category.' },
  { owner: 'LineItem', name: 'results', target: 'Result', source: { fk: 'line_item_sourced_id' }, description: 'Results of this line item.' },
  { owner: 'LineItem', name: 'scoreScale', target: 'ScoreScale', single: true,
    source: through('line_item_score_scales', 'line_item_sourced_id', 'score_scale_sourced_id'), description: 'The score scale of this line item.' },
  { owner: 'LineItem', name: 'learningObjectives', target: 'LineItemLearningObjective', source: { fk: 'line_item_sourced_id' }, list: true, description: 'Learning objectives this line item is aligned with.' },
  { owner: 'Result', name: 'scoreScale', target: 'ScoreScale', single: true,
    source: through('result_score_scales', 'result_sourced_id', 'score_scale_sourced_id'), description: 'The score scale of this result.' },
  { owner: 'Result', name: 'learningObjectiveResults', target: 'ResultLearningObjective', source: { fk: 'result_sourced_id' }, list: true, description: 'Per-objective mastery scores.' },
  { owner: 'ScoreScale', name: 'lineItems', target: 'LineItem',
    source: through('line_item_score_scales', 'score_scale_sourced_id', 'line_item_sourced_id'), description: 'Line items using this scale.' },
  { owner: 'ScoreScale', name: 'results', target: 'Result',
    source: through('result_score_scales', 'score_scale_sourced_id', 'result_sourced_id'), description: 'Results using this scale.' },
  { owner: 'ScoreScale', name: 'assessmentLineItems', target: 'AssessmentLineItem', source: { fk: 'score_scale_sourced_id' }, description: 'Assessment line items using this scale.' },
  { owner: 'ScoreScale', name: 'assessmentResults', target: 'AssessmentResult', source: { fk: 'score_scale_sourced_id' }, description: 'Assessment results using this scale.' },
  { owner: 'AssessmentLineItem', name: 'children', target: 'AssessmentLineItem', source: { fk: 'parent_assessment_line_item_sourced_id' }, description: 'Parts of this assessment.' },
  { owner: 'AssessmentLineItem', name: 'assessmentResults', target: 'AssessmentResult', source: { fk: 'assessment_line_item_sourced_id' }, description: 'Results of this assessment line item.' },

  // Resources
  { owner: 'Resource', name: 'courses', target: 'Course', source: through('course_resources', 'resource_sourced_id', 'course_sourced_id'), description: 'Courses this resource is assigned to.' },
  { owner: 'Resource', name: 'classes', target: 'Class', source: through('class_resources', 'resource_sourced_id', 'class_sourced_id'), description: 'Classes this resource is assigned to.' },
  { owner: 'Resource', name: 'users', target: 'User', source: through('user_resources', 'resource_sourced_id', 'user_sourced_id'), description: 'Users this resource is assigned to.' },
];

export const relationsOf = (owner: EntityName) => relations.filter((r) => r.owner === owner);
