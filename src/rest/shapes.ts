import type { EntityName } from '../model/dsl.js';

/**
 * The OneRoster JSON shape of each entity, property by property, as the official OpenAPI schemas
 * define it (model.md), and how each property is read from the graph. Every property names its
 * GraphQL selection (aliased to the REST name, so that results come back keyed as REST wants them)
 * and how its value is serialised.
 */

/** `type` of a GUIDRef (model.md §0.2): one literal per reference schema. */
export type RefType =
  | 'org' | 'academicSession' | 'course' | 'class' | 'user' | 'resource' | 'category' | 'lineItem'
  | 'scoreScale' | 'assessmentLineItem';

export type Serialise =
  | { as: 'plain' }
  /** JSON booleans become the OAS string booleans "true"/"false". */
  | { as: 'bool' }
  | { as: 'ref'; type: RefType }
  /** A list of references read through a connection: `{ nodes { sourcedId } }`. */
  | { as: 'refs'; type: RefType }
  /** Embedded objects (roles, userProfiles, ...): nulls dropped, nested `org` made a GUIDRef. */
  | { as: 'embedded' }
  /** v1.1 `role` and `orgs`, derived from the 1.2 roles. */
  | { as: 'v1p1Role' } | { as: 'v1p1Orgs' };

export interface RestProperty {
  /** GraphQL selection producing the property under its REST name (or a shared alias for derived ones). */
  select: string;
  serialise: Serialise;
  /** 1..* lists: kept even when empty (the others are omitted when empty). */
  required?: boolean;
}

export interface Shape {
  entity: EntityName;
  /** GraphQL type name, for `<Type>Filter` and `<Type>Order`. */
  typeName: string;
  properties: Record<string, RestProperty>;
}

/** Placeholder for the page size of reference lists, filled in with the configured maximum page size. */
export const REF_LIMIT = '$refLimit';

const plain = (name: string): RestProperty => ({ select: name, serialise: { as: 'plain' } });
const token = (name: string): RestProperty => ({ select: `${name}: ${name}Token`, serialise: { as: 'plain' } });
const bool = (name: string): RestProperty => ({ select: name, serialise: { as: 'bool' } });
const ref = (name: string, type: RefType): RestProperty => ({ select: `${name} { sourcedId }`, serialise: { as: 'ref', type } });
const refs = (name: string, type: RefType, required = false): RestProperty =>
  ({ select: `${name}(limit: ${REF_LIMIT}) { nodes { sourcedId } }`, serialise: { as: 'refs', type }, required });
const embedded = (name: string, selection: string, required = false): RestProperty =>
  ({ select: `${name} ${selection}`, serialise: { as: 'embedded' }, required });

const plains = (...names: string[]) => Object.fromEntries(names.map((n) => [n, plain(n)]));
const bools = (...names: string[]) => Object.fromEntries(names.map((n) => [n, bool(n)]));

const base = { ...plains('sourcedId', 'status', 'dateLastModified', 'metadata') };

// userProfile and profileId are URIs in the OAS: the graph's URI fields (src/shared/profile-id.ts).
const ROLE_SELECTION = '{ roleType role: roleToken org { sourcedId } userProfile: userProfileUri beginDate endDate }';
const LO_SET = '{ source learningObjectiveIds }';
const LO_SCORE_SET = '{ source learningObjectiveResults { learningObjectiveId score textScore } }';

const org: Shape = { entity: 'Org', typeName: 'Org', properties: {
  ...base, ...plains('name'), type: token('type'), ...plains('identifier'),
  parent: ref('parent', 'org'), children: refs('children', 'org'),
} };

const academicSession: Shape = { entity: 'AcademicSession', typeName: 'AcademicSession', properties: {
  ...base, ...plains('title', 'startDate', 'endDate'), type: token('type'),
  parent: ref('parent', 'academicSession'), children: refs('children', 'academicSession'), ...plains('schoolYear'),
} };

const course: Shape = { entity: 'Course', typeName: 'Course', properties: {
  ...base, ...plains('title'), schoolYear: ref('schoolYear', 'academicSession'), ...plains('courseCode', 'grades', 'subjects'),
  org: ref('org', 'org'), ...plains('subjectCodes'), resources: refs('resources', 'resource'),
} };

const klass: Shape = { entity: 'Class', typeName: 'Class', properties: {
  ...base, ...plains('title', 'classCode'), classType: token('classType'), ...plains('location', 'grades', 'subjects'),
  course: ref('course', 'course'), school: ref('school', 'org'), terms: refs('terms', 'academicSession', true),
  ...plains('subjectCodes', 'periods'), resources: refs('resources', 'resource'),
} };

const user: Shape = { entity: 'User', typeName: 'User', properties: {
  ...base, ...plains('userMasterIdentifier', 'username'), userIds: embedded('userIds', '{ type identifier }'),
  enabledUser: bool('enabledUser'),
  ...plains('givenName', 'familyName', 'middleName', 'preferredFirstName', 'preferredMiddleName', 'preferredLastName', 'pronouns'),
  roles: embedded('roles', ROLE_SELECTION, true),
  userProfiles: embedded('userProfiles',
    '{ profileId profileType vendorId applicationId description credentials { type username password } }'),
  primaryOrg: ref('primaryOrg', 'org'), ...plains('identifier', 'email', 'sms', 'phone'),
  agents: refs('agents', 'user'), ...plains('grades', 'password'), resources: refs('resources', 'resource'),
} };

const enrollment: Shape = { entity: 'Enrollment', typeName: 'Enrollment', properties: {
  ...base, user: ref('user', 'user'), class: ref('class', 'class'), school: ref('school', 'org'), role: token('role'),
  primary: bool('primary'), ...plains('beginDate', 'endDate'),
} };

const demographics: Shape = { entity: 'Demographics', typeName: 'Demographics', properties: {
  ...base, ...plains('birthDate'), sex: token('sex'),
  ...bools('americanIndianOrAlaskaNative', 'asian', 'blackOrAfricanAmerican', 'nativeHawaiianOrOtherPacificIslander', 'white',
    'demographicRaceTwoOrMoreRaces', 'hispanicOrLatinoEthnicity'),
  ...plains('countryOfBirthCode', 'stateOfBirthAbbreviation', 'cityOfBirth', 'publicSchoolResidenceStatus'),
} };

const category: Shape = { entity: 'Category', typeName: 'Category', properties: { ...base, ...plains('title', 'weight') } };

const lineItem: Shape = { entity: 'LineItem', typeName: 'LineItem', properties: {
  ...base, ...plains('title', 'description', 'assignDate', 'dueDate'), class: ref('class', 'class'), school: ref('school', 'org'),
  category: ref('category', 'category'), gradingPeriod: ref('gradingPeriod', 'academicSession'),
  academicSession: ref('academicSession', 'academicSession'), scoreScale: ref('scoreScale', 'scoreScale'),
  ...plains('resultValueMin', 'resultValueMax'), learningObjectiveSet: embedded('learningObjectiveSet', LO_SET),
} };

const result: Shape = { entity: 'Result', typeName: 'Result', properties: {
  ...base, lineItem: ref('lineItem', 'lineItem'), student: ref('student', 'user'), class: ref('class', 'class'),
  scoreScale: ref('scoreScale', 'scoreScale'), scoreStatus: token('scoreStatus'), ...plains('score', 'textScore', 'scoreDate', 'comment'),
  learningObjectiveSet: embedded('learningObjectiveSet', LO_SCORE_SET), ...bools('inProgress', 'incomplete', 'late', 'missing'),
} };

const scoreScale: Shape = { entity: 'ScoreScale', typeName: 'ScoreScale', properties: {
  ...base, ...plains('title', 'type'), course: ref('course', 'course'), class: ref('class', 'class'),
  scoreScaleValue: embedded('scoreScaleValue', '{ itemValueLHS itemValueRHS }', true),
} };

const assessmentLineItem: Shape = { entity: 'AssessmentLineItem', typeName: 'AssessmentLineItem', properties: {
  ...base, ...plains('title', 'description'), class: ref('class', 'class'),
  parentAssessmentLineItem: ref('parentAssessmentLineItem', 'assessmentLineItem'), scoreScale: ref('scoreScale', 'scoreScale'),
  ...plains('resultValueMin', 'resultValueMax'), learningObjectiveSet: embedded('learningObjectiveSet', LO_SET),
} };

const assessmentResult: Shape = { entity: 'AssessmentResult', typeName: 'AssessmentResult', properties: {
  ...base, assessmentLineItem: ref('assessmentLineItem', 'assessmentLineItem'), student: ref('student', 'user'),
  ...plains('score', 'textScore', 'scoreDate'), scoreScale: ref('scoreScale', 'scoreScale'), ...plains('scorePercentile'),
  scoreStatus: token('scoreStatus'), ...plains('comment'), learningObjectiveSet: embedded('learningObjectiveSet', LO_SCORE_SET),
  ...bools('inProgress', 'incomplete', 'late', 'missing'),
} };

const resource: Shape = { entity: 'Resource', typeName: 'Resource', properties: {
  ...base, ...plains('title', 'roles'), importance: token('importance'), ...plains('vendorResourceId', 'vendorId', 'applicationId'),
} };

export const V1P2_SHAPES = {
  org, academicSession, course, class: klass, user, enrollment, demographics, category, lineItem, result, scoreScale,
  assessmentLineItem, assessmentResult, resource,
} as const;

export type ShapeName = keyof typeof V1P2_SHAPES;

const pick = (shape: Shape, names: string[], extra: Record<string, RestProperty> = {}): Shape => ({
  ...shape,
  properties: { ...Object.fromEntries(names.map((n) => [n, shape.properties[n]!])), ...extra },
});
const BASE_NAMES = ['sourcedId', 'status', 'dateLastModified', 'metadata'];

// v1.1 derives `role` and `orgs` from the 1.2 roles; both select the same aliased list so that GraphQL merges them.
const V1P1_ROLES = `__roles: roles { roleType role: roleToken org { sourcedId } } __primaryOrg: primaryOrg { sourcedId }`;

/** The 1.1 shapes: the same properties where 1.1 has them, and 1.1's single role plus orgs for users. */
export const V1P1_SHAPES: Record<ShapeName, Shape> = {
  ...V1P2_SHAPES,
  user: pick(user, [...BASE_NAMES, 'username', 'userIds', 'enabledUser', 'givenName', 'familyName', 'middleName',
    'identifier', 'email', 'sms', 'phone', 'agents', 'grades', 'password'], {
    role: { select: V1P1_ROLES, serialise: { as: 'v1p1Role' } },
    orgs: { select: V1P1_ROLES, serialise: { as: 'v1p1Orgs' } },
  }),
  lineItem: pick(lineItem, [...BASE_NAMES, 'title', 'description', 'assignDate', 'dueDate', 'class', 'category', 'gradingPeriod',
    'resultValueMin', 'resultValueMax']),
  result: pick(result, [...BASE_NAMES, 'lineItem', 'student', 'scoreStatus', 'score', 'scoreDate', 'comment']),
  category: pick(category, [...BASE_NAMES, 'title']),
};
