import type { EntityName } from './dsl.js';

/**
 * To-many (and derived to-one) navigations of the graph, beyond the plain references in the
 * descriptors. Each is either an inverse foreign key on the target (`fk`) or a link query yielding
 * `(owner, target)` pairs of sourcedIds. The same definitions drive nested collections, relation
 * filters (`exists`), and the REST nested paths.
 */
export interface Relation {
  owner: EntityName;
  name: string;
  target: EntityName;
  source: { fk: string } | { link: string };
  /** Extra condition on the target row `t` (e.g. only terms). */
  where?: string;
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

const enrolled = (role?: string) =>
  `select class_sourced_id as owner, user_sourced_id as target from enrollments${role ? ` where role = '${role}'` : ''}`;
const classesOfUser = (role?: string) =>
  `select user_sourced_id as owner, class_sourced_id as target from enrollments${role ? ` where role = '${role}'` : ''}`;
const roleHolders = (role?: string) =>
  `select org_sourced_id as owner, user_sourced_id as target from user_roles${role ? ` where role = '${role}'` : ''}`;

export const relations: Relation[] = [
  // Org
  { owner: 'Org', name: 'children', embed: true, target: 'Org', source: { fk: 'parent_sourced_id' }, description: 'Child orgs.', filterable: true },
  { owner: 'Org', name: 'classes', target: 'Class', source: { fk: 'school_sourced_id' }, description: 'Classes taught at this school.' },
  { owner: 'Org', name: 'courses', target: 'Course', source: { fk: 'org_sourced_id' }, description: 'Courses owned by this org.' },
  { owner: 'Org', name: 'enrollments', target: 'Enrollment', source: { fk: 'school_sourced_id' }, description: 'Enrollments at this school.' },
  { owner: 'Org', name: 'terms', target: 'AcademicSession', where: `t.type = 'term'`,
    source: { link: 'select c.school_sourced_id as owner, ct.term_sourced_id as target from class_terms ct join classes c on c.sourced_id = ct.class_sourced_id' },
    description: 'Terms in which classes of this school run.' },
  { owner: 'Org', name: 'users', target: 'User', source: { link: roleHolders() }, description: 'Users holding any role in this org.' },
  { owner: 'Org', name: 'roles', target: 'UserRole', source: { fk: 'org_sourced_id' }, description: 'Roles held in this org (the inverse of Role.org).' },
  { owner: 'Org', name: 'primaryOrgUsers', target: 'User', source: { fk: 'primary_org_sourced_id' }, description: 'Users whose primaryOrg is this org.' },
  { owner: 'Org', name: 'students', target: 'User', source: { link: roleHolders('student') }, description: 'Users with the student role in this org.' },
  { owner: 'Org', name: 'teachers', target: 'User', source: { link: roleHolders('teacher') }, description: 'Users with the teacher role in this org.' },
  { owner: 'Org', name: 'lineItems', target: 'LineItem', source: { fk: 'school_sourced_id' }, description: 'Line items of this school.' },
  { owner: 'Org', name: 'scoreScales', target: 'ScoreScale',
    source: { link: 'select c.school_sourced_id as owner, s.sourced_id as target from score_scales s join classes c on c.sourced_id = s.class_sourced_id' },
    description: 'Score scales of the classes of this school.' },

  // AcademicSession
  { owner: 'AcademicSession', name: 'children', embed: true, target: 'AcademicSession', source: { fk: 'parent_sourced_id' }, description: 'Child sessions.', filterable: true },
  { owner: 'AcademicSession', name: 'gradingPeriods', target: 'AcademicSession', source: { fk: 'parent_sourced_id' }, where: `t.type = 'gradingPeriod'`, description: 'Grading periods of this term.' },
  { owner: 'AcademicSession', name: 'classes', target: 'Class',
    source: { link: 'select term_sourced_id as owner, class_sourced_id as target from class_terms' }, description: 'Classes running in this session.' },
  { owner: 'AcademicSession', name: 'schools', target: 'Org',
    source: { link: 'select ct.term_sourced_id as owner, c.school_sourced_id as target from class_terms ct join classes c on c.sourced_id = ct.class_sourced_id' },
    description: 'Schools with classes running in this session (the inverse of Org.terms).' },
  { owner: 'AcademicSession', name: 'courses', target: 'Course', source: { fk: 'school_year_sourced_id' }, description: 'Courses of this school year.' },
  { owner: 'AcademicSession', name: 'lineItems', target: 'LineItem',
    source: { link: 'select grading_period_sourced_id as owner, sourced_id as target from line_items union all select academic_session_sourced_id, sourced_id from line_items' },
    description: 'Line items of this session, as their gradingPeriod or their academicSession.' },

  // Course
  { owner: 'Course', name: 'classes', target: 'Class', source: { fk: 'course_sourced_id' }, description: 'Classes of this course.' },
  { owner: 'Course', name: 'resources', embed: true, target: 'Resource', filterable: true,
    source: { link: 'select course_sourced_id as owner, resource_sourced_id as target from course_resources' }, description: 'Resources assigned to this course.' },
  { owner: 'Course', name: 'scoreScales', target: 'ScoreScale', source: { fk: 'course_sourced_id' }, description: 'Score scales of this course.' },

  // Class
  { owner: 'Class', name: 'terms', embed: true, target: 'AcademicSession', filterable: true,
    source: { link: 'select class_sourced_id as owner, term_sourced_id as target from class_terms' }, description: 'Academic sessions this class runs in.' },
  { owner: 'Class', name: 'enrollments', target: 'Enrollment', source: { fk: 'class_sourced_id' }, description: 'Enrollments in this class.' },
  { owner: 'Class', name: 'users', target: 'User', source: { link: enrolled() }, description: 'Users enrolled in this class in any role.' },
  { owner: 'Class', name: 'students', target: 'User', source: { link: enrolled('student') }, description: 'Users enrolled as students.', filterable: true },
  { owner: 'Class', name: 'teachers', target: 'User', source: { link: enrolled('teacher') }, description: 'Users enrolled as teachers.', filterable: true },
  { owner: 'Class', name: 'lineItems', target: 'LineItem', source: { fk: 'class_sourced_id' }, description: 'Line items of this class.' },
  { owner: 'Class', name: 'categories', target: 'Category',
    source: { link: 'select class_sourced_id as owner, category_sourced_id as target from line_items' }, description: 'Categories used by the line items of this class.' },
  { owner: 'Class', name: 'results', target: 'Result',
    source: { link: 'select li.class_sourced_id as owner, r.sourced_id as target from results r join line_items li on li.sourced_id = r.line_item_sourced_id' },
    description: 'Results of the line items of this class.' },
  { owner: 'Class', name: 'scoreScales', target: 'ScoreScale', source: { fk: 'class_sourced_id' }, description: 'Score scales of this class.' },
  { owner: 'Class', name: 'assessmentLineItems', target: 'AssessmentLineItem', source: { fk: 'class_sourced_id' }, description: 'Assessment line items of this class.' },
  { owner: 'Class', name: 'resources', embed: true, target: 'Resource', filterable: true,
    source: { link: 'select class_sourced_id as owner, resource_sourced_id as target from class_resources' }, description: 'Resources assigned to this class.' },

  // User
  { owner: 'User', name: 'roles', target: 'UserRole', source: { fk: 'user_sourced_id' }, list: true, filterable: true, description: 'The roles this user holds, per org.' },
  { owner: 'User', name: 'userProfiles', target: 'UserProfile', source: { fk: 'user_sourced_id' }, list: true, description: 'Accounts of this user in applications.' },
  { owner: 'User', name: 'orgs', embed: true, target: 'Org', source: { link: 'select user_sourced_id as owner, org_sourced_id as target from user_roles' }, description: 'Orgs in which this user holds a role.' },
  { owner: 'User', name: 'enrollments', target: 'Enrollment', source: { fk: 'user_sourced_id' }, filterable: true, description: 'Enrollments of this user.' },
  { owner: 'User', name: 'classes', target: 'Class', source: { link: classesOfUser() }, description: 'Classes this user is enrolled in, in any role.' },
  { owner: 'User', name: 'agents', embed: true, target: 'User', filterable: true,
    source: { link: 'select user_sourced_id as owner, agent_sourced_id as target from user_agents' }, description: 'Related people: guardians of a student, students of a guardian.' },
  { owner: 'User', name: 'agentFor', target: 'User',
    source: { link: 'select agent_sourced_id as owner, user_sourced_id as target from user_agents' }, description: 'Users who list this user as an agent.' },
  { owner: 'User', name: 'demographics', target: 'Demographics', single: true,
    source: { link: 'select sourced_id as owner, sourced_id as target from demographics' }, description: 'Demographic data of this user (same sourcedId).' },
  { owner: 'User', name: 'results', target: 'Result', source: { fk: 'student_sourced_id' }, description: 'Results of this student.' },
  { owner: 'User', name: 'assessmentResults', target: 'AssessmentResult', source: { fk: 'student_sourced_id' }, description: 'Assessment results of this student.' },
  { owner: 'User', name: 'resources', embed: true, target: 'Resource', filterable: true,
    source: { link: 'select user_sourced_id as owner, resource_sourced_id as target from user_resources' }, description: 'Resources assigned to this user.' },

  // Demographics
  { owner: 'Demographics', name: 'user', target: 'User', single: true,
    source: { link: 'select sourced_id as owner, sourced_id as target from users' }, description: 'The user these demographics describe.' },

  // Gradebook
  { owner: 'Category', name: 'classes', target: 'Class',
    source: { link: 'select category_sourced_id as owner, class_sourced_id as target from line_items' }, description: 'Classes with line items in this category.' },
  { owner: 'Category', name: 'lineItems', target: 'LineItem', source: { fk: 'category_sourced_id' }, description: 'Line items in this category.' },
  { owner: 'LineItem', name: 'results', target: 'Result', source: { fk: 'line_item_sourced_id' }, description: 'Results of this line item.' },
  { owner: 'LineItem', name: 'scoreScale', target: 'ScoreScale', single: true,
    source: { link: 'select line_item_sourced_id as owner, score_scale_sourced_id as target from line_item_score_scales' }, description: 'The score scale of this line item.' },
  { owner: 'LineItem', name: 'learningObjectives', target: 'LineItemLearningObjective', source: { fk: 'line_item_sourced_id' }, list: true, description: 'Learning objectives this line item is aligned with.' },
  { owner: 'Result', name: 'scoreScale', target: 'ScoreScale', single: true,
    source: { link: 'select result_sourced_id as owner, score_scale_sourced_id as target from result_score_scales' }, description: 'The score scale of this result.' },
  { owner: 'Result', name: 'learningObjectiveResults', target: 'ResultLearningObjective', source: { fk: 'result_sourced_id' }, list: true, description: 'Per-objective mastery scores.' },
  { owner: 'ScoreScale', name: 'lineItems', target: 'LineItem',
    source: { link: 'select score_scale_sourced_id as owner, line_item_sourced_id as target from line_item_score_scales' }, description: 'Line items using this scale.' },
  { owner: 'ScoreScale', name: 'results', target: 'Result',
    source: { link: 'select score_scale_sourced_id as owner, result_sourced_id as target from result_score_scales' }, description: 'Results using this scale.' },
  { owner: 'ScoreScale', name: 'assessmentLineItems', target: 'AssessmentLineItem', source: { fk: 'score_scale_sourced_id' }, description: 'Assessment line items using this scale.' },
  { owner: 'ScoreScale', name: 'assessmentResults', target: 'AssessmentResult', source: { fk: 'score_scale_sourced_id' }, description: 'Assessment results using this scale.' },
  { owner: 'AssessmentLineItem', name: 'children', target: 'AssessmentLineItem', source: { fk: 'parent_assessment_line_item_sourced_id' }, description: 'Parts of this assessment.' },
  { owner: 'AssessmentLineItem', name: 'assessmentResults', target: 'AssessmentResult', source: { fk: 'assessment_line_item_sourced_id' }, description: 'Results of this assessment line item.' },

  // Resources
  { owner: 'Resource', name: 'courses', target: 'Course', source: { link: 'select resource_sourced_id as owner, course_sourced_id as target from course_resources' }, description: 'Courses this resource is assigned to.' },
  { owner: 'Resource', name: 'classes', target: 'Class', source: { link: 'select resource_sourced_id as owner, class_sourced_id as target from class_resources' }, description: 'Classes this resource is assigned to.' },
  { owner: 'Resource', name: 'users', target: 'User', source: { link: 'select resource_sourced_id as owner, user_sourced_id as target from user_resources' }, description: 'Users this resource is assigned to.' },
];

export const relationsOf = (owner: EntityName) => relations.filter((r) => r.owner === owner);
