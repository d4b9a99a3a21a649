import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResponse } from '../../src/rest/openapi.js';
import { restFixture, type RestFixture } from './support.js';

const R = '/ims/oneroster/rostering/v1p2';
const G = '/ims/oneroster/gradebook/v1p2';
const V1 = '/ims/oneroster/v1p1';

let f: RestFixture;
beforeAll(async () => { f = await restFixture({ env: { MAX_LIMIT: '500' } }); }, 60_000);
afterAll(async () => { await f?.close(); });

const codeMinor = (body: any) => body.imsx_CodeMinor.imsx_codeMinorField[0].imsx_codeMinorFieldValue;
const ids = (body: any, key: string) => (body[key] as { sourcedId: string }[]).map((o) => o.sourcedId);
const all = async (path: string, key: string) => ids((await f.get(`${path}${path.includes('?') ? '&' : '?'}limit=500`)).body, key);

async function expectError(url: string, status: number, minor: string, service: 'rostering' | 'gradebook' | 'resources' = 'rostering', template?: string) {
  const res = await f.get(url);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(codeMinor(res.body)).toBe(minor);
  expect(res.body.imsx_codeMajor).toBe('failure');
  if (template) expect(validateResponse(service, 'get', template, status, res.body, { allowDefault: true })).toEqual([]);
  return res.body;
}

describe('parameter errors', () => {
  it('refuses a bad or too large limit and a bad offset or orderBy', async () => {
    await expectError(`${R}/users?limit=0`, 400, 'invaliddata', 'rostering', '/users');
    await expectError(`${R}/users?limit=abc`, 400, 'invaliddata');
    await expectError(`${R}/users?limit=501`, 400, 'invaliddata');
    await expectError(`${R}/users?offset=-1`, 400, 'invaliddata');
    await expectError(`${R}/users?orderBy=up`, 400, 'invaliddata');
    await expectError(`${R}/users?limit=1&limit=2`, 400, 'invaliddata');
    expect((await f.get(`${R}/users?limit=500`)).status).toBe(200);
  });

  it('refuses unknown fields, sort and filter fields, and malformed filters', async () => {
    await expectError(`${R}/users?fields=sourcedId,shoeSize`, 400, 'invalid_selection_field', 'rostering', '/users');
    await expectError(`${R}/users/admin-district?fields=shoeSize`, 400, 'invalid_selection_field', 'rostering', '/users/{sourcedId}');
    await expectError(`${R}/users?sort=shoeSize`, 400, 'invaliddata');
    await expectError(`/ims/oneroster/resources/v1p2/resources?sort=shoeSize`, 400, 'invalid_sort_field', 'resources', '/resources');
    await expectError(`${R}/users?filter=${encodeURIComponent("shoeSize='9'")}`, 400, 'invalid_filter_field');
    await expectError(`${R}/users?filter=${encodeURIComponent("familyName='unterminated")}`, 400, 'invalid_filter_field');
    await expectError(`${R}/users?filter=${encodeURIComponent("familyName='a' and givenName='b'")}`, 400, 'invalid_filter_field');
    await expectError(`${R}/users?filter=${encodeURIComponent("dateLastModified>'last week'")}`, 400, 'invalid_filter_field');
    await expectError(`${G}/results?filter=${encodeURIComponent("score>'lots'")}`, 400, 'invalid_filter_field', 'gradebook', '/results');
  });

  it('answers 1.1 errors with 1.1 codeMinor tokens', async () => {
    const body = await expectError(`${V1}/users/nobody`, 404, 'unknown object');
    expect(body.imsx_description).toMatch(/nobody/);
    await expectError(`${V1}/users?sort=shoeSize`, 400, 'invalid_sort_field');
    await expectError(`${V1}/users?limit=0`, 400, 'invalid data');
  });
});

describe('field selection', () => {
  it('accepts comma-separated and repeated fields, on collections and single reads, in schema order', async () => {
    const repeated = await f.get(`${R}/users?limit=3&fields=familyName&fields=sourcedId,roles`);
    expect(repeated.status).toBe(200);
    for (const u of repeated.body.users) expect(Object.keys(u)).toEqual(['sourcedId', 'familyName', 'roles']);
    const one = await f.get(`${G}/lineItems/li-class-001-0001-1?fields=class&fields=title`);
    expect(one.body).toEqual({ lineItem: { title: expect.any(String), class: expect.objectContaining({ sourcedId: 'class-001-0001', type: 'class' }) } });
  });
});

describe('unknown objects', () => {
  it('404s an unknown sourcedId and an unknown parent, with the imsx body', async () => {
    await expectError(`${R}/users/nobody`, 404, 'unknownobject', 'rostering', '/users/{sourcedId}');
    await expectError(`${R}/schools/nowhere/classes`, 404, 'unknownobject', 'rostering', '/schools/{schoolSourcedId}/classes');
    await expectError(`${R}/schools/school-001/classes/nothing/students`, 404, 'unknownobject');
    await expectError(`${G}/classes/class-001-0001/lineItems/nothing/results`, 404, 'unknownobject', 'gradebook', '/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results');
    await expectError(`${G}/classes/class-001-0001/students/nobody/results`, 404, 'unknownobject');
    await expectError(`/ims/oneroster/resources/v1p2/users/nobody/resources`, 404, 'unknownobject', 'resources', '/users/{userSourcedId}/resources');
  });

  it('404s a path or method OneRoster does not define, with the imsx body', async () => {
    await expectError(`${R}/pupils`, 404, 'unknownobject');
    await expectError(`${V1}/classes/class-001-0001/enrollments`, 404, 'unknown object');
    const put = await f.app.inject({ method: 'DELETE', url: `${R}/users/admin-district` });
    expect(put.statusCode).toBe(404);
    expect(codeMinor(put.json())).toBe('unknownobject');
  });

  it('404s a class that is not in the school of the path', async () => {
    const body = await expectError(`${R}/schools/school-002/classes/class-001-0001/students`, 404, 'unknownobject');
    expect(body.imsx_description).toMatch(/does not belong/);
    await expectError(`${G}/classes/class-001-0002/lineItems/li-class-001-0001-1/results`, 404, 'unknownobject');
  });

  it('serves a view only the objects in it: a teacher is no student, a district no school', async () => {
    await expectError(`${R}/students/teacher-001-0002`, 404, 'unknownobject');
    await expectError(`${R}/students/teacher-001-0002/classes`, 404, 'unknownobject');
    await expectError(`${R}/schools/district-1`, 404, 'unknownobject');
    await expectError(`${R}/terms/gp-2025-q1`, 404, 'unknownobject');
    expect((await f.get(`${R}/teachers/teacher-001-0002`)).status).toBe(200);
  });
});

describe('students and teachers: any role counts, the same on every endpoint', () => {
  it('lists a user with a teacher role among teachers everywhere, whatever their other roles', async () => {
    // admin-district is districtAdministrator (district) and teacher (school-001).
    expect(await all(`${R}/teachers`, 'users')).toContain('admin-district');
    expect(await all(`${R}/schools/school-001/teachers`, 'users')).toContain('admin-district');
    expect(await all(`${R}/schools/school-002/teachers`, 'users')).not.toContain('admin-district');
    expect(await all(`${R}/students`, 'users')).not.toContain('admin-district');
    expect(await all(`${V1}/teachers`, 'users')).toContain('admin-district');
  });

  it('class students and teachers follow the enrollment role', async () => {
    const students = await all(`${R}/classes/class-001-0001/students`, 'users');
    const enrolled = (await f.get(`${R}/enrollments?limit=500&filter=${encodeURIComponent("class.sourcedId='class-001-0001' AND role='student'")}`)).body;
    expect(students.sort()).toEqual(enrolled.enrollments.map((e: any) => e.user.sourcedId).sort());
    const teacherClasses = await all(`${R}/teachers/teacher-001-0001/classes`, 'classes');
    const taught = (await f.get(`${R}/enrollments?limit=500&filter=${encodeURIComponent("user.sourcedId='teacher-001-0001' AND role='teacher'")}`)).body;
    expect(teacherClasses.sort()).toEqual(taught.enrollments.map((e: any) => e.class.sourcedId).sort());
    expect(teacherClasses.length).toBeGreaterThan(0);
  });
});

describe('filters on real data', () => {
  const q = (expr: string) => encodeURIComponent(expr);

  it('filters by delta date, booleans, enums incl. ext:, dotted references and OR', async () => {
    expect(await all(`${R}/orgs?filter=${q("dateLastModified>'2025-09-01T00:00:00Z'")}`, 'orgs')).toEqual(['region-north']);
    expect(await all(`${R}/orgs?filter=${q("type='ext:region'")}`, 'orgs')).toEqual(['region-north']);
    expect(await all(`${R}/users?filter=${q("roles.role='ext:mentor'")}`, 'users')).toEqual(['teacher-001-0001']);
    const late = (await f.get(`${G}/results?limit=500&filter=${q("late='true'")}`)).body.results;
    expect(late.length).toBeGreaterThan(0);
    for (const r of late) expect(r.late).toBe('true');
    const either = await all(`${R}/users?filter=${q("sourcedId='student-000001' OR sourcedId='teacher-001-0001'")}`, 'users');
    expect(either.sort()).toEqual(['student-000001', 'teacher-001-0001']);
    const inSchool = await all(`${R}/users?filter=${q("roles.org.sourcedId='school-002' AND roles.role='teacher'")}`, 'users');
    expect(inSchool.length).toBeGreaterThan(0);
    for (const id of inSchool) expect(id).toMatch(/^teacher-002-/);
    const named = (await f.get(`${R}/users?limit=500&filter=${q("familyName~'a'")}`)).body.users;
    for (const u of named) expect(u.familyName.toLowerCase()).toContain('a');
  });

  it('combines a filter with the nested path and counts what it matched', async () => {
    const res = await f.get(`${R}/schools/school-001/students?limit=2&filter=${q("grades='09'")}`);
    expect(res.status).toBe(200);
    const every = await all(`${R}/schools/school-001/students?filter=${q("grades='09'")}`, 'users');
    expect(Number(res.headers['x-total-count'])).toBe(every.length);
    expect(res.body.users.map((u: any) => u.grades)).toEqual([['09'], ['09']]);
  });
});

describe('sort', () => {
  it('orders by the field in either direction, ties broken by sourcedId', async () => {
    const asc = (await f.get(`${R}/users?limit=500&sort=familyName`)).body.users.map((u: any) => u.familyName);
    expect(asc).toEqual([...asc].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)));
    const desc = (await f.get(`${R}/users?limit=500&sort=familyName&orderBy=desc`)).body.users.map((u: any) => u.familyName);
    expect(desc).toEqual([...asc].reverse());
  });
});

describe('authentication and scopes', () => {
  let secured: RestFixture;
  beforeAll(async () => { secured = await restFixture({ auth: true }); }, 60_000);
  afterAll(async () => { await secured?.close(); });

  it('401 without a token, 403 with a token lacking the scope, 200 with it (v1.2 tokens also open v1.1 routes)', async () => {
    const { issueAccessToken } = await import('../../src/auth/tokens.js');
    const { loadSigningKeys } = await import('../../src/auth/signing-keys.js');
    const { SCOPES, V1P1_SCOPES } = await import('../../src/auth/scopes.js');
    const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
    const bearer = async (scopes: string[]) => ({ authorization: `Bearer ${(await issueAccessToken(keys, { clientId: 't', scopes, ttlSeconds: 600 })).access_token}` });

    const none = await secured.get(`${R}/users`);
    expect(none.status).toBe(401);
    expect(codeMinor(none.body)).toBe('unauthorisedrequest');
    const core = await bearer([SCOPES['roster-core.readonly']]);
    expect((await secured.get(`${R}/users`, core)).status).toBe(200);
    expect((await secured.get(`${R}/schools/school-001/students`, core)).status).toBe(403);
    expect((await secured.get(`${R}/demographics`, core)).status).toBe(403);
    // A gradebook-only token still sees the class and school references of a line item.
    const gradebook = await bearer([SCOPES['gradebook-core.readonly']]);
    const li = await secured.get(`${G}/lineItems/li-class-001-0001-1`, gradebook);
    expect(li.status).toBe(200);
    expect(li.body.lineItem.class.sourcedId).toBe('class-001-0001');
    expect((await secured.get(`${V1}/users`, core)).status).toBe(200);
    const v1p1 = await bearer([V1P1_SCOPES['roster.readonly']]);
    expect((await secured.get(`${V1}/schools/school-001/students`, v1p1)).status).toBe(200);
    expect((await secured.get(`${R}/users`, v1p1)).status).toBe(403);
  });
});
