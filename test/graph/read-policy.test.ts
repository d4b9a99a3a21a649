import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import type { ReadPolicy } from '../../src/data/read-policy.js';
import { and, column, sql } from '../../src/db/sql.js';
import { loadConfig } from '../../src/db/config.js';
import { restFixture, type RestFixture } from '../rest/support.js';
import { run } from './support.js';

/**
 * The ReadPolicy seam (issue 15): a policy's condition reaches every statement that reads a type, so a
 * hidden record comes back through no path of the graph or of REST: root pages and their counts, the
 * students view, lookups by id, nested pages of one owner and of many (counts included), links read
 * as ids only, embedded relations and relation filters. The hidden records are picked from the
 * fixture so that each of those paths would return them without the policy (checked first).
 */
let fx: RestFixture;
let restricted: FastifyInstance;
let hidden: { student: string; guardian: string; klass: string };
/** A visible class with the hidden student, and a visible student whose guardian and one class are hidden. */
let seen: { klass: string; student: string };
let policy: ReadPolicy;

const V1P2 = '/ims/oneroster/rostering/v1p2';
const q = (id: string) => JSON.stringify(id);

beforeAll(async () => {
  fx = await restFixture();
  const { data } = await run(fx.db, `{ classes(limit: 1000) { nodes { sourcedId students(limit: 1000) { nodes { sourcedId
    agents { nodes { sourcedId } } classes(limit: 100) { nodes { sourcedId } } } } } } }`);
  type Student = { sourcedId: string; agents: { nodes: { sourcedId: string }[] }; classes: { nodes: { sourcedId: string }[] } };
  const klass = (data.classes.nodes as { sourcedId: string; students: { nodes: Student[] } }[]).find((c) => c.students.nodes.length >= 3)!;
  const [first, second] = klass.students.nodes as [Student, Student];
  const guardian = second.agents.nodes[0]!.sourcedId;
  const otherClass = second.classes.nodes.find((c) => c.sourcedId !== klass.sourcedId)!.sourcedId;
  hidden = { student: first.sourcedId, guardian, klass: otherClass };
  seen = { klass: klass.sourcedId, student: second.sourcedId };
  const users = [hidden.student, hidden.guardian];
  const classes = [hidden.klass];
  // Sharing rules hide a user's or class's enrollments with it, as a real policy would.
  const notIn = (alias: string, name: string, ids: string[]) => sql`${column(alias, name)} <> all(${ids}::text[])`;
  policy = {
    rows: (entity, alias) => {
      if (entity === 'User') return notIn(alias, 'sourced_id', users);
      if (entity === 'Class') return notIn(alias, 'sourced_id', classes);
      if (entity === 'Enrollment') return and([notIn(alias, 'user_sourced_id', users), notIn(alias, 'class_sourced_id', classes)]);
      return undefined;
    },
  };
  const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
  restricted = await buildApp({
    db: fx.db, keys, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent', AUTH: 'off' } as NodeJS.ProcessEnv), readPolicyFor: () => policy,
  });
}, 180_000);
afterAll(async () => {
  await restricted?.close();
  await fx?.close();
});

const hiddenIds = () => Object.values(hidden);

/** Every connection in a response (an object with totalCount and nodes) reports as many records as it lists. */
function expectCountsEqualRecords(value: unknown, path = 'data'): void {
  if (Array.isArray(value)) { value.forEach((v, i) => expectCountsEqualRecords(v, `${path}[${i}]`)); return; }
  if (!value || typeof value !== 'object') return;
  const o = value as Record<string, unknown>;
  if (typeof o.totalCount === 'number' && Array.isArray(o.nodes)) expect(o.totalCount, path).toBe(o.nodes.length);
  for (const [k, v] of Object.entries(o)) expectCountsEqualRecords(v, `${path}.${k}`);
}

function expectNoneOf(ids: string[], body: unknown, what: string) {
  const text = JSON.stringify(body);
  for (const id of ids) expect(text, `${what} shows ${id}`).not.toContain(q(id));
}

describe('a read policy on the graph', () => {
  const document = () => `{
    users(limit: 1000) { totalCount nodes { sourcedId agents { nodes { sourcedId } } classes(limit: 1000) { nodes { sourcedId } } } }
    students(limit: 1000) { totalCount nodes { sourcedId } }
    classes(limit: 1000) { totalCount nodes { sourcedId students(limit: 1000) { totalCount nodes { sourcedId } } users(limit: 1000) { totalCount nodes { sourcedId status } } } }
    enrollments(limit: 1000) { totalCount nodes { sourcedId user { sourcedId } class { sourcedId } } }
    one: class(sourcedId: ${q(seen.klass)}) { students(limit: 1000) { totalCount nodes { sourcedId } } }
    student: user(sourcedId: ${q(seen.student)}) { agents { nodes { sourcedId } } classes(limit: 1000) { totalCount nodes { sourcedId } } }
    schools { nodes { classes(limit: 1000) { totalCount nodes { sourcedId } } students(limit: 1000) { totalCount nodes { sourcedId } } } }
    byStudent: classes(filter: { students: { sourcedId: { eq: ${q(hidden.student)} } } }) { totalCount nodes { sourcedId } }
    byId: users(filter: { sourcedId: { in: [${q(hidden.student)}, ${q(hidden.guardian)}] } }) { totalCount nodes { sourcedId } }
  }`;

  it('without the policy, every path of the document returns the records it will hide', async () => {
    const { data, errors } = await run(fx.db, document());
    expect(errors).toBeUndefined();
    const text = JSON.stringify(data);
    for (const id of hiddenIds()) expect(text).toContain(q(id));
    expect(data.byStudent.totalCount).toBeGreaterThan(0);
    expect(data.byId.totalCount).toBe(2);
    expect(data.student.agents.nodes.map((n: { sourcedId: string }) => n.sourcedId)).toContain(hidden.guardian);
    expect(JSON.stringify(data.one)).toContain(q(hidden.student));
  });

  it('with it, no path returns them, and every count equals the records listed', async () => {
    const [all, some] = await Promise.all([run(fx.db, document()), run(fx.db, document(), { policy })]);
    expect(some.errors).toBeUndefined();
    expectNoneOf(hiddenIds(), some.data, 'the graph');
    expectCountsEqualRecords(some.data);
    expect(some.data.byStudent.totalCount).toBe(0);
    expect(some.data.byId.totalCount).toBe(0);
    // Only the hidden records are gone: the root pages hold everything else.
    const ids = (d: any, field: string) => (d[field].nodes as { sourcedId: string }[]).map((n) => n.sourcedId);
    expect(ids(some.data, 'users')).toEqual(ids(all.data, 'users').filter((id) => id !== hidden.student && id !== hidden.guardian));
    expect(ids(some.data, 'classes')).toEqual(ids(all.data, 'classes').filter((id) => id !== hidden.klass));
    expect(some.data.one.students.totalCount).toBe(all.data.one.students.totalCount - 1);
  });

  it('lookups by id (records, views, references) find nothing hidden', async () => {
    const { data, errors } = await run(fx.db, `{
      user: user(sourcedId: ${q(hidden.student)}) { sourcedId }
      student: student(sourcedId: ${q(hidden.student)}) { sourcedId }
      guardian: user(sourcedId: ${q(hidden.guardian)}) { sourcedId }
      klass: class(sourcedId: ${q(hidden.klass)}) { sourcedId }
      visible: class(sourcedId: ${q(seen.klass)}) { sourcedId }
    }`, { policy });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ user: null, student: null, guardian: null, klass: null, visible: { sourcedId: seen.klass } });
  });
});

describe('a read policy on REST (the same graph context)', () => {
  const get = async (app: FastifyInstance, url: string) => {
    const res = await app.inject({ method: 'GET', url: `${V1P2}${url}` });
    return { status: res.statusCode, body: res.json() as Record<string, unknown>, total: res.headers['x-total-count'] };
  };
  const lists = () => [
    ['/users?limit=1000', 'users'], ['/students?limit=1000', 'users'], ['/classes?limit=1000', 'classes'], ['/enrollments?limit=1000', 'enrollments'],
    [`/classes/${seen.klass}/students?limit=1000`, 'users'], [`/students/${seen.student}/classes?limit=1000`, 'classes'],
    [`/users?limit=1000&filter=${encodeURIComponent(`sourcedId='${hidden.student}'`)}`, 'users'],
  ] as const;

  it('lists, nested lists and filters leave hidden records out, with X-Total-Count equal to the records', async () => {
    for (const [url, wrapper] of lists()) {
      const [all, some] = await Promise.all([get(fx.app, url), get(restricted, url)]);
      expect(all.status, url).toBe(200);
      expect(some.status, url).toBe(200);
      const rows = some.body[wrapper] as unknown[];
      expectNoneOf(hiddenIds(), some.body, url);
      expect(Number(some.total), url).toBe(rows.length);
      expect(Number(all.total), url).toBeGreaterThan(rows.length);
    }
  });

  it('a hidden record by id is 404; a visible one does not list its hidden agents', async () => {
    for (const url of [`/users/${hidden.student}`, `/students/${hidden.student}`, `/users/${hidden.guardian}`, `/classes/${hidden.klass}`]) {
      expect((await get(fx.app, url)).status, url).toBe(200);
      expect((await get(restricted, url)).status, url).toBe(404);
    }
    const all = await get(fx.app, `/users/${seen.student}`);
    expect(JSON.stringify(all.body)).toContain(q(hidden.guardian));
    const some = await get(restricted, `/users/${seen.student}`);
    expect(some.status).toBe(200);
    expectNoneOf(hiddenIds(), some.body, 'the user');
  });
});
