import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { insertRows } from '../../src/db/bulk.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { basePath, type Endpoint } from '../../src/rest/endpoints.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from '../support/db.js';

export const DISTRICT = { schools: 2, students: 24, seed: 7, classesPerStudent: 4, classSize: 8 };

const STAMP = '2025-08-01T08:00:00.000Z';
const base = (sourcedId: string, extra: Record<string, unknown>) => ({ sourcedId, status: 'active', dateLastModified: STAMP, ...extra });

/**
 * What the generated district lacks but the endpoints serve: assessment line items and results,
 * an org and a role with ext: tokens (the role names a user profile), a later-modified record for delta filters.
 */
async function seedExtras(db: Database) {
  const em = db.orm.em.fork();
  // Profiles keep the generator's CSV-style sourcedIds (profile-teacher-...): REST must serve them as URIs.
  await insertRows(em, 'Org', [base('region-north', { name: 'North Region', type: 'ext:region', identifier: 'REG-N', parent: 'district-1',
    dateLastModified: '2025-10-01T10:00:00.000Z', metadata: { 'ext:color': 'blue' } })]);
  await insertRows(em, 'UserRole', [base('role-mentor-1', { user: 'teacher-001-0001', roleType: 'secondary', role: 'ext:mentor', org: 'region-north', userProfile: 'profile-teacher-001-0001' })]);
  await insertRows(em, 'AssessmentLineItem', [
    base('ali-1', { title: 'State test', class: 'class-001-0001', scoreScale: 'scale-001', resultValueMin: 0, resultValueMax: 100,
      learningObjectiveSet: [{ source: 'case', learningObjectiveIds: ['6b9f7e8a-2c1d-4e5f-9a0b-1c2d3e4f5a6b'] }] }),
    base('ali-1-a', { title: 'State test, part A', parentAssessmentLineItem: 'ali-1' }),
  ]);
  await insertRows(em, 'AssessmentResult', [
    base('ar-1', { assessmentLineItem: 'ali-1', student: 'student-000001', score: 88, scoreDate: '2025-05-01', scoreStatus: 'fully graded',
      scorePercentile: 71.5, late: false, learningObjectiveSet: [{ source: 'case', learningObjectiveResults: [{ learningObjectiveId: '6b9f7e8a-2c1d-4e5f-9a0b-1c2d3e4f5a6b', score: 3 }] }] }),
    base('ar-2', { assessmentLineItem: 'ali-1-a', student: 'student-000002', textScore: 'proficient', scoreDate: '2025-05-01', scoreStatus: 'ext:reviewed' }),
  ]);
}

export interface RestFixture {
  db: Database;
  app: FastifyInstance;
  get: (url: string, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close: () => Promise<void>;
}

/** A seeded database and the real app (AUTH=off unless `auth` is set). */
export async function restFixture(opts: { auth?: boolean; env?: Record<string, string> } = {}): Promise<RestFixture> {
  const db = await testDatabase();
  await seedDistrict(db.orm.em, DISTRICT);
  await seedExtras(db);
  const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
  const env = { ...process.env, LOG_LEVEL: 'silent', ...(opts.auth ? {} : { AUTH: 'off' }), ...opts.env } as NodeJS.ProcessEnv;
  if (opts.auth) delete env.AUTH;
  const app = await buildApp({ db, config: loadConfig(env), keys });
  return {
    db, app,
    async get(url, headers = {}) {
      const res = await app.inject({ method: 'GET', url, headers });
      return { status: res.statusCode, body: res.body ? res.json() : undefined, headers: res.headers };
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}

/** Sample path parameters that exist in the fixture, by OAS parameter name. */
const SAMPLE: Record<string, string> = {
  classSourcedId: 'class-001-0001', courseSourcedId: 'course-001-math', schoolSourcedId: 'school-001', studentSourcedId: 'student-000001',
  teacherSourcedId: 'teacher-001-0001', termSourcedId: 'term-2025-fall', userSourcedId: 'student-000001', lineItemSourcedId: 'li-class-001-0001-1',
};

/** sourcedId of an object each single read can find. */
const SINGLE: Record<string, string> = {
  academicSession: 'sy-2025', class: 'class-001-0001', course: 'course-001-math', demographic: 'student-000001', enrollment: 'enr-student-000001-class-001-0001',
  gradingPeriod: 'gp-2025-q1', org: 'district-1', school: 'school-001', student: 'student-000001', teacher: 'teacher-001-0001',
  term: 'term-2025-fall', user: 'admin-district', assessmentLineItem: 'ali-1', assessmentResult: 'ar-1', category: 'cat-homework',
  lineItem: 'li-class-001-0001-1', result: 'res-li-class-001-0001-1-student-000001', scoreScale: 'scale-001', resource: 'resource-001',
};

/** A URL for the endpoint whose parameters name existing objects (`ids` overrides the single-read ids). */
export function sampleUrl(e: Endpoint, ids: Record<string, string> = {}): string {
  const path = e.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name !== 'sourcedId') return SAMPLE[name]!;
    return ids[e.single!] ?? SINGLE[e.single!]!;
  });
  return `${basePath(e.service, e.version)}${path}`;
}
