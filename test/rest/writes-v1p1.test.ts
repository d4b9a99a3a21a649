import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, V1P1_SCOPES } from '../../src/auth/scopes.js';
import { closeEnv, gradebookEnv, type GradebookEnv } from '../gradebook/support.js';

const BASE = '/ims/oneroster/v1p1';
const V1P1_WRITE = [V1P1_SCOPES['gradebook.createput'], V1P1_SCOPES['gradebook.delete'], V1P1_SCOPES['gradebook.readonly']];

let env: GradebookEnv;
let token: string;
beforeAll(async () => { env = await gradebookEnv(); token = await env.auth(V1P1_WRITE); }, 60_000);
afterAll(async () => closeEnv(env));

async function send(method: 'PUT' | 'DELETE', path: string, payload?: unknown, auth = token) {
  const res = await env.app.inject({ method, url: `${BASE}${path}`, headers: { authorization: auth }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}
/** 1.1 references: the type vocabulary differed from 1.2 (e.g. `gradingPeriod`), so any type is accepted. */
const ref = (type: string, sourcedId: string) => ({ href: `https://example.test/${type}/${sourcedId}`, sourcedId, type });
const minor = (body: any) => body?.imsx_CodeMinor?.imsx_codeMinorField?.[0]?.imsx_codeMinorFieldValue;

describe('v1.1 PUT and DELETE', () => {
  it('creates a 1.1 line item (no school: it follows from the class; date-only dates accepted)', async () => {
    const res = await send('PUT', '/lineItems/v11-li', { lineItem: {
      sourcedId: 'v11-li', status: 'active', dateLastModified: '2017-01-01T00:00:00Z', title: 'Chapter 1 quiz',
      assignDate: '2025-09-01', dueDate: '2025-09-05T12:00:00Z', class: ref('class', env.ids.classId), category: ref('category', env.ids.category),
      gradingPeriod: ref('gradingPeriod', env.ids.gradingPeriod), resultValueMin: 0, resultValueMax: 10,
    } });
    expect(res.status).toBe(201);
    const [row] = await env.sql(`select school_sourced_id, assign_date, grading_period_sourced_id from line_items where sourced_id = 'v11-li'`);
    expect(row).toMatchObject({ school_sourced_id: env.ids.school, grading_period_sourced_id: env.ids.gradingPeriod });
    expect(new Date(row!.assign_date as string).toISOString()).toBe('2025-09-01T00:00:00.000Z');
  });

  it('creates and replaces a 1.1 result and category', async () => {
    const result = (score: number) => ({ result: { sourcedId: 'v11-res', status: 'active', dateLastModified: '2017-01-01T00:00:00Z',
      lineItem: ref('lineItem', 'v11-li'), student: ref('student', env.ids.students[0]!), scoreStatus: 'fully graded', score, scoreDate: '2025-09-06', comment: 'fine' } });
    expect((await send('PUT', '/results/v11-res', result(8))).status).toBe(201);
    expect((await send('PUT', '/results/v11-res', result(9))).status).toBe(201);
    expect(await env.sql(`select score, comment from results where sourced_id = 'v11-res'`)).toEqual([{ score: 9, comment: 'fine' }]);
    expect((await send('PUT', '/categories/v11-cat', { category: { sourcedId: 'v11-cat', status: 'inactive', title: 'Legacy' } })).status).toBe(201);
    expect(await env.sql(`select status, title from categories where sourced_id = 'v11-cat'`)).toEqual([{ status: 'tobedeleted', title: 'Legacy' }]);
  });

  it('answers errors with 1.1 codeMinor tokens and writes nothing', async () => {
    const missing = await send('PUT', '/lineItems/v11-bad', { lineItem: { title: 'x', assignDate: '2025-09-01', dueDate: '2025-09-02', category: ref('category', env.ids.category) } });
    expect([missing.status, minor(missing.body)]).toEqual([422, 'invalid data']);
    expect(missing.body.imsx_description).toMatch(/lineItem\.class/);
    const unknown = await send('PUT', '/lineItems/v11-bad', { lineItem: { title: 'x', assignDate: '2025-09-01', dueDate: '2025-09-02', class: ref('class', 'nope'), category: ref('category', env.ids.category) } });
    expect([unknown.status, minor(unknown.body)]).toEqual([422, 'invalid data']);
    expect(unknown.body.imsx_description).toMatch(/lineItem\.class/);
    const badDate = await send('PUT', '/results/v11-bad', { result: { lineItem: ref('lineItem', 'v11-li'), student: ref('user', env.ids.students[0]!), scoreStatus: 'submitted', scoreDate: 'soon' } });
    expect(badDate.status).toBe(422);
    expect(badDate.body.imsx_description).toMatch(/result\.scoreDate/);
    const notFound = await send('DELETE', '/results/no-such');
    expect([notFound.status, minor(notFound.body)]).toEqual([404, 'unknown object']);
    expect(await env.sql(`select sourced_id from line_items where sourced_id = 'v11-bad' union all select sourced_id from results where sourced_id = 'v11-bad'`)).toEqual([]);
  });

  it('deletes with 204, leaving a tombstone', async () => {
    expect((await send('DELETE', '/results/v11-res')).status).toBe(204);
    expect(await env.sql(`select status from results where sourced_id = 'v11-res'`)).toEqual([{ status: 'tobedeleted' }]);
  });

  it('accepts a v1.2 token with the same scope name; refuses a token without it', async () => {
    const v12 = await env.auth([SCOPES['gradebook.createput']]);
    expect((await send('PUT', '/categories/v11-cat2', { category: { title: 'New' } }, v12)).status).toBe(201);
    const readOnly = await env.auth([V1P1_SCOPES['gradebook.readonly']]);
    const denied = await send('PUT', '/categories/v11-cat3', { category: { title: 'New' } }, readOnly);
    expect([denied.status, minor(denied.body)]).toEqual([403, 'unauthorized']);
  });
});
