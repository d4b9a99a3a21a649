import { bool, date, enumOf, json, ref, str, strings, type EntityDef } from './dsl.js';
import {
  ClassType, EnrollmentRole, OrgType, RoleType, SessionType, Sex, UserRoleName,
} from './vocabularies.js';

export const Org: EntityDef = {
  name: 'Org', table: 'orgs', base: true,
  description: 'A school, district, state, department or other organisational unit.',
  fields: {
    name: str({ required: true, index: true }),
    type: enumOf(OrgType, { required: true, index: true }),
    identifier: str(),
    parent: ref('Org'),
  },
};

export const AcademicSession: EntityDef = {
  name: 'AcademicSession', table: 'academic_sessions', base: true,
  description: 'A span of time: school year, semester, term or grading period.',
  fields: {
    title: str({ required: true }),
    startDate: date({ required: true }),
    endDate: date({ required: true, description: 'Exclusive end date.' }),
    type: enumOf(SessionType, { required: true, index: true }),
    parent: ref('AcademicSession'),
    schoolYear: str({ required: true, description: 'The year in which the school year ends, e.g. 2025.' }),
  },
};

export const Course: EntityDef = {
  name: 'Course', table: 'courses', base: true,
  description: 'A programme of study; classes are instances of a course.',
  fields: {
    title: str({ required: true }),
    schoolYear: ref('AcademicSession'),
    courseCode: str(),
    grades: strings(),
    subjects: strings(),
    org: ref('Org'),
    subjectCodes: strings(),
  },
};

export const Class: EntityDef = {
  name: 'Class', table: 'classes', base: true,
  description: 'A scheduled instance of a course that users are enrolled in.',
  fields: {
    title: str({ required: true }),
    classCode: str(),
    classType: enumOf(ClassType),
    location: str(),
    grades: strings(),
    subjects: strings(),
    course: ref('Course', { required: true }),
    school: ref('Org', { required: true }),
    subjectCodes: strings(),
    periods: strings(),
  },
};

export const User: EntityDef = {
  name: 'User', table: 'users', base: true,
  description: 'A person: student, teacher, guardian, administrator. Roles per org are in `roles`.',
  fields: {
    userMasterIdentifier: str(),
    username: str(),
    userIds: json('UserId'),
    enabledUser: bool({ required: true }),
    givenName: str({ required: true }),
    familyName: str({ required: true, index: true }),
    middleName: str(),
    preferredFirstName: str(),
    preferredMiddleName: str(),
    preferredLastName: str(),
    pronouns: str(),
    primaryOrg: ref('Org'),
    identifier: str(),
    email: str(),
    sms: str(),
    phone: str(),
    grades: strings(),
    password: str(),
  },
};

/** One element of User.roles; roles.csv rows carry their own sourcedId. */
export const UserRole: EntityDef = {
  name: 'UserRole', table: 'user_roles', base: true,
  description: 'A role a user holds in an org.',
  fields: {
    user: ref('User', { required: true }),
    roleType: enumOf(RoleType, { required: true }),
    role: enumOf(UserRoleName, { required: true, index: true }),
    org: ref('Org', { required: true }),
    userProfile: str({ description: 'sourcedId of the user profile used for this role (userProfileUri is its profileId URI, as REST serves it).' }),
    beginDate: date(),
    endDate: date(),
  },
};

/** One element of User.userProfiles; its sourcedId is the profileId. */
export const UserProfile: EntityDef = {
  name: 'UserProfile', table: 'user_profiles', base: true,
  description: 'An account of the user in an application or system.',
  fields: {
    user: ref('User', { required: true }),
    profileType: str({ required: true }),
    vendorId: str({ required: true }),
    applicationId: str(),
    description: str(),
    credentials: json('Credential'),
  },
};

export const UserAgent: EntityDef = {
  name: 'UserAgent', table: 'user_agents', base: false,
  description: 'A related person of a user (guardian of a student, student of a guardian).',
  fields: {
    user: ref('User', { required: true, primary: true }),
    agent: ref('User', { required: true, primary: true }),
  },
};

export const ClassTerm: EntityDef = {
  name: 'ClassTerm', table: 'class_terms', base: false,
  description: 'An academic session a class runs in.',
  fields: {
    class: ref('Class', { required: true, primary: true }),
    term: ref('AcademicSession', { required: true, primary: true }),
  },
};

export const Enrollment: EntityDef = {
  name: 'Enrollment', table: 'enrollments', base: true,
  description: 'A user taking part in a class at a school.',
  fields: {
    user: ref('User', { required: true }),
    class: ref('Class', { required: true }),
    school: ref('Org', { required: true }),
    role: enumOf(EnrollmentRole, { required: true, index: true }),
    primary: bool(),
    beginDate: date(),
    endDate: date(),
  },
};

export const Demographics: EntityDef = {
  name: 'Demographics', table: 'demographics', base: true,
  description: 'Personal data of a user; its sourcedId equals the user\'s.',
  fields: {
    birthDate: date(),
    sex: enumOf(Sex),
    americanIndianOrAlaskaNative: bool(),
    asian: bool(),
    blackOrAfricanAmerican: bool(),
    nativeHawaiianOrOtherPacificIslander: bool(),
    white: bool(),
    demographicRaceTwoOrMoreRaces: bool(),
    hispanicOrLatinoEthnicity: bool(),
    countryOfBirthCode: str(),
    stateOfBirthAbbreviation: str(),
    cityOfBirth: str(),
    publicSchoolResidenceStatus: str(),
  },
};

export const rosteringEntities = [
  Org, AcademicSession, Course, Class, User, UserRole, UserProfile, UserAgent, ClassTerm, Enrollment, Demographics,
];
