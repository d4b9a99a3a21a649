import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { run, sql } from '../../src/db/sql.js';
import { graphql } from '../support/app.js';
import { sharingFixture, type SharingFixture } from './support.js';

/** Denied fields (REST and GraphQL) and the writes of a client limited to one school. */
const R = '/ims/oneroster/rostering/v1p2';
const G = '/ims/oneroster/gradebook/v1p2';
const STAMP = '2025-08-01T08:00:00.000Z';
const imsx = (body: any) => body?.imsx_CodeMinor?.imsx_codeMinorField?.[0]?.imsx_codeMinorFieldValue;
const ref = (type: string, sourcedId: string) => ({ href: `https://example.test/${type}/${sourcedId}`, sourcedId, type });

let f: SharingFixture;
beforeAll(async () => { f = await sharingFixture(); }, 180_000);
afterAll(async () => { await f?.close(); });

const get = async (url: string, auth: string) => {
  const res = await f.app.inject({ method: 'GET', url, headers: { authorization: auth } });
  return { status: res.statusCode, body: res.json() };
};
const send = async (method: 'PUT' | 'POST' | 'DELETE', url: string, auth: string, payload?: unknown) => {
  const res = await f.app.inject({ method, url, headers: { authorization: auth, ...(payload ? { 'content-type': 'application/json' } : {}) }, payload: payload as never });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
};
const rows = (statement: ReturnType<typeof sql>) => run(f.db.orm.em.fork(), statement);

describe('denied fields', () => {
  const DENIED = ['users.email', 'users.phone', 'users.sms', 'users.userIds'];
  let denied: string;
  let open: string;
  beforeAll(async () => {
    denied = (await f.client([SCOPES['roster.readonly']], { deniedFields: DENIED })).auth;
    open = (await f.client([SCOPES['roster.readonly']])).auth;
  });

  it('unknown collection.field names are refused when the client is made', async () => {
    await expect(new ClientStore(f.db.orm.em).add('typo', ['roster.readonly'], { deniedFields: ['users.emial', 'pets.name'] }))
      .rejects.toThrow(/unknown fields "users.emial", "pets.name"/);
    await expect(new ClientStore(f.db.orm.em).add('id', ['roster.readonly'], { deniedFields: ['users.sourcedId'] })).rejects.toThrow(/unknown field/);
  });

  it('are absent from REST bodies, as if unset, on v1.2 and v1.1', async () => {
    for (const url of [`${R}/users?limit=100`, '/ims/oneroster/v1p1/users?limit=100', `${R}/teachers?limit=100`]) {
      const seen = (await get(url, open)).body.users as Record<string, unknown>[];
      expect(seen.some((u) => u.email && u.userIds), url).toBe(true);
      const got = await get(url, denied);
      expect(got.status).toBe(200);
      const users = got.body.users as Record<string, unknown>[];
      expect(users.length).toBe(seen.length);
      for (const u of users) for (const field of ['email', 'phone', 'sms', 'userIds']) expect(u, url).not.toHaveProperty(field);
      expect(users.every((u) => u.givenName)).toBe(true);
    }
    const one = await get(`${R}/users/teacher-001-0001`, denied);
    expect(one.body.user.username).toBe('teacher-001-0001');
    expect(one.body.user).not.toHaveProperty('email');
  });

  it('are refused in fields=, filter= and sort= with 403 forbidden, naming the field', async () => {
    for (const url of [`${R}/users?fields=sourcedId,email`, `${R}/users?filter=email~'river'`, `${R}/users?sort=email`,
      `${R}/classes/class-001-0001/students?filter=phone='1'`, `${R}/users/teacher-001-0001?fields=userIds`,
      `${R}/users?filter=givenName='x' OR email='y'`, '/ims/oneroster/v1p1/users?filter=email~\'a\'']) {
      const res = await get(url, denied);
      // OneRoster 1.1 names the same status `unauthorized`.
      expect([res.status, imsx(res.body)], url).toEqual([403, url.includes('/v1p1/') ? 'unauthorized' : 'forbidden']);
      expect(res.body.imsx_description, url).toMatch(/User\.(email|phone|userIds)/);
      // The same request from a client without the rule is answered.
      expect((await get(url, open)).status, url).toBe(200);
    }
  });

  it('are refused in GraphQL with FORBIDDEN: selections, filters (also through relations) and orderBy', async () => {
    const forbidden = [
      '{ users(first: 3) { nodes { sourcedId email } } }',
      '{ user(sourcedId: "teacher-001-0001") { userIds { identifier } } }',
      '{ users(filter: { email: { contains: "river" } }) { totalCount } }',
      '{ users(orderBy: [{ field: phone }]) { totalCount } }',
      '{ classes(first: 1) { nodes { students(filter: { OR: [{ givenName: { eq: "x" } }, { sms: { isNull: false } }] }) { totalCount } } } }',
      '{ schools { nodes { users(first: 2) { nodes { email } } } } }',
      '{ classes(filter: { students: { email: { contains: "a" } } }) { totalCount } }',
    ];
    for (const query of forbidden) {
      const res = await graphql(f.app, query, denied);
      expect(res.body.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
      expect(res.body.data ?? null, query).toBeNull();
      expect((await graphql(f.app, query, open)).body.errors, query).toBeUndefined();
    }
    const allowed = await graphql(f.app, '{ users(first: 3, orderBy: [{ field: familyName }]) { nodes { givenName familyName } } }', denied);
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data.users.nodes).toHaveLength(3);
  });

  it('clients update --deny-fields applies to existing tokens', async () => {
    const client = await f.client([SCOPES['roster.readonly']]);
    expect((await get(`${R}/users?fields=email`, client.auth)).status).toBe(200);
    await new ClientStore(f.db.orm.em).update(client.clientId, { deniedFields: ['users.email'] });
    // The rules are cached for a few seconds per client.
    await new Promise((r) => setTimeout(r, 5_200));
    expect((await get(`${R}/users?fields=email`, client.auth)).status).toBe(403);
  });
});

describe('writes of a client limited to one school', () => {
  const WRITE = [SCOPES['roster-core.readonly'], SCOPES['gradebook.readonly'], SCOPES['gradebook.createput'], SCOPES['gradebook.createpost'], SCOPES['gradebook.delete']];
  let limited: string;
  let limitedTo2: string;
  let district: string;
  const lineItem = (sourcedId: string, classId: string, school: string) => ({ lineItem: {
    sourcedId, status: 'active', dateLastModified: STAMP, title: 'Lab', assignDate: '2025-09-01T08:00:00.000Z', dueDate: '2025-09-08T08:00:00.000Z',
    class: ref('class', classId), school: ref('org', school), category: ref('category', 'cat-homework'),
  } });
  beforeAll(async () => {
    limited = (await f.client(WRITE, { orgs: ['school-001'] })).auth;
    limitedTo2 = (await f.client(WRITE, { orgs: ['school-002'] })).auth;
    district = (await f.client(WRITE, { orgs: ['district-1'] })).auth;
  });

  it('writes line items and results of its own school', async () => {
    expect((await send('PUT', `${G}/lineItems/sh-li-1`, limited, lineItem('sh-li-1', 'class-001-0001', 'school-001'))).status).toBe(201);
    const [enrolled] = await rows(sql`select user_sourced_id from enrollments where class_sourced_id = 'class-001-0001' and role = 'student' limit 1`);
    const result = { result: { sourcedId: 'sh-res-1', status: 'active', dateLastModified: STAMP, lineItem: ref('lineItem', 'sh-li-1'),
      student: ref('user', String(enrolled!.user_sourced_id)), scoreStatus: 'fully graded', score: 90, scoreDate: '2025-09-10' } };
    expect((await send('PUT', `${G}/results/sh-res-1`, limited, result)).status).toBe(201);
    expect((await send('DELETE', `${G}/results/sh-res-1`, limited)).status).toBe(204);
  });

  it('refuses with 403 a record of another school, a student it cannot see, or replacing another school\'s record; nothing is written', async () => {
    const other = await send('PUT', `${G}/lineItems/sh-li-2`, limited, lineItem('sh-li-2', 'class-002-0001', 'school-002'));
    expect([other.status, imsx(other.body)]).toEqual([403, 'forbidden']);
    // An unknown class answers the same: the answer does not tell whether the other school's class exists.
    const unknown = await send('PUT', `${G}/lineItems/sh-li-2`, limited, lineItem('sh-li-2', 'no-such-class', 'school-001'));
    expect([unknown.status, imsx(unknown.body)]).toEqual([403, 'forbidden']);
    const [stranger] = await rows(sql`select user_sourced_id from enrollments where school_sourced_id = 'school-002' and role = 'student' limit 1`);
    const result = { result: { sourcedId: 'sh-res-2', status: 'active', dateLastModified: STAMP, lineItem: ref('lineItem', 'li-class-001-0001-1'),
      student: ref('user', String(stranger!.user_sourced_id)), scoreStatus: 'fully graded', score: 50, scoreDate: '2025-09-10' } };
    expect((await send('PUT', `${G}/results/sh-res-2`, limited, result)).status).toBe(403);
    // Replacing school-002's line item, even re-homed into school-001, is refused and leaves it as it was.
    const replace = await send('PUT', `${G}/lineItems/li-class-002-0001-1`, limited, lineItem('li-class-002-0001-1', 'class-001-0001', 'school-001'));
    expect(replace.status).toBe(403);
    expect(await rows(sql`select class_sourced_id from line_items where sourced_id = 'li-class-002-0001-1'`)).toEqual([{ class_sourced_id: 'class-002-0001' }]);
    expect(await rows(sql`select sourced_id from line_items where sourced_id = 'sh-li-2' union all select sourced_id from results where sourced_id = 'sh-res-2'`)).toEqual([]);
    // The district-wide client writes there.
    expect((await send('PUT', `${G}/lineItems/sh-li-3`, district, lineItem('sh-li-3', 'class-002-0001', 'school-002'))).status).toBe(201);
  });

  it('creates its own category first, as grade passback begins, and may send it again; another school\'s category stays out of reach', async () => {
    const category = (title: string) => ({ category: { sourcedId: 'sh-cat-lms', status: 'active', dateLastModified: STAMP, title } });
    expect((await send('PUT', `${G}/categories/sh-cat-lms`, limited, category('Quizzes'))).status).toBe(201);
    // A category no line item uses tells nothing about any school: the client reads it back, and sends it again.
    expect((await get(`${G}/categories/sh-cat-lms`, limited)).body.category.title).toBe('Quizzes');
    expect((await send('PUT', `${G}/categories/sh-cat-lms`, limited, category('Quizzes'))).status).toBe(201);
    // Another school's client reads it too (nothing of any school uses it yet), but it is not that client's to change.
    expect((await get(`${G}/categories/sh-cat-lms`, limitedTo2)).status).toBe(200);
    const taken = await send('PUT', `${G}/categories/sh-cat-lms`, limitedTo2, category('Taken over'));
    expect([taken.status, imsx(taken.body)]).toEqual([403, 'forbidden']);
    expect(taken.body.imsx_description).toMatch(/not this client's to change/);
    expect((await send('DELETE', `${G}/categories/sh-cat-lms`, limitedTo2)).status).toBe(403);
    // Nor is an unused category of the district's.
    expect((await send('PUT', `${G}/categories/sh-cat-district`, district, { category: { ...category('District').category, sourcedId: 'sh-cat-district' } })).status).toBe(201);
    expect((await send('PUT', `${G}/categories/sh-cat-district`, limited, { category: { ...category('Mine now').category, sourcedId: 'sh-cat-district' } })).status).toBe(403);
    expect((await send('DELETE', `${G}/categories/sh-cat-district`, limited)).status).toBe(403);
    expect(await rows(sql`select title, status from categories where sourced_id in ('sh-cat-lms', 'sh-cat-district') order by sourced_id`))
      .toEqual([{ title: 'District', status: 'active' }, { title: 'Quizzes', status: 'active' }]);
    const item = lineItem('sh-li-cat', 'class-001-0001', 'school-001');
    item.lineItem.category = ref('category', 'sh-cat-lms');
    expect((await send('PUT', `${G}/lineItems/sh-li-cat`, limited, item)).status).toBe(201);
    // A retry, or a new title, of the category its own line item now uses.
    expect((await send('PUT', `${G}/categories/sh-cat-lms`, limited, category('Quizzes and tests'))).status).toBe(201);
    expect((await get(`${G}/categories?filter=${encodeURIComponent("sourcedId='sh-cat-lms'")}`, limited)).body.categories.map((c: any) => c.title)).toEqual(['Quizzes and tests']);
    // A category only another school's line items use is neither visible nor replaceable.
    const other = limitedTo2;
    expect((await get(`${G}/categories/sh-cat-lms`, other)).status).toBe(404);
    expect((await send('PUT', `${G}/categories/sh-cat-lms`, other, category('Taken over'))).status).toBe(403);
    expect(await rows(sql`select title from categories where sourced_id = 'sh-cat-lms'`)).toEqual([{ title: 'Quizzes and tests' }]);
  });

  it('answers 404 for another school\'s records in DELETE and POST paths, with the body of a record that does not exist', async () => {
    const same = (a: { status: number; body: any }, b: { status: number; body: any }, id: string, absent: string) => {
      expect(a.status).toBe(404);
      expect(JSON.stringify(a.body).replaceAll(id, 'ID')).toBe(JSON.stringify(b.body).replaceAll(absent, 'ID'));
    };
    same(await send('DELETE', `${G}/lineItems/li-class-002-0001-1`, limited), await send('DELETE', `${G}/lineItems/no-such-li`, limited), 'li-class-002-0001-1', 'no-such-li');
    expect(await rows(sql`select status from line_items where sourced_id = 'li-class-002-0001-1'`)).toEqual([{ status: 'active' }]);
    const post = { lineItems: [{ ...lineItem('tmp', 'class-002-0002', 'school-002').lineItem, sourcedId: 'p1' }] };
    same(await send('POST', `${G}/classes/class-002-0002/lineItems`, limited, post),
      await send('POST', `${G}/classes/no-such-class/lineItems`, limited, post), 'class-002-0002', 'no-such-class');
    expect((await rows(sql`select count(*)::int as n from line_items where class_sourced_id = 'class-002-0002'`))[0]!.n).toBe(2);
  });
});

describe('REST documents run with the caller\'s own scopes', () => {
  it('plus only the scopes of the addresses the body carries (GUIDRefs read through relations, path parents)', async () => {
    const scopesSeen: Array<ReadonlySet<string>> = [];
    const original = f.app.graphContext;
    f.app.graphContext = (principal) => { if (principal) scopesSeen.push(principal.scopes); return original(principal); };
    try {
      const core = (await f.client([SCOPES['roster-core.readonly']])).auth;
      const users = await get(`${R}/users?limit=100`, core);
      expect(users.status).toBe(200);
      // A user's resources are GUIDRefs the binding includes whatever the scope.
      expect(users.body.users.some((u: any) => u.resources?.length)).toBe(true);
      const userScopes = [...scopesSeen.pop()!].sort();
      expect(userScopes).toEqual([SCOPES['roster-core.readonly'], SCOPES['roster.readonly'], SCOPES['resource-core.readonly'], SCOPES['resource.readonly']].sort());
      // A v1.1 gradebook token: its v1.2 twin, and the roster scopes the path's class is addressed with; never demographics.
      const v1p1 = (await f.client(['v1p1/gradebook.readonly'])).auth;
      expect((await get('/ims/oneroster/v1p1/classes/class-001-0001/lineItems', v1p1)).status).toBe(200);
      const gradebookScopes = scopesSeen.pop()!;
      expect(gradebookScopes.has(SCOPES['gradebook.readonly'])).toBe(true);
      expect(gradebookScopes.has(SCOPES['roster-core.readonly'])).toBe(true);
      expect(gradebookScopes.has(SCOPES['roster-demographics.readonly'])).toBe(false);
      expect(gradebookScopes.has(SCOPES['assessment.readonly'])).toBe(false);
    } finally {
      f.app.graphContext = original;
    }
  });
});
