import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/auth/scopes.js';
import { validateRequestBody, validateResponse } from '../../src/rest/openapi.js';
import { closeEnv, gradebookEnv, ref, type GradebookEnv } from '../gradebook/support.js';

const BASE = '/ims/oneroster/gradebook/v1p2';
const CASE_ID = '6b9f7e8a-2c1d-4e5f-9a0b-1c2d3e4f5a6b';
const STAMP = '2025-01-01T00:00:00.000Z';

let env: GradebookEnv;
let token: string;
beforeAll(async () => { env = await gradebookEnv(); token = await env.auth(); }, 60_000);
afterAll(async () => closeEnv(env));

type Method = 'PUT' | 'POST' | 'DELETE';
async function send(method: Method, path: string, payload?: unknown, auth = token) {
  const res = await env.app.inject({ method, url: `${BASE}${path}`, headers: { authorization: auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }) });
  return { status: res.statusCode, body: res.body ? res.json() : undefined, raw: res.body };
}

/** The request body conforms to the official schema and the response to the operation's documented response. */
async function call(method: Method, template: string, path: string, payload?: unknown) {
  if (payload !== undefined && method !== 'DELETE') expect(validateRequestBody('gradebook', method.toLowerCase() as 'put', template, payload)).toEqual([]);
  const res = await send(method, path, payload);
  expect(validateResponse('gradebook', method.toLowerCase() as 'put', template, res.status, res.body, { allowDefault: true })).toEqual([]);
  return res;
}

const base = (sourcedId: string) => ({ sourcedId, status: 'active', dateLastModified: STAMP });
const lineItem = (sourcedId: string, over: Record<string, unknown> = {}) => ({
  ...base(sourcedId), title: 'Lab report', assignDate: '2025-09-01T08:00:00.000Z', dueDate: '2025-09-08T08:00:00.000Z',
  class: ref('class', env.ids.classId), school: ref('org', env.ids.school), category: ref('category', env.ids.category), ...over,
});
const result = (sourcedId: string, over: Record<string, unknown> = {}) => ({
  ...base(sourcedId), lineItem: ref('lineItem', env.ids.lineItem), student: ref('user', env.ids.students[0]!),
  scoreStatus: 'fully graded', score: 77, scoreDate: '2025-09-10', ...over,
});
const imsx = (body: any) => body?.imsx_CodeMinor?.imsx_codeMinorField?.[0]?.imsx_codeMinorFieldValue;
const count = async (table: string, where = 'true', values: unknown[] = []) =>
  Number((await env.sql(`select count(*)::int as n from ${table} where ${where}`, values))[0]!.n);

describe('PUT', () => {
  const bodies = () => ({
    categories: { category: { ...base('rw-cat'), title: 'Labs', weight: 0.2 } },
    scoreScales: { scoreScale: { ...base('rw-scale'), title: 'Levels', type: 'level', class: ref('class', env.ids.classId), course: ref('course', env.ids.course),
      scoreScaleValue: [{ itemValueLHS: '3 - 4', itemValueRHS: 'Proficient' }, { itemValueLHS: '0 - 2', itemValueRHS: 'Developing' }] } },
    lineItems: { lineItem: lineItem('rw-li', { category: ref('category', 'rw-cat'), gradingPeriod: ref('academicSession', env.ids.gradingPeriod),
      academicSession: ref('academicSession', env.ids.term), scoreScale: ref('scoreScale', 'rw-scale'), resultValueMin: 0, resultValueMax: 4,
      learningObjectiveSet: [{ source: 'case', learningObjectiveIds: [CASE_ID] }] }) },
    results: { result: result('rw-res', { lineItem: ref('lineItem', 'rw-li'), class: ref('class', env.ids.classId), scoreScale: ref('scoreScale', 'rw-scale'),
      textScore: 'Proficient', late: 'true', missing: 'false', learningObjectiveSet: [{ source: 'case', learningObjectiveResults: [{ learningObjectiveId: CASE_ID, score: 3 }] }] }) },
    assessmentLineItems: { assessmentLineItem: { ...base('rw-ali'), title: 'Benchmark', class: ref('class', env.ids.classId), scoreScale: ref('scoreScale', 'rw-scale'),
      resultValueMin: 0, resultValueMax: 100, learningObjectiveSet: [{ source: 'district', learningObjectiveIds: ['M.1'] }] } },
    assessmentResults: { assessmentResult: { ...base('rw-ares'), assessmentLineItem: ref('assessmentLineItem', 'rw-ali'), student: ref('user', env.ids.students[1]!),
      score: 64, scorePercentile: 40, scoreDate: '2025-10-01', scoreStatus: 'submitted', inProgress: 'false' } },
  });

  it('creates each of the six types (201, no body) and replaces them (201 again)', async () => {
    const all = bodies();
    for (const [path, body] of Object.entries(all)) {
      const id = (Object.values(body)[0] as { sourcedId: string }).sourcedId;
      const created = await call('PUT', `/${path}/{sourcedId}`, `/${path}/${id}`, body);
      expect([path, created.status, created.raw]).toEqual([path, 201, '']);
    }
    const before = await env.sql(`select date_last_modified from results where sourced_id = 'rw-res'`);
    const replaced = await call('PUT', '/results/{sourcedId}', '/results/rw-res', { result: result('rw-res', { lineItem: ref('lineItem', 'rw-li'), score: 2 }) });
    expect(replaced.status).toBe(201);
    const [row] = await env.sql(`select score, late, text_score, date_last_modified from results where sourced_id = 'rw-res'`);
    expect(row).toMatchObject({ score: 2, late: null, text_score: null });
    expect(new Date(row!.date_last_modified as string).getTime()).toBeGreaterThan(new Date(before[0]!.date_last_modified as string).getTime());
    expect(await count('result_learning_objectives', 'result_sourced_id = ?', ['rw-res'])).toBe(0);
  });

  it('stores dateLastModified as now, not the body\'s value, and reads back through GraphQL', async () => {
    const { body } = await env.gql(`{ lineItem(sourcedId: "rw-li") { dateLastModified scoreScale { sourcedId } learningObjectiveSet { learningObjectiveIds } school { sourcedId } } }`);
    expect(body.data.lineItem.dateLastModified).not.toBe(STAMP);
    expect(Date.now() - Date.parse(body.data.lineItem.dateLastModified)).toBeLessThan(60_000);
    expect(body.data.lineItem).toMatchObject({ scoreScale: { sourcedId: 'rw-scale' }, learningObjectiveSet: [{ learningObjectiveIds: [CASE_ID] }], school: { sourcedId: env.ids.school } });
  });

  it('tolerates a body without sourcedId, status and dateLastModified', async () => {
    const { sourcedId: _s, status: _st, dateLastModified: _d, ...bare } = { ...base('x'), title: 'Bare' };
    const res = await send('PUT', '/categories/rw-cat-bare', { category: bare });
    expect(res.status).toBe(201);
    expect(await env.sql(`select status, title from categories where sourced_id = 'rw-cat-bare'`)).toEqual([{ status: 'active', title: 'Bare' }]);
  });

  it('tolerates references without href and type, but not a wrong type', async () => {
    const bare = { lineItem: { sourcedId: env.ids.lineItem }, student: { sourcedId: env.ids.students[2]! }, scoreStatus: 'submitted', scoreDate: '2025-09-12' };
    expect((await send('PUT', '/results/rw-res-bare', { result: bare })).status).toBe(201);
    expect(await env.sql(`select line_item_sourced_id, student_sourced_id from results where sourced_id = 'rw-res-bare'`))
      .toEqual([{ line_item_sourced_id: env.ids.lineItem, student_sourced_id: env.ids.students[2] }]);
    const wrongType = await send('PUT', '/results/rw-res-bare2', { result: { ...bare, student: { sourcedId: env.ids.students[2]!, type: 'student' } } });
    expect([wrongType.status, imsx(wrongType.body)]).toEqual([422, 'invaliddata']);
    expect(wrongType.body.imsx_description).toMatch(/\/result\/student\/type/);
  });
});

describe('PUT errors (nothing written)', () => {
  const cases: Array<[string, () => unknown, number, string, RegExp]> = [
    ['malformed JSON', () => '{"lineItem": {', 400, 'invaliddata', /JSON/i],
    ['a schema violation (missing title)', () => { const { title: _t, ...rest } = lineItem('rw-bad'); return { lineItem: rest }; }, 422, 'invaliddata', /\/lineItem\/title/],
    ['a bad enum in a result', () => ({ result: result('rw-bad', { late: 'yes' }) }), 422, 'invaliddata', /\/result\/late/],
    ['an unknown property', () => ({ lineItem: { ...lineItem('rw-bad'), colour: 'red' } }), 422, 'invaliddata', /colour/],
    ['an unknown category', () => ({ lineItem: lineItem('rw-bad', { category: ref('category', 'nope') }) }), 422, 'invaliddata', /lineItem\.category/],
    ['an unknown school', () => ({ lineItem: lineItem('rw-bad', { school: ref('org', 'nope') }) }), 422, 'invaliddata', /lineItem\.school/],
    ['an unknown student', () => ({ result: result('rw-bad', { student: ref('user', 'nobody') }) }), 422, 'invaliddata', /result\.student/],
    ['an unknown score scale', () => ({ result: result('rw-bad', { scoreScale: ref('scoreScale', 'nope') }) }), 422, 'invaliddata', /result\.scoreScale/],
    ['a sourcedId differing from the path', () => ({ result: result('someone-else') }), 422, 'invaliddata', /result\.sourcedId/],
  ];
  it.each(cases)('%s', async (_name, body, status, codeMinor, description) => {
    const payload = body() as { lineItem?: unknown };
    const path = payload.lineItem || typeof payload === 'string' ? '/lineItems/rw-bad' : '/results/rw-bad';
    const res = await send('PUT', path, payload);
    expect(res.status).toBe(status);
    expect(imsx(res.body)).toBe(codeMinor);
    expect(res.body.imsx_description).toMatch(description);
    expect(validateResponse('gradebook', 'put', path.startsWith('/lineItems') ? '/lineItems/{sourcedId}' : '/results/{sourcedId}', res.status, res.body, { allowDefault: true })).toEqual([]);
    expect(await count('line_items', `sourced_id = 'rw-bad'`) + await count('results', `sourced_id = 'rw-bad'`)).toBe(0);
  });

  it('an empty body is a 400; a missing scope 403; no token 401', async () => {
    expect((await send('PUT', '/categories/rw-bad')).status).toBe(400);
    const noScope = await send('PUT', '/categories/rw-bad', { category: { ...base('rw-bad'), title: 'x' } }, await env.auth([SCOPES['gradebook.readonly']]));
    expect([noScope.status, imsx(noScope.body)]).toEqual([403, 'forbidden']);
    const anonymous = await env.app.inject({ method: 'PUT', url: `${BASE}/categories/rw-bad`, payload: { category: { ...base('rw-bad'), title: 'x' } } });
    expect(anonymous.statusCode).toBe(401);
    expect(await count('categories', `sourced_id = 'rw-bad'`)).toBe(0);
  });
});

describe('DELETE', () => {
  it('answers 204 and leaves a tombstone a delta consumer sees; GET by id still shows it', async () => {
    await call('PUT', '/categories/{sourcedId}', '/categories/rw-cat-del', { category: { ...base('rw-cat-del'), title: 'Temp' } });
    const since = new Date(Date.now() - 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    for (const [path, id] of [['categories', 'rw-cat-del'], ['assessmentResults', 'rw-ares'], ['assessmentLineItems', 'rw-ali'], ['results', 'rw-res'], ['lineItems', 'rw-li'], ['scoreScales', 'rw-scale']]) {
      const res = await call('DELETE', `/${path}/{sourcedId}`, `/${path}/${id}`);
      expect([path, res.status, res.raw]).toEqual([path, 204, '']);
    }
    const delta = await env.gql(`query($since: DateTime!) { categories(filter: { dateLastModified: { gt: $since } }) { nodes { sourcedId status } }
      scoreScales(filter: { dateLastModified: { gt: $since } }) { nodes { sourcedId status } } }`, { since });
    expect(delta.body.data.categories.nodes).toEqual([{ sourcedId: 'rw-cat-del', status: 'tobedeleted' }]);
    expect(delta.body.data.scoreScales.nodes).toEqual([{ sourcedId: 'rw-scale', status: 'tobedeleted' }]);
    const get = await env.app.inject({ method: 'GET', url: `${BASE}/categories/rw-cat-del`, headers: { authorization: token } });
    expect([get.statusCode, get.json().category?.status]).toEqual([200, 'tobedeleted']);
    // The same delta through REST, as a OneRoster consumer asks for it.
    const filter = encodeURIComponent(`dateLastModified>'${since}'`);
    const rest = await env.app.inject({ method: 'GET', url: `${BASE}/results?filter=${filter}`, headers: { authorization: token } });
    expect(rest.statusCode).toBe(200);
    expect(rest.json().results.map((r: { sourcedId: string; status: string }) => [r.sourcedId, r.status])).toEqual([['rw-res', 'tobedeleted']]);
  });

  it('a repeated DELETE is 204 again; an unknown id is 404 unknownobject', async () => {
    expect((await send('DELETE', '/categories/rw-cat-del')).status).toBe(204);
    const missing = await call('DELETE', '/lineItems/{sourcedId}', '/lineItems/no-such-li');
    expect([missing.status, imsx(missing.body)]).toEqual([404, 'unknownobject']);
    const noScope = await send('DELETE', '/results/rw-res', undefined, await env.auth([SCOPES['gradebook.createput']]));
    expect(noScope.status).toBe(403);
  });
});

describe('POST', () => {
  const pairsOf = (body: any) => body.sourcedIdPairs as Array<{ suppliedSourcedId: string; allocatedSourcedId: string }>;

  it('creates line items for a class and for a school, returning sourcedIdPairs', async () => {
    const forClass = await call('POST', '/classes/{classSourcedId}/lineItems', `/classes/${env.ids.classId}/lineItems`,
      { lineItems: [lineItem('tmp-1', { title: 'P1' }), lineItem('tmp-2', { title: 'P2' })] });
    expect(forClass.status).toBe(201);
    expect(pairsOf(forClass.body).map((p) => p.suppliedSourcedId)).toEqual(['tmp-1', 'tmp-2']);
    const ids = pairsOf(forClass.body).map((p) => p.allocatedSourcedId);
    expect(await env.sql(`select title from line_items where sourced_id = any(?) order by title`, [ids])).toEqual([{ title: 'P1' }, { title: 'P2' }]);

    const forSchool = await call('POST', '/schools/{schoolSourcedId}/lineItems', `/schools/${env.ids.school}/lineItems`, { lineItems: [lineItem('tmp-s', { title: 'S1' })] });
    expect(forSchool.status).toBe(201);
    expect(pairsOf(forSchool.body)).toHaveLength(1);
  });

  it('creates results for a line item and for a class in an academic session', async () => {
    const results = env.ids.students.slice(0, 4).map((s, i) => result(`tmp-r${i}`, { student: ref('user', s), score: 60 + i }));
    const forLi = await call('POST', '/lineItems/{lineItemSourcedId}/results', `/lineItems/${env.ids.lineItem}/results`, { results });
    expect(forLi.status).toBe(201);
    const ids = pairsOf(forLi.body).map((p) => p.allocatedSourcedId);
    expect(await env.sql(`select score from results where sourced_id = any(?) order by score`, [ids])).toEqual([60, 61, 62, 63].map((score) => ({ score })));

    const forSession = await call('POST', '/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results',
      `/classes/${env.ids.classId}/academicSessions/${env.ids.term}/results`, { results });
    expect([forSession.status, pairsOf(forSession.body).length]).toEqual([201, 4]);
  });

  it('answers a body without its wrapper array (`{}`, which the OpenAPI schema lets pass) with 422, not 500', async () => {
    const before = await count('line_items');
    for (const body of [{}, { lineItems: null }, { lineItems: { title: 'not a list' } }]) {
      const res = await send('POST', `/classes/${env.ids.classId}/lineItems`, body);
      expect([res.status, imsx(res.body)], JSON.stringify(body)).toEqual([422, 'invaliddata']);
    }
    const res = await send('POST', `/classes/${env.ids.classId}/lineItems`, {});
    expect(res.body.imsx_description).toBe('the body must hold a "lineItems" array');
    expect(await count('line_items')).toBe(before);
  });

  it('creates none when one record is bad (422 naming the record\'s field)', async () => {
    const before = await count('results');
    const results = [result('tmp-ok', { score: 1 }), result('tmp-bad', { student: ref('user', 'nobody') })];
    const res = await call('POST', '/lineItems/{lineItemSourcedId}/results', `/lineItems/${env.ids.lineItem}/results`, { results });
    expect([res.status, imsx(res.body)]).toEqual([422, 'invaliddata']);
    expect(res.body.imsx_description).toMatch(/results\[1\]\.student/);
    expect(await count('results')).toBe(before);

    const schemaBad = await send('POST', `/lineItems/${env.ids.lineItem}/results`, { results: [result('tmp-ok'), { ...result('tmp-x'), scoreStatus: 'graded' }] });
    expect(schemaBad.status).toBe(422);
    expect(schemaBad.body.imsx_description).toMatch(/\/results\/1\/scoreStatus/);
    expect(await count('results')).toBe(before);
  });

  it('an unknown parent is 404 unknownobject', async () => {
    const paths: Array<[string, string, unknown]> = [
      ['/classes/{classSourcedId}/lineItems', '/classes/no-class/lineItems', { lineItems: [lineItem('t')] }],
      ['/schools/{schoolSourcedId}/lineItems', '/schools/no-school/lineItems', { lineItems: [lineItem('t')] }],
      ['/lineItems/{lineItemSourcedId}/results', '/lineItems/no-li/results', { results: [result('t')] }],
      ['/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results', `/classes/${env.ids.classId}/academicSessions/no-term/results`, { results: [result('t')] }],
    ];
    for (const [template, path, body] of paths) {
      const res = await call('POST', template, path, body);
      expect([path, res.status, imsx(res.body)]).toEqual([path, 404, 'unknownobject']);
    }
  });

  it('lets records omit the parent the path names; refuses one naming another parent', async () => {
    const { lineItem: _l, ...noLineItem } = result('tmp-nolink');
    const ok = await send('POST', `/lineItems/${env.ids.lineItem}/results`, { results: [noLineItem] });
    expect(ok.status).toBe(201);
    const other = await send('POST', `/classes/${env.ids.classId}/lineItems`, { lineItems: [lineItem('t', { class: ref('class', env.ids.otherClass) })] });
    expect([other.status, imsx(other.body)]).toEqual([422, 'invaliddata']);
    expect(other.body.imsx_description).toMatch(/lineItems\[0\]\.class/);
  });

  it('needs gradebook.createpost', async () => {
    const res = await send('POST', `/classes/${env.ids.classId}/lineItems`, { lineItems: [lineItem('t')] }, await env.auth([SCOPES['gradebook.createput']]));
    expect([res.status, imsx(res.body)]).toEqual([403, 'forbidden']);
  });
});
