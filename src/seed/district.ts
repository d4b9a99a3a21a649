import type { Row } from '../db/bulk.js';
import type { EntityName } from '../model/dsl.js';
import { FAMILY, GIVEN, HOSTILE_FAMILY, HOSTILE_GIVEN, SCHOOL_NAMES, SUBJECTS } from './names.js';
import { Random } from './random.js';

export interface DistrictOptions {
  schools: number;
  students: number;
  seed: number;
  /** Classes each student is enrolled in. */
  classesPerStudent?: number;
  classSize?: number;
  lineItemsPerClass?: number;
  /** Mix awkward-but-legal strings into names and metadata (CSV round-trip tests). */
  hostile?: boolean;
}

/** One batch of generated rows for one entity. */
export type Batch = { entity: EntityName; rows: Row[] };

const pad = (n: number, w = 5) => String(n).padStart(w, '0');
const STAMP = '2025-08-01T08:00:00.000Z';
const SY = 'sy-2025';
const TERMS = ['term-2025-fall', 'term-2025-spring'];
const GRADING = ['gp-2025-q1', 'gp-2025-q2', 'gp-2025-q3', 'gp-2025-q4'];
const CATEGORIES = ['cat-homework', 'cat-quiz', 'cat-exam'];

/**
 * A realistic, deterministic synthetic district, yielded in batches (district-wide records first,
 * then school by school) so that even 20 schools and 200,000 enrollments never sit in memory at once.
 */
export function* generateDistrict(opts: DistrictOptions): Generator<Batch> {
  const rnd = new Random(opts.seed);
  const perStudent = opts.classesPerStudent ?? 10;
  const classSize = opts.classSize ?? 25;
  const lineItemsPerClass = opts.lineItemsPerClass ?? 2;
  const given = opts.hostile ? [...GIVEN, ...HOSTILE_GIVEN] : GIVEN;
  const family = opts.hostile ? [...FAMILY, ...HOSTILE_FAMILY] : FAMILY;
  const base = (sourcedId: string, extra: Row = {}): Row => ({ sourcedId, status: 'active', dateLastModified: STAMP, ...extra });

  yield { entity: 'Org', rows: [base('district-1', { name: 'Riverside Unified School District', type: 'district', identifier: 'NCES-0600001' })] };
  const schoolIds = Array.from({ length: opts.schools }, (_, s) => `school-${pad(s + 1, 3)}`);
  yield { entity: 'Org', rows: schoolIds.map((id, s) => base(id, {
    name: `${SCHOOL_NAMES[s % SCHOOL_NAMES.length]} ${s < SCHOOL_NAMES.length ? '' : `${Math.floor(s / SCHOOL_NAMES.length) + 1} `}High School`.replace('  ', ' '),
    type: 'school', identifier: `NCES-06${pad(s + 1, 5)}`, parent: 'district-1',
    metadata: opts.hostile ? { motto: 'Learn, "grow" & thrive 🌱', region: s % 2 ? 'North' : 'South' } : undefined,
  })) };
  yield { entity: 'AcademicSession', rows: [
    base(SY, { title: '2024-2025 School Year', type: 'schoolYear', startDate: '2024-08-15', endDate: '2025-07-01', schoolYear: '2025' }),
    base(TERMS[0], { title: 'Fall Semester 2024', type: 'term', startDate: '2024-08-15', endDate: '2025-01-11', schoolYear: '2025', parent: SY }),
    base(TERMS[1], { title: 'Spring Semester 2025', type: 'term', startDate: '2025-01-13', endDate: '2025-07-01', schoolYear: '2025', parent: SY }),
    ...GRADING.map((id, q) => base(id, {
      title: `Quarter ${q + 1}`, type: 'gradingPeriod', parent: TERMS[q < 2 ? 0 : 1], schoolYear: '2025',
      startDate: ['2024-08-15', '2024-10-21', '2025-01-13', '2025-03-24'][q], endDate: ['2024-10-19', '2025-01-11', '2025-03-22', '2025-07-01'][q],
    })),
  ] };
  yield { entity: 'Category', rows: CATEGORIES.map((id, i) => base(id, { title: ['Homework', 'Quizzes', 'Exams'][i], weight: [0.3, 0.3, 0.4][i] })) };
  const resources = Array.from({ length: 12 }, (_, i) => base(`resource-${pad(i + 1, 3)}`, {
    title: `${SUBJECTS[i % SUBJECTS.length][0]} Digital Textbook`, vendorResourceId: `VR-${1000 + i}`, vendorId: 'vendor-acme',
    applicationId: 'reader', importance: i % 2 ? 'secondary' : 'primary', roles: i % 3 ? ['student', 'teacher'] : ['teacher'],
  }));
  yield { entity: 'Resource', rows: resources };

  // The superintendent holds roles in the district and (as a teacher) in the first school: a multi-role user.
  const admin = base('admin-district', {
    enabledUser: true, givenName: 'Dana', familyName: 'Whitfield', username: 'dwhitfield', email: 'dwhitfield@riverside.example',
    primaryOrg: 'district-1', userIds: [{ type: 'LDAP', identifier: 'dwhitfield' }],
  });
  yield { entity: 'User', rows: [admin] };
  yield { entity: 'UserRole', rows: [
    base('role-admin-district-1', { user: 'admin-district', roleType: 'primary', role: 'districtAdministrator', org: 'district-1' }),
    ...(schoolIds[0] ? [base('role-admin-district-2', { user: 'admin-district', roleType: 'primary', role: 'teacher', org: schoolIds[0] })] : []),
  ] };

  let studentNo = 0;
  for (let s = 0; s < opts.schools; s++) {
    const school = schoolIds[s];
    const students = Math.floor(opts.students / opts.schools) + (s < opts.students % opts.schools ? 1 : 0);
    yield* generateSchool({ s, school, students, firstStudent: studentNo });
    studentNo += students;
  }

  function* generateSchool(p: { s: number; school: string; students: number; firstStudent: number }): Generator<Batch> {
    const { s, school } = p;
    const tag = pad(s + 1, 3);
    const courses = SUBJECTS.map(([subject, code], k) => base(`course-${tag}-${code.toLowerCase()}`, {
      title: `${subject}`, courseCode: `${code}-${100 + k}`, grades: ['09', '10', '11', '12'], subjects: [subject],
      subjectCodes: [code], org: school, schoolYear: SY,
    }));
    yield { entity: 'Course', rows: courses };
    yield { entity: 'CourseResource', rows: courses.slice(0, 6).map((c, k) => base(`cres-${c.sourcedId}`, {
      title: 'Textbook', course: c.sourcedId, resource: resources[k % resources.length].sourcedId,
    })) };

    const classCount = Math.max(1, Math.ceil((p.students * perStudent) / classSize));
    const classes = Array.from({ length: classCount }, (_, k) => {
      const course = courses[k % courses.length];
      return base(`class-${tag}-${pad(k + 1, 4)}`, {
        title: `${course.title} ${Math.floor(k / courses.length) + 1}`, classCode: `${course.courseCode}-${pad(k + 1, 3)}`,
        classType: k === 0 ? 'homeroom' : 'scheduled', location: `Room ${100 + (k % 60)}`, grades: ['09', '10', '11', '12'].slice(k % 4, (k % 4) + 1),
        subjects: course.subjects, subjectCodes: course.subjectCodes, course: course.sourcedId, school, periods: [String((k % 7) + 1)],
      });
    });
    yield { entity: 'Class', rows: classes };
    yield { entity: 'ClassTerm', rows: classes.flatMap((c, k) => (k % 5 === 0 ? TERMS : [TERMS[k % 2]]).map((term) => ({ class: c.sourcedId, term }))) };
    yield { entity: 'ClassResource', rows: classes.filter((_, k) => k % 4 === 0).map((c, k) => base(`clres-${c.sourcedId}`, {
      title: 'Course materials', class: c.sourcedId, resource: resources[k % resources.length].sourcedId,
    })) };

    const teacherCount = Math.max(1, Math.ceil(classCount / 5));
    const person = (id: string, extra: Row) => base(id, {
      enabledUser: true, givenName: rnd.pick(given), familyName: rnd.pick(family), primaryOrg: school, ...extra,
    });
    const teachers = Array.from({ length: teacherCount }, (_, k) => {
      const id = `teacher-${tag}-${pad(k + 1, 4)}`;
      return person(id, { username: id, email: `${id}@riverside.example`, userIds: [{ type: 'LDAP', identifier: id }], pronouns: k % 3 ? 'she/her' : 'he/him' });
    });
    const principal = person(`principal-${tag}`, { username: `principal-${tag}` });
    const students = Array.from({ length: p.students }, (_, k) => {
      const id = `student-${pad(p.firstStudent + k + 1, 6)}`;
      return person(id, {
        username: id, identifier: `SIS-${p.firstStudent + k + 1}`, grades: [['09', '10', '11', '12'][k % 4]],
        userMasterIdentifier: `UMI-${p.firstStudent + k + 1}`, preferredFirstName: k % 7 === 0 ? 'Sam' : undefined,
        metadata: opts.hostile && k % 5 === 0 ? { nickname: rnd.pick(HOSTILE_GIVEN), lunch: 'free, reduced' } : undefined,
      });
    });
    // One guardian per two students; some teachers are also guardians (multi-role users).
    const guardians = Array.from({ length: Math.ceil(p.students / 2) }, (_, k) => person(`guardian-${tag}-${pad(k + 1, 5)}`, { username: `guardian-${tag}-${pad(k + 1, 5)}`, email: `guardian-${tag}-${k + 1}@mail.example` }));
    yield { entity: 'User', rows: [...teachers, principal, ...students, ...guardians] };

    const role = (user: Row, r: string, type = 'primary', n = 1) => base(`role-${user.sourcedId}-${n}`, { user: user.sourcedId, roleType: type, role: r, org: school, beginDate: '2024-08-15' });
    yield { entity: 'UserRole', rows: [
      ...teachers.map((t) => role(t, 'teacher')), role(principal, 'principal'),
      ...students.map((st) => role(st, 'student')), ...guardians.map((g) => role(g, 'guardian')),
      ...teachers.filter((_, k) => k % 10 === 0).map((t) => role(t, 'parent', 'secondary', 2)),
    ] };
    yield { entity: 'UserProfile', rows: teachers.map((t) => base(`profile-${t.sourcedId}`, {
      user: t.sourcedId, profileType: 'LMS', vendorId: 'vendor-acme', applicationId: 'lms', description: 'LMS account',
      credentials: [{ type: 'password', username: t.username }],
    })) };
    yield { entity: 'UserAgent', rows: students.flatMap((st, k) => {
      const g = guardians[Math.floor(k / 2)].sourcedId as string;
      return [{ user: st.sourcedId, agent: g }, { user: g, agent: st.sourcedId }];
    }) };
    yield { entity: 'Demographics', rows: students.map((st, k) => base(st.sourcedId as string, {
      birthDate: `${2007 + (k % 4)}-${pad((k % 12) + 1, 2)}-${pad((k % 28) + 1, 2)}`, sex: ['female', 'male', 'unspecified', 'other'][k % 4],
      asian: k % 5 === 0, white: k % 3 === 0, hispanicOrLatinoEthnicity: k % 4 === 0, countryOfBirthCode: 'US', stateOfBirthAbbreviation: 'CA',
      cityOfBirth: 'Riverside',
    })) };
    yield { entity: 'UserResource', rows: students.filter((_, k) => k % 10 === 0).map((st, k) => base(`ures-${st.sourcedId}`, {
      user: st.sourcedId, org: school, resource: resources[k % resources.length].sourcedId,
    })) };

    // Enrolments: every student in `perStudent` distinct classes, every class with one primary teacher.
    const roster: string[][] = classes.map(() => []);
    const enrollments: Row[] = [];
    students.forEach((st, k) => {
      const start = (k * perStudent) % classCount;
      for (let j = 0; j < Math.min(perStudent, classCount); j++) {
        const c = (start + j) % classCount;
        roster[c].push(st.sourcedId as string);
        enrollments.push(base(`enr-${st.sourcedId}-${classes[c].sourcedId}`, {
          user: st.sourcedId, class: classes[c].sourcedId, school, role: 'student', beginDate: '2024-08-15',
        }));
      }
    });
    classes.forEach((c, k) => enrollments.push(base(`enr-${teachers[k % teacherCount].sourcedId}-${c.sourcedId}`, {
      user: teachers[k % teacherCount].sourcedId, class: c.sourcedId, school, role: 'teacher', primary: true,
    })));
    yield { entity: 'Enrollment', rows: enrollments };

    const scale = base(`scale-${tag}`, { title: 'Letter grades', type: 'letter', class: classes[0].sourcedId, course: classes[0].course, org: school,
      scoreScaleValue: [['90 - 100', 'A'], ['80 - 89', 'B'], ['70 - 79', 'C'], ['60 - 69', 'D'], ['0 - 59', 'F']].map(([l, r]) => ({ itemValueLHS: l, itemValueRHS: r })) });
    yield { entity: 'ScoreScale', rows: [scale] };

    const lineItems: Row[] = [];
    const results: Row[] = [];
    classes.forEach((c, k) => {
      for (let j = 0; j < lineItemsPerClass; j++) {
        const q = (k + j) % 4;
        const li = base(`li-${c.sourcedId}-${j + 1}`, {
          title: `${['Homework', 'Quiz', 'Unit test'][j % 3]} ${j + 1}`, description: `Assignment ${j + 1} of ${c.title}`,
          assignDate: `2024-09-${pad(2 + j, 2)}T00:00:00.000Z`, dueDate: `2024-09-${pad(9 + j, 2)}T00:00:00.000Z`,
          class: c.sourcedId, school, category: CATEGORIES[j % 3], gradingPeriod: GRADING[q], academicSession: TERMS[q < 2 ? 0 : 1],
          resultValueMin: 0, resultValueMax: 100,
        });
        lineItems.push(li);
        for (const student of roster[k]) {
          const score = 40 + rnd.int(61);
          results.push(base(`res-${li.sourcedId}-${student}`, {
            lineItem: li.sourcedId, student, class: c.sourcedId, scoreStatus: 'fully graded', score, scoreDate: '2024-09-20',
            late: score < 50, comment: score > 95 ? 'Excellent work' : undefined,
          }));
        }
      }
    });
    yield { entity: 'LineItem', rows: lineItems };
    yield { entity: 'LineItemScoreScale', rows: lineItems.filter((_, k) => k % 10 === 0).map((li) => base(`liss-${li.sourcedId}`, { lineItem: li.sourcedId, scoreScale: scale.sourcedId })) };
    yield { entity: 'LineItemLearningObjective', rows: lineItems.filter((_, k) => k % 20 === 0).map((li) => base(`lilo-${li.sourcedId}`, {
      lineItem: li.sourcedId, source: 'case', learningObjectiveId: '6b9f7e8a-2c1d-4e5f-9a0b-1c2d3e4f5a6b' })) };
    yield { entity: 'Result', rows: results };

    const ali = base(`ali-${tag}`, { title: 'State benchmark assessment', class: classes[0].sourcedId, scoreScale: scale.sourcedId, resultValueMin: 0, resultValueMax: 100,
      learningObjectiveSet: [{ source: 'case', learningObjectiveIds: ['6b9f7e8a-2c1d-4e5f-9a0b-1c2d3e4f5a6b'] }] });
    yield { entity: 'AssessmentLineItem', rows: [ali] };
    yield { entity: 'AssessmentResult', rows: roster[0].map((student) => base(`ares-${tag}-${student}`, {
      assessmentLineItem: ali.sourcedId, student, score: 50 + rnd.int(51), scoreDate: '2024-10-15', scoreStatus: 'fully graded', scorePercentile: rnd.int(100),
    })) };
  }
}
