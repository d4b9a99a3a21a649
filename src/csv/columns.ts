import { sql, type Sql } from '../db/sql.js';
import { columnOf, isRef, type EntityDef, type Vocabulary } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { ResourceRole, StatusType } from '../model/vocabularies.js';
import { vocab } from '../model/dsl.js';

/**
 * Every OneRoster CSV file (csv.md §5) as an ordered list of columns, each with its cell kind,
 * requiredness, vocabulary, reference target and the staging column it lands in. Kinds and
 * vocabularies come from the model descriptors wherever the CSV column maps to a model field.
 */
export type CellKind =
  | 'id' | 'string' | 'enum' | 'date' | 'datetime' | 'dateOrDatetime' | 'year' | 'float' | 'boolean'
  | 'list' | 'idList' | 'userIds' | 'scoreScaleValue';

export interface ColumnSpec {
  /** Header name, exactly as the binding spells it. */
  name: string;
  kind: CellKind;
  required: boolean;
  vocab?: Vocabulary;
  /** Staging column (also the table column when `assign` does not say otherwise). */
  column: string;
  /** Table whose sourcedIds this column (or each list item) must name. */
  refTable?: string;
  /** The model property the column carries, when it carries one directly. */
  prop?: string;
}

export type Mode = 'bulk' | 'delta';
export type Version = '1.1' | '1.2';

export interface FileSpec {
  /** File name without `.csv`; also the manifest key after `file.`. */
  key: string;
  entity: EntityDef;
  table: string;
  columns: ColumnSpec[];
  /** Table column → SQL expression over the staging row `s`, for columns that are not a 1:1 copy. */
  assign: Record<string, Sql>;
  /** Staging columns that feed link tables or derived rows rather than table columns. */
  extra: string[];
}

const BASE: ColumnSpec[] = [
  { name: 'sourcedId', kind: 'id', required: true, column: 'sourced_id', prop: 'sourcedId' },
  { name: 'status', kind: 'enum', required: false, vocab: StatusType, column: 'status', prop: 'status' },
  { name: 'dateLastModified', kind: 'datetime', required: false, column: 'date_last_modified', prop: 'dateLastModified' },
];

type Req = 'R' | 'O';
interface ColOpts { prop?: string; kind?: CellKind; refTable?: string; column?: string; vocab?: Vocabulary }

/** A column described by its model property (defaults to the header name, minus a SourcedId suffix). */
function columnsOf(entity: EntityDef, cols: [string, Req, ColOpts?][]): ColumnSpec[] {
  return cols.map(([name, req, o = {}]) => {
    const prop = o.prop ?? name.replace(/SourcedId$/, '');
    const f = entity.fields[prop];
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (!f || o.kind) {
      if (!o.kind) throw new Error(`${entity.name}.${prop}: no model field and no kind`);
      return { name, kind: o.kind, required: req === 'R', vocab: o.vocab, refTable: o.refTable, column: o.column ?? snake, prop: f ? prop : undefined };
    }
    const column = columnOf(prop, f);
    if (isRef(f)) return { name, kind: 'id', required: req === 'R', column, refTable: entityDef(f.target).table, prop };
    const kind: CellKind = f.kind === 'strings' ? 'list' : f.kind === 'json' || f.kind === 'int' ? 'string' : f.kind;
    return { name, kind, required: req === 'R', vocab: f.vocab, column, prop };
  });
}

function file(key: string, entityName: Parameters<typeof entityDef>[0], cols: [string, Req, ColOpts?][],
  extra: { assign?: Record<string, Sql>; extra?: string[] } = {}): FileSpec {
  const entity = entityDef(entityName);
  return { key, entity, table: entity.table, columns: [...BASE, ...columnsOf(entity, cols)], assign: extra.assign ?? {}, extra: extra.extra ?? [] };
}

const idList = (refTable: string, column: string): ColOpts => ({ kind: 'idList', refTable, column });

const orgs = file('orgs', 'Org', [['name', 'R'], ['type', 'R'], ['identifier', 'O'], ['parentSourcedId', 'O']]);
const academicSessions = file('academicSessions', 'AcademicSession', [
  ['title', 'R'], ['type', 'R'], ['startDate', 'R'], ['endDate', 'R'], ['parentSourcedId', 'O'], ['schoolYear', 'R', { kind: 'year' }],
]);
const courses = file('courses', 'Course', [
  ['schoolYearSourcedId', 'O'], ['title', 'R'], ['courseCode', 'O'], ['grades', 'O'], ['orgSourcedId', 'R'], ['subjects', 'O'], ['subjectCodes', 'O'],
]);
const classes = file('classes', 'Class', [
  ['title', 'R'], ['grades', 'O'], ['courseSourcedId', 'R'], ['classCode', 'O'], ['classType', 'R'], ['location', 'O'],
  ['schoolSourcedId', 'R'], ['termSourcedIds', 'R', idList('academic_sessions', 'terms')], ['subjects', 'O'], ['subjectCodes', 'O'], ['periods', 'O'],
], { extra: ['terms'] });
const userTail: [string, Req, ColOpts?][] = [
  ['identifier', 'O'], ['email', 'O'], ['sms', 'O'], ['phone', 'O'], ['agentSourcedIds', 'O', idList('users', 'agents')], ['grades', 'O'], ['password', 'O'],
];
const userIds: [string, Req, ColOpts?] = ['userIds', 'O', { kind: 'userIds', column: 'user_ids' }];
const users = file('users', 'User', [
  ['enabledUser', 'R'], ['username', 'R'], userIds, ['givenName', 'R'], ['familyName', 'R'], ['middleName', 'O'], ...userTail,
  ['userMasterIdentifier', 'O'], ['preferredGivenName', 'O', { prop: 'preferredFirstName' }], ['preferredMiddleName', 'O'],
  ['preferredFamilyName', 'O', { prop: 'preferredLastName' }], ['primaryOrgSourcedId', 'O'], ['pronouns', 'O'],
], { extra: ['agents'] });
const roles = file('roles', 'UserRole', [
  ['userSourcedId', 'R'], ['roleType', 'R'], ['role', 'R'], ['beginDate', 'O'], ['endDate', 'O'], ['orgSourcedId', 'R'],
  ['userProfileSourcedId', 'O', { kind: 'id', refTable: 'user_profiles', column: 'user_profile' }],
]);
const enrollments = file('enrollments', 'Enrollment', [
  ['classSourcedId', 'R'], ['schoolSourcedId', 'R'], ['userSourcedId', 'R'], ['role', 'R'], ['primary', 'O'], ['beginDate', 'O'], ['endDate', 'O'],
]);
const demographics = file('demographics', 'Demographics', [
  ['birthDate', 'O'], ['sex', 'O'], ['americanIndianOrAlaskaNative', 'O'], ['asian', 'O'], ['blackOrAfricanAmerican', 'O'],
  ['nativeHawaiianOrOtherPacificIslander', 'O'], ['white', 'O'], ['demographicRaceTwoOrMoreRaces', 'O'], ['hispanicOrLatinoEthnicity', 'O'],
  ['countryOfBirthCode', 'O'], ['stateOfBirthAbbreviation', 'O'], ['cityOfBirth', 'O'], ['publicSchoolResidenceStatus', 'O'],
]);
// One credential per row (csv.md §5.1); the table keeps User.userProfiles[].credentials as jsonb.
const userProfiles = file('userProfiles', 'UserProfile', [
  ['userSourcedId', 'R'], ['profileType', 'R'], ['vendorId', 'R'], ['applicationId', 'O'], ['description', 'O'],
  ['credentialType', 'R', { kind: 'string', column: 'credential_type' }], ['username', 'R', { kind: 'string', column: 'credential_username' }],
  ['password', 'O', { kind: 'string', column: 'credential_password' }],
], {
  assign: { credentials: sql`case when s.credential_type is null then null else jsonb_build_array(jsonb_strip_nulls(jsonb_build_object('type', s.credential_type, 'username', s.credential_username, 'password', s.credential_password))) end` },
  extra: ['credential_type', 'credential_username', 'credential_password'],
});
const categories = file('categories', 'Category', [['title', 'R'], ['weight', 'O']]);
const lineItems = file('lineItems', 'LineItem', [
  ['title', 'R'], ['description', 'O'], ['assignDate', 'R', { kind: 'dateOrDatetime', column: 'assign_date' }],
  ['dueDate', 'R', { kind: 'dateOrDatetime', column: 'due_date' }], ['classSourcedId', 'R'], ['categorySourcedId', 'R'],
  ['academicSessionSourcedId', 'R'], ['resultValueMin', 'O'], ['resultValueMax', 'O'], ['schoolSourcedId', 'R'],
]);
const results = file('results', 'Result', [
  ['lineItemSourcedId', 'R'], ['studentSourcedId', 'R'], ['scoreStatus', 'R'], ['score', 'O'], ['scoreDate', 'R'], ['comment', 'O'],
  ['textScore', 'O'], ['classSourcedId', 'O'], ['inProgress', 'O'], ['incomplete', 'O'], ['late', 'O'], ['missing', 'O'],
]);
const scoreScales = file('scoreScales', 'ScoreScale', [
  ['title', 'R'], ['type', 'R'], ['orgSourcedId', 'O'], ['courseSourcedId', 'O'], ['classSourcedId', 'R'],
  ['scoreScaleValue', 'R', { kind: 'scoreScaleValue', column: 'score_scale_value' }],
]);
const lineItemLearningObjectiveIds = file('lineItemLearningObjectiveIds', 'LineItemLearningObjective', [
  ['lineItemSourcedId', 'R'], ['source', 'R'], ['learningObjectiveId', 'R'],
]);
const lineItemScoreScales = file('lineItemScoreScales', 'LineItemScoreScale', [['title', 'O'], ['lineItemSourcedId', 'R'], ['scoreScaleSourcedId', 'R']]);
const resultLearningObjectiveIds = file('resultLearningObjectiveIds', 'ResultLearningObjective', [
  ['resultSourcedId', 'R'], ['source', 'R'], ['learningObjectiveId', 'R'], ['score', 'O'], ['textScore', 'O'],
]);
const resultScoreScales = file('resultScoreScales', 'ResultScoreScale', [['title', 'O'], ['resultSourcedId', 'R'], ['scoreScaleSourcedId', 'R']]);
const resources = file('resources', 'Resource', [
  ['vendorResourceId', 'R'], ['title', 'O'], ['roles', 'O', { kind: 'list', vocab: ResourceRole, column: 'roles' }], ['importance', 'O'], ['vendorId', 'O'], ['applicationId', 'O'],
]);
const classResources = file('classResources', 'ClassResource', [['title', 'O'], ['classSourcedId', 'R'], ['resourceSourcedId', 'R']]);
const courseResources = file('courseResources', 'CourseResource', [['title', 'O'], ['courseSourcedId', 'R'], ['resourceSourcedId', 'R']]);
const userResources = file('userResources', 'UserResource', [['userSourcedId', 'R'], ['orgSourcedId', 'O'], ['classSourcedId', 'O'], ['resourceSourcedId', 'R']]);

/** 1.2 files in load order: every file comes after the files it references. */
export const FILES_V12: readonly FileSpec[] = [
  orgs, academicSessions, categories, resources, courses, classes, users, userProfiles, roles, demographics, enrollments,
  scoreScales, lineItems, lineItemLearningObjectiveIds, lineItemScoreScales, results, resultLearningObjectiveIds, resultScoreScales,
  classResources, courseResources, userResources,
];

/** 1.1 users.csv names one role and the orgs inline (csv.md §6); the loader turns them into roles rows. */
const ROLE_V11 = vocab('RoleV11', ['administrator', 'aide', 'guardian', 'parent', 'proctor', 'relative', 'student', 'teacher'], false);
const usersV11 = file('users', 'User', [
  ['enabledUser', 'R'], ['orgSourcedIds', 'R', idList('orgs', 'org_ids')], ['role', 'R', { kind: 'enum', vocab: ROLE_V11, column: 'role_v11' }],
  ['username', 'R'], userIds, ['givenName', 'R'], ['familyName', 'R'], ['middleName', 'O'], ...userTail,
], { extra: ['agents', 'org_ids', 'role_v11'] });
// 1.1 line items name a grading period and no school; the school is the class's (classes load first).
const lineItemsV11 = file('lineItems', 'LineItem', [
  ['title', 'R'], ['description', 'O'], ['assignDate', 'R', { kind: 'dateOrDatetime', column: 'assign_date' }],
  ['dueDate', 'R', { kind: 'dateOrDatetime', column: 'due_date' }], ['classSourcedId', 'R'], ['categorySourcedId', 'R'],
  ['gradingPeriodSourcedId', 'R'], ['resultValueMin', 'O'], ['resultValueMax', 'O'],
], { assign: { school_sourced_id: sql`(select c.school_sourced_id from ${sql.table(entityDef('Class').table)} c where c.sourced_id = s.class_sourced_id)` } });
const resultsV11 = file('results', 'Result', [
  ['lineItemSourcedId', 'R'], ['studentSourcedId', 'R'], ['scoreStatus', 'R'], ['score', 'O'], ['scoreDate', 'R'], ['comment', 'O'],
]);
const categoriesV11 = file('categories', 'Category', [['title', 'R']]);

export const FILES_V11: readonly FileSpec[] = [
  orgs, academicSessions, categoriesV11, resources, courses, classes, usersV11, demographics, enrollments,
  lineItemsV11, resultsV11, classResources, courseResources,
];

export const filesFor = (version: Version): readonly FileSpec[] => (version === '1.1' ? FILES_V11 : FILES_V12);

export const METADATA_PREFIX = 'metadata.';

/** Table columns a file writes: its 1:1 columns (minus link/derived ones) plus the `assign` expressions. */
export function tableAssignments(spec: FileSpec): [string, Sql][] {
  const direct = spec.columns.filter((c) => !spec.extra.includes(c.column)).map((c): [string, Sql] => [c.column, sql.ref(`s.${c.column}`)]);
  return [...direct, ['metadata', sql`s.metadata`], ...Object.entries(spec.assign)];
}

/** SQL type of a staging column. */
export function sqlType(kind: CellKind): string {
  switch (kind) {
    case 'date': return 'date';
    case 'datetime': case 'dateOrDatetime': return 'timestamptz';
    case 'float': return 'double precision';
    case 'boolean': return 'boolean';
    case 'list': case 'idList': return 'text[]';
    case 'userIds': case 'scoreScaleValue': return 'jsonb';
    default: return 'text';
  }
}
