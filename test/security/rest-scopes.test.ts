import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, V1P2_SCOPE_PREFIX } from '../../src/auth/scopes.js';
import { SignJWT } from 'jose';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken } from '../../src/auth/tokens.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { bearer, testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

/** Every v1.2 endpoint of the official binding, from the machine-readable table of the spec notes. */
const TSV = new URL('../spec/endpoints.tsv', import.meta.url);
const endpoints = fs.readFileSync(TSV, 'utf8').trim().split('\n').slice(1).map((line) => {
  const [service, method, path, operationId, , , , , scopes] = line.split('\t');
  return { service, method, path, operationId, scopes: scopes.split(',').map((s) => V1P2_SCOPE_PREFIX + s) };
});

/** Existing records of the seeded district for each path parameter. */
const SAMPLE: Record<string, string> = {
  academicSessions: 'sy-2025', classes: 'class-001-0001', courses: 'course-001-math', demographics: 'student-000001',
  enrollments: 'enr-student-000001-class-001-0001', gradingPeriods: 'gp-2025-q1', orgs: 'district-1', schools: 'school-001',
  students: 'student-000001', teachers: 'teacher-001-0001', terms: 'term-2025-fall', users: 'student-000001',
  categories: 'cat-quiz', lineItems: 'li-class-001-0001-1', results: 'res-li-class-001-0001-1-student-000001',
  scoreScales: 'scale-001', assessmentLineItems: 'ali-001', assessmentResults: 'ares-001-student-000001',
  resources: 'resource-001',
};
const PARAM: Record<string, string> = {
  classSourcedId: 'class-001-0001', courseSourcedId: 'course-001-math', schoolSourcedId: 'school-001',
  studentSourcedId: 'student-000001', teacherSourcedId: 'teacher-001-0001', termSourcedId: 'term-2025-fall',
  userSourcedId: 'student-000001', lineItemSourcedId: 'li-class-001-0001-1', academicSessionSourcedId: 'term-2025-fall',
};

const ref = (type: string, sourcedId: string) => ({ href: `http://localhost/${type}/${sourcedId}`, sourcedId, type });
const stamp = '2025-01-01T00:00:00.000Z';
const base = (sourcedId: string) => ({ sourcedId, status: 'active', dateLastModified: stamp });
const lineItem = (id: string) => ({ ...base(id), title: 'Project', assignDate: stamp, dueDate: stamp,
  class: ref('class', 'class-001-0001'), school: ref('org', 'school-001'), category: ref('category', 'cat-quiz') });
const result = (id: string) => ({ ...base(id), lineItem: ref('lineItem', 'li-class-001-0001-1'), student: ref('user', 'student-000001'),
  scoreStatus: 'fully graded', score: 90, scoreDate: '2025-01-02' });

/** A valid request body for each write, per the official schemas. */
function bodyFor(method: string, path: string, id: string): unknown {
  const collection = path.split('/')[1];
  if (method === 'POST') return path.endsWith('/lineItems') ? { lineItems: [lineItem('tmp-1')] } : { results: [result('tmp-1')] };
  switch (collection) {
    case 'categories': return { category: { ...base(id), title: 'Projects', weight: 0.2 } };
    case 'lineItems': return { lineItem: lineItem(id) };
    case 'results': return { result: result(id) };
    case 'scoreScales': return { scoreScale: { ...base(id), title: 'Letters', type: 'letter', class: ref('class', 'class-001-0001'),
      scoreScaleValue: [{ itemValueLHS: '90 - 100', itemValueRHS: 'A' }] } };
    case 'assessmentLineItems': return { assessmentLineItem: { ...base(id), title: 'Benchmark' } };
    default: return { assessmentResult: { ...base(id), assessmentLineItem: ref('assessmentLineItem', 'ali-001'),
      student: ref('user', 'student-000001'), scoreDate: '2025-01-02', scoreStatus: 'fully graded' } };
  }
}

function urlOf(e: (typeof endpoints)[number], fresh: string): string {
  const collection = e.path.split('/')[1];
  const path = e.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name !== 'sourcedId') return PARAM[name];
    return e.method === 'PUT' ? fresh : SAMPLE[collection];
  });
  return `/ims/oneroster/${e.service}/v1p2${path}`;
}

/** A scope from another service, so that it is valid but never the right one. */
const wrongScopeFor = (service: string) => (service === 'rostering' ? SCOPES['gradebook.readonly'] : SCOPES['roster.readonly']);

describe('every REST endpoint is behind its scopes', () => {
  let db: Database;
  let app: FastifyInstance;
  let keys: SigningKeys;
  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, { schools: 1, students: 30, seed: 9 });
    ({ app, keys } = await testApp(db, { LOG_LEVEL: 'silent' }));
  });
  afterAll(async () => { await app?.close(); await db?.close(); });

  it('covers the 81 endpoints of the binding', () => {
    expect(endpoints).toHaveLength(81);
  });

  it.each(endpoints.map((e) => [`${e.method} ${e.service}${e.path}`, e] as const))('%s: 401 without a token, 403 with another scope, 2xx with each listed scope', async (_name, e) => {
    let n = 0;
    const call = async (auth?: string) => {
      const url = urlOf(e, `sec-${e.operationId}-${n++}`);
      const payload = e.method === 'PUT' || e.method === 'POST' ? bodyFor(e.method, e.path, url.split('/').pop()!) : undefined;
      return app.inject({ method: e.method as 'GET', url, payload: payload as object, headers: auth ? { authorization: auth } : {} });
    };
    const none = await call();
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(none.json()).toMatchObject({ imsx_codeMajor: 'failure', imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldValue: 'unauthorisedrequest' }] } });

    const wrong = await call(await bearer(keys, [wrongScopeFor(e.service)]));
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldValue: 'forbidden' }] } });

    for (const scope of e.scopes) {
      // DELETE removes its record, so each listed scope deletes one of its own making.
      if (e.method === 'DELETE') {
        const id = `sec-del-${n++}`;
        const collection = e.path.split('/')[1];
        const put = await app.inject({ method: 'PUT', url: `/ims/oneroster/gradebook/v1p2/${collection}/${id}`,
          payload: bodyFor('PUT', `/${collection}/{sourcedId}`, id) as object,
          headers: { authorization: await bearer(keys, [SCOPES[collection.startsWith('assessment') ? 'assessment.createput' : 'gradebook.createput']]) } });
        expect(put.statusCode, put.body).toBe(201);
        const del = await app.inject({ method: 'DELETE', url: `/ims/oneroster/gradebook/v1p2/${collection}/${id}`, headers: { authorization: await bearer(keys, [scope]) } });
        expect(del.statusCode, del.body).toBe(204);
        continue;
      }
      const ok = await call(await bearer(keys, [scope]));
      expect(ok.statusCode, `${scope}: ${ok.body.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
      expect(ok.statusCode).toBeLessThan(300);
    }
  });

  it('refuses tampered, expired, wrongly signed and alg=none tokens with 401 over HTTP', async () => {
    const url = '/ims/oneroster/rostering/v1p2/orgs';
    const good = (await bearer(keys, [SCOPES['roster.readonly']])).slice('Bearer '.length);
    const [header, payload, signature] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const otherKeys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'another-key-'.padEnd(48, 'y') } as NodeJS.ProcessEnv });
    const expired = await new SignJWT({ scope: SCOPES['roster.readonly'] }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: keys.current.kid })
      .setSubject('t').setIssuedAt(1_600_000_000).setExpirationTime(1_600_000_600).sign(keys.current.key);
    const tokens = {
      tampered: `${header}.${b64({ ...claims, scope: `${claims.scope} ${SCOPES['roster-demographics.readonly']}` })}.${signature}`,
      expired,
      wrongKey: (await issueAccessToken(otherKeys, { clientId: 't', scopes: [SCOPES['roster.readonly']], ttlSeconds: 600 })).access_token,
      algNone: `${b64({ alg: 'none', typ: 'at+jwt', kid: keys.current.kid })}.${payload}.`,
    };
    expect((await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${good}` } })).statusCode).toBe(200);
    for (const [kind, token] of Object.entries(tokens)) {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, kind).toBe(401);
      expect(res.headers['www-authenticate'], kind).toMatch(/^Bearer .*error="invalid_token"/);
    }
  });

  it('guards every route under /ims/, v1.1 twins included, and refuses unknown tokens there too', async () => {
    const v1p1 = await app.inject({ method: 'GET', url: '/ims/oneroster/v1p1/users' });
    expect(v1p1.statusCode).toBe(401);
    const ok = await app.inject({ method: 'GET', url: '/ims/oneroster/v1p1/users?limit=1',
      headers: { authorization: await bearer(keys, ['https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly']) } });
    expect(ok.statusCode).toBe(200);
    const forged = await app.inject({ method: 'GET', url: '/ims/oneroster/rostering/v1p2/orgs',
      headers: { authorization: `${await bearer(keys, [SCOPES['roster.readonly']])}x` } });
    expect(forged.statusCode).toBe(401);
  });
});
