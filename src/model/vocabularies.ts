import { vocab } from './dsl.js';

/** OneRoster 1.2 vocabularies (model.md §1.8, §2.7, §3.1). */
export const StatusType = vocab('StatusType', ['active', 'tobedeleted'], false);
export const OrgType = vocab('OrgType', ['department', 'district', 'local', 'national', 'school', 'state']);
export const SessionType = vocab('SessionType', ['gradingPeriod', 'semester', 'schoolYear', 'term']);
export const ClassType = vocab('ClassType', ['homeroom', 'scheduled']);
export const RoleType = vocab('RoleType', ['primary', 'secondary'], false);
export const UserRoleName = vocab('RoleName', [
  'aide', 'counselor', 'districtAdministrator', 'guardian', 'parent', 'principal', 'proctor', 'relative',
  'siteAdministrator', 'student', 'systemAdministrator', 'teacher',
]);
export const EnrollmentRole = vocab('EnrollmentRole', ['administrator', 'proctor', 'student', 'teacher']);
export const Sex = vocab('Sex', ['male', 'female', 'unspecified', 'other']);
export const ScoreStatus = vocab('ScoreStatus', [
  'exempt', 'fully graded', 'not submitted', 'partially graded', 'submitted',
]);
export const ResourceRole = vocab('ResourceRole', [
  'administrator', 'aide', 'guardian', 'parent', 'proctor', 'relative', 'student', 'teacher',
]);
export const Importance = vocab('Importance', ['primary', 'secondary'], false);
