import { SCOPES, V1P1_SCOPES, type ScopeName, type V1p1ScopeName } from '../auth/scopes.js';
import type { FilterInput } from '../data/filters.js';
import type { ApiVersion } from './route-config.js';
import type { Service } from './openapi.js';
import type { ShapeName } from './shapes.js';

/**
 * Every REST read (rest.md §3, §7) and where its data lives in the graph. Path parameters are
 * positional: the n-th `{...}` of the path is parameter n, whatever the OAS (or 1.1) calls it.
 */
export interface Parent {
  /** Root field reading one object by sourcedId (`school`, `student`, ...); null means 404. */
  field: string;
  /** The parent must reference an earlier parent through this reference field (a class in that school). */
  within?: { ref: string; parent: number };
}

export interface Endpoint {
  service: Service;
  version: ApiVersion;
  /** Path relative to the service base, as the OAS writes it. */
  path: string;
  operationId: string;
  wrapper: string;
  shape: ShapeName;
  scopes: readonly string[];
  /** Path parameters that name objects which must exist, in path order. */
  parents: Parent[];
  /** Single read: the root field reading the object by the last path parameter. */
  single?: string;
  /** Collection: a root collection field, or a relation of parent n; `where` narrows it further. */
  list?: { field: string; from: 'root' | number; where?: (params: string[]) => FilterInput };
}

type Scopes = ScopeName[];
const R: Scopes = ['roster.readonly'];
const RC: Scopes = ['roster.readonly', 'roster-core.readonly'];
const RD: Scopes = ['roster-demographics.readonly'];
const G: Scopes = ['gradebook.readonly'];
const GC: Scopes = ['gradebook.readonly', 'gradebook-core.readonly'];
const A: Scopes = ['assessment.readonly'];
const RS: Scopes = ['resource.readonly'];
const RSC: Scopes = ['resource.readonly', 'resource-core.readonly'];

interface Row {
  path: string; operationId: string; wrapper: string; shape: ShapeName; scopes: Scopes;
  parents?: Parent[]; single?: string; list?: Endpoint['list'];
}

const sourcedIdIs = (id: string) => ({ sourcedId: { eq: id } });

/** getAll + get-by-id of one root view. */
function core(path: string, names: [string, string], wrappers: [string, string], shape: ShapeName, scopes: Scopes, single: string, op: [string, string]): Row[] {
  return [
    { path, operationId: op[0], wrapper: wrappers[0], shape, scopes, list: { field: names[0], from: 'root' } },
    { path: `${path}/{sourcedId}`, operationId: op[1], wrapper: wrappers[1], shape, scopes, single },
  ];
}

/** A relation of one parent object: `/{parents}/{id}/{relation}`. */
const nested = (path: string, operationId: string, wrapper: string, shape: ShapeName, scopes: Scopes, parent: string, field: string): Row =>
  ({ path, operationId, wrapper, shape, scopes, parents: [{ field: parent }], list: { field, from: 0 } });

const ROSTERING: Row[] = [
  ...core('/academicSessions', ['academicSessions', 'academicSession'], ['academicSessions', 'academicSession'], 'academicSession', RC, 'academicSession', ['getAllAcademicSessions', 'getAcademicSession']),
  ...core('/classes', ['classes', 'class'], ['classes', 'class'], 'class', RC, 'class', ['getAllClasses', 'getClass']),
  nested('/classes/{classSourcedId}/students', 'getStudentsForClass', 'users', 'user', R, 'class', 'students'),
  nested('/classes/{classSourcedId}/teachers', 'getTeachersForClass', 'users', 'user', R, 'class', 'teachers'),
  ...core('/courses', ['courses', 'course'], ['courses', 'course'], 'course', RC, 'course', ['getAllCourses', 'getCourse']),
  nested('/courses/{courseSourcedId}/classes', 'getClassesForCourse', 'classes', 'class', R, 'course', 'classes'),
  ...core('/demographics', ['demographics', 'demographic'], ['demographics', 'demographics'], 'demographics', RD, 'demographic', ['getAllDemographics', 'getDemographics']),
  ...core('/enrollments', ['enrollments', 'enrollment'], ['enrollments', 'enrollment'], 'enrollment', RC, 'enrollment', ['getAllEnrollments', 'getEnrollment']),
  ...core('/gradingPeriods', ['gradingPeriods', 'gradingPeriod'], ['academicSessions', 'academicSession'], 'academicSession', RC, 'gradingPeriod', ['getAllGradingPeriods', 'getGradingPeriod']),
  ...core('/orgs', ['orgs', 'org'], ['orgs', 'org'], 'org', RC, 'org', ['getAllOrgs', 'getOrg']),
  ...core('/schools', ['schools', 'school'], ['orgs', 'org'], 'org', RC, 'school', ['getAllSchools', 'getSchool']),
  nested('/schools/{schoolSourcedId}/classes', 'getClassesForSchool', 'classes', 'class', R, 'school', 'classes'),
  nested('/schools/{schoolSourcedId}/courses', 'getCoursesForSchool', 'courses', 'course', R, 'school', 'courses'),
  nested('/schools/{schoolSourcedId}/enrollments', 'getEnrollmentsForSchool', 'enrollments', 'enrollment', R, 'school', 'enrollments'),
  nested('/schools/{schoolSourcedId}/students', 'getStudentsForSchool', 'users', 'user', R, 'school', 'students'),
  nested('/schools/{schoolSourcedId}/teachers', 'getTeachersForSchool', 'users', 'user', R, 'school', 'teachers'),
  nested('/schools/{schoolSourcedId}/terms', 'getTermsForSchool', 'academicSessions', 'academicSession', R, 'school', 'terms'),
  ...(['enrollments', 'students', 'teachers'] as const).map((rel): Row => ({
    path: `/schools/{schoolSourcedId}/classes/{classSourcedId}/${rel}`,
    operationId: { enrollments: 'getEnrollmentsForClassInSchool', students: 'getStudentsForClassInSchool', teachers: 'getTeachersForClassInSchool' }[rel],
    wrapper: rel === 'enrollments' ? 'enrollments' : 'users', shape: rel === 'enrollments' ? 'enrollment' : 'user', scopes: R,
    parents: [{ field: 'school' }, { field: 'class', within: { ref: 'school', parent: 0 } }], list: { field: rel, from: 1 },
  })),
  ...core('/students', ['students', 'student'], ['users', 'user'], 'user', RC, 'student', ['getAllStudents', 'getStudent']),
  // A student's classes are those they are enrolled in as a student (teachers likewise), see README "Roles".
  { path: '/students/{studentSourcedId}/classes', operationId: 'getClassesForStudent', wrapper: 'classes', shape: 'class', scopes: R,
    parents: [{ field: 'student' }], list: { field: 'classes', from: 'root', where: ([id]) => ({ students: sourcedIdIs(id!) }) } },
  ...core('/teachers', ['teachers', 'teacher'], ['users', 'user'], 'user', RC, 'teacher', ['getAllTeachers', 'getTeacher']),
  { path: '/teachers/{teacherSourcedId}/classes', operationId: 'getClassesForTeacher', wrapper: 'classes', shape: 'class', scopes: R,
    parents: [{ field: 'teacher' }], list: { field: 'classes', from: 'root', where: ([id]) => ({ teachers: sourcedIdIs(id!) }) } },
  ...core('/terms', ['terms', 'term'], ['academicSessions', 'academicSession'], 'academicSession', RC, 'term', ['getAllTerms', 'getTerm']),
  nested('/terms/{termSourcedId}/classes', 'getClassesForTerm', 'classes', 'class', R, 'term', 'classes'),
  nested('/terms/{termSourcedId}/gradingPeriods', 'getGradingPeriodsForTerm', 'academicSessions', 'academicSession', R, 'term', 'gradingPeriods'),
  ...core('/users', ['users', 'user'], ['users', 'user'], 'user', RC, 'user', ['getAllUsers', 'getUser']),
  nested('/users/{userSourcedId}/classes', 'getClassesForUser', 'classes', 'class', R, 'user', 'classes'),
];

const GRADEBOOK: Row[] = [
  ...core('/assessmentLineItems', ['assessmentLineItems', 'assessmentLineItem'], ['assessmentLineItems', 'assessmentLineItem'], 'assessmentLineItem', A, 'assessmentLineItem', ['getAllAssessmentLineItems', 'getAssessmentLineItem']),
  ...core('/assessmentResults', ['assessmentResults', 'assessmentResult'], ['assessmentResults', 'assessmentResult'], 'assessmentResult', A, 'assessmentResult', ['getAllAssessmentResults', 'getAssessmentResult']),
  ...core('/categories', ['categories', 'category'], ['categories', 'category'], 'category', GC, 'category', ['getAllCategories', 'getCategory']),
  nested('/classes/{classSourcedId}/categories', 'getCategoriesForClass', 'categories', 'category', G, 'class', 'categories'),
  nested('/classes/{classSourcedId}/lineItems', 'getLineItemsForClass', 'lineItems', 'lineItem', G, 'class', 'lineItems'),
  nested('/classes/{classSourcedId}/results', 'getResultsForClass', 'results', 'result', G, 'class', 'results'),
  nested('/classes/{classSourcedId}/scoreScales', 'getScoreScalesForClass', 'scoreScales', 'scoreScale', G, 'class', 'scoreScales'),
  { path: '/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results', operationId: 'getResultsForLineItemForClass', wrapper: 'results',
    shape: 'result', scopes: G, parents: [{ field: 'class' }, { field: 'lineItem', within: { ref: 'class', parent: 0 } }], list: { field: 'results', from: 1 } },
  { path: '/classes/{classSourcedId}/students/{studentSourcedId}/results', operationId: 'getResultsForStudentForClass', wrapper: 'results',
    shape: 'result', scopes: G, parents: [{ field: 'class' }, { field: 'user' }],
    list: { field: 'results', from: 0, where: ([, student]) => ({ student: sourcedIdIs(student!) }) } },
  ...core('/lineItems', ['lineItems', 'lineItem'], ['lineItems', 'lineItem'], 'lineItem', GC, 'lineItem', ['getAllLineItems', 'getLineItem']),
  ...core('/results', ['results', 'result'], ['results', 'result'], 'result', GC, 'result', ['getAllResults', 'getResult']),
  nested('/schools/{schoolSourcedId}/scoreScales', 'getScoreScalesForSchool', 'scoreScales', 'scoreScale', G, 'school', 'scoreScales'),
  ...core('/scoreScales', ['scoreScales', 'scoreScale'], ['scoreScales', 'scoreScale'], 'scoreScale', GC, 'scoreScale', ['getAllScoreScales', 'getScoreScale']),
];

const RESOURCES: Row[] = [
  nested('/classes/{classSourcedId}/resources', 'getResourcesForClass', 'resources', 'resource', RS, 'class', 'resources'),
  nested('/courses/{courseSourcedId}/resources', 'getResourcesForCourse', 'resources', 'resource', RS, 'course', 'resources'),
  ...core('/resources', ['resources', 'resource'], ['resources', 'resource'], 'resource', RSC, 'resource', ['getAllResources', 'getResource']),
  nested('/users/{userSourcedId}/resources', 'getResourcesForUser', 'resources', 'resource', RS, 'user', 'resources'),
];

const v1p2 = (service: Service, rows: Row[]): Endpoint[] => rows.map((r) => ({
  service, version: 'v1p2', path: r.path, operationId: r.operationId, wrapper: r.wrapper, shape: r.shape,
  scopes: r.scopes.map((s) => SCOPES[s]), parents: r.parents ?? [], single: r.single, list: r.list,
}));

/** 1.1 has the same scope names minus the -core/assessment ones; a v1.2 token with the same name also passes (auth/scopes.ts). */
const v1p1Scopes = (scopes: Scopes) =>
  scopes.filter((s): s is V1p1ScopeName => s in V1P1_SCOPES).map((s) => V1P1_SCOPES[s]);

/** The 1.1 gradebook had categories, line items and results only (rest.md §7); 1.1 resources lacked /users/{id}/resources. */
const V1P1_GRADEBOOK = new Set([
  'getAllCategories', 'getCategory', 'getAllLineItems', 'getLineItem', 'getAllResults', 'getResult', 'getResultsForClass',
  'getLineItemsForClass', 'getResultsForLineItemForClass', 'getResultsForStudentForClass',
]);

const v1p1 = (service: Service, rows: Row[]): Endpoint[] => v1p2(service, rows).map((e, i) => ({
  ...e, version: 'v1p1', scopes: v1p1Scopes(rows[i]!.scopes),
}));

export const V1P2_ENDPOINTS: Endpoint[] = [
  ...v1p2('rostering', ROSTERING), ...v1p2('gradebook', GRADEBOOK), ...v1p2('resources', RESOURCES),
];

export const V1P1_ENDPOINTS: Endpoint[] = [
  ...v1p1('rostering', ROSTERING),
  ...v1p1('gradebook', GRADEBOOK.filter((r) => V1P1_GRADEBOOK.has(r.operationId))),
  ...v1p1('resources', RESOURCES.filter((r) => r.operationId !== 'getResourcesForUser')),
];

export const ENDPOINTS: Endpoint[] = [...V1P2_ENDPOINTS, ...V1P1_ENDPOINTS];

export function basePath(service: Service, version: ApiVersion): string {
  return version === 'v1p1' ? '/ims/oneroster/v1p1' : `/ims/oneroster/${service}/v1p2`;
}

export const isCollection = (e: Endpoint) => !!e.list;
