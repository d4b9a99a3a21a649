import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { collectParameters, hmacSha256Signature, signatureBaseString } from '../../src/auth/oauth1.js';
import { importPackage } from '../../src/csv/import.js';
import { run, sql } from '../../src/db/sql.js';
import { V1P1_ENDPOINTS } from '../../src/rest/endpoints.js';
import { probeSource } from '../../src/sync/probe.js';
import { syncSource } from '../../src/sync/run.js';
import { openSecret } from '../../src/sync/source-secrets.js';
import { addSource, checkSourceInput, listSources, type SourceInput } from '../../src/sync/sources.js';
import { OAuth1Signer } from '../../src/sync/oauth1-signer.js';
import { fromV1p1 } from '../../src/sync/v1p1.js';
import { HEADERS } from '../csv/fixtures.js';
import { scratchDir, writePackage } from '../csv/support.js';
import { instance, listen, SOURCES_KEY, type Instance } from './support.js';

type Json = Record<string, any>;

/** The rostering collections of the 1.1 binding, root and nested, as the endpoint table lists them. */
const COLLECTIONS = V1P1_ENDPOINTS.filter((e) => e.service === 'rostering' && e.list).map((e) => e.path);

async function read(i: Instance, path: string): Promise<Json[]> {
  const res = await i.app.inject({ method: 'GET', url: `/ims/oneroster/v1p1${path}?limit=10000`, headers: { authorization: i.auth } });
  expect(res.statusCode, `${path}: ${res.body.slice(0, 300)}`).toBe(200);
  const body = res.json() as Json;
  const list = Object.values(body)[0] as Json[];
  return list.sort((a, b) => (a.sourcedId < b.sourcedId ? -1 : 1));
}

/**
 * Records without dateLastModified (the gateway stamps its own change time, README: Aggregator) and
 * without `resources` (references into the resources service, which a 1.1 source does not synchronise).
 */
const comparable = (records: Json[]) => records.map(({ dateLastModified: _, resources: __, ...rest }) => rest);

/**
 * Every concrete path of a collection pattern on `i`: root collections as they are; a `{…}` parameter
 * filled with the first sourcedIds of the collection before it (`/schools/{id}/classes/{id}/students`
 * reads the schools, then each school's classes).
 */
async function concretePaths(i: Instance, pattern: string, skip: ReadonlySet<string>, perParent = 2): Promise<string[]> {
  let paths = [''];
  for (const segment of pattern.split('/').slice(1)) {
    if (!segment.startsWith('{')) {
      paths = paths.map((p) => `${p}/${segment}`);
      continue;
    }
    const next: string[] = [];
    for (const p of paths) for (const r of (await read(i, p)).filter((x) => !skip.has(x.sourcedId)).slice(0, perParent)) next.push(`${p}/${encodeURIComponent(r.sourcedId)}`);
    paths = next;
  }
  return paths;
}

describe('OAuth 1.0a signing of upstream requests', () => {
  const signer = new OAuth1Signer('consumer key', 'secret&with=odd chars');
  const verify = (url: string, authorization: string, secret = 'secret&with=odd chars') => {
    const u = new URL(url);
    const { protocol, signed } = collectParameters({ method: 'GET', url: `${u.origin}${u.pathname}`, query: u.search.slice(1), authorization });
    return hmacSha256Signature(signatureBaseString('GET', `${u.origin}${u.pathname}`, signed), secret) === protocol.get('oauth_signature');
  };

  it('signs what this server\'s verifier checks: the query parameters, encoded any way, repeated, non-ASCII', () => {
    const url = "http://Example.COM:80/ims/oneroster/v1p1/users?limit=7&offset=0&filter=dateLastModified%3E'2026-01-01T00%3A00%3A00Z'"
      + '&q=a+b%2Bc&fields=sourcedId&fields=givenName&name=%C3%A9l%C3%A8ve';
    const header = signer.authorization('GET', url);
    expect(header).toMatch(/^OAuth /);
    expect(header).toContain('oauth_signature_method="HMAC-SHA256"');
    expect(header).toContain('oauth_consumer_key="consumer%20key"');
    expect(verify(url, header)).toBe(true);
    // The signature covers each query parameter and the secret.
    expect(verify(url.replace('offset=0', 'offset=1'), header)).toBe(false);
    expect(verify(url.replace('a+b', 'a%20b'), header)).toBe(true);
    expect(verify(url.replace('&fields=givenName', ''), header)).toBe(false);
    expect(verify(url, header, 'another secret')).toBe(false);
    // A new nonce per request: a retry is not a replay.
    const nonce = (h: string) => /oauth_nonce="([^"]+)"/.exec(h)?.[1];
    expect(nonce(signer.authorization('GET', url))).not.toBe(nonce(header));
  });
});

describe('sync from an upstream OneRoster 1.1 provider with OAuth 1.0a', () => {
  let upstream: Instance;
  let gateway: Instance;
  let base: string;
  let credentials: { client_id: string; client_secret: string };
  /**
   * Every request the upstream received: its URL and Authorization header, seen on the upstream's own
   * HTTP server (a proxy in between would change the Host the signature covers).
   */
  const seen: { url: string; authorization: string }[] = [];

  const legacy = (extra: Partial<SourceInput> = {}): SourceInput => ({
    name: 'legacy', baseUrl: base, version: '1.1', auth: 'oauth1', clientId: credentials.client_id, clientSecret: credentials.client_secret, ...extra,
  });

  beforeAll(async () => {
    upstream = await instance({ schools: 2, students: 16, seed: 11 });
    gateway = await instance();
    base = await listen(upstream.app);
    // A 1.1 consumer's client on the upstream, with the 1.1 scopes; its secret is sealed there, so it can verify signatures.
    credentials = await new ClientStore(upstream.db.orm.em.fork()).add('gateway', ['v1p1/roster.readonly', 'v1p1/roster-demographics.readonly']);
    upstream.app.server.on('request', (req) => seen.push({ url: req.url ?? '', authorization: String(req.headers.authorization) }));
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, legacy());
  });
  afterAll(async () => {
    await upstream?.app.close();
    await gateway?.app.close();
    await upstream?.db.close();
    await gateway?.db.close();
  });

  /**
   * Users 1.1 cannot carry whole: in one of their orgs, being a student (or a teacher) upstream differs
   * from their one 1.1 `role`. The upstream's 1.1 views of students and teachers come from its 1.2 roles
   * per org; the gateway only has the 1.1 role, for all of the user's orgs (README: Aggregator, 1.1 sources).
   */
  const mixedRoles = async (): Promise<Set<string>> => {
    const served = new Map((await read(upstream, '/users')).map((u) => [u.sourcedId, u.role]));
    const rows = await run(upstream.db.orm.em.fork(), sql`select user_sourced_id as id, org_sourced_id as org, array_agg(role) as roles
      from user_roles where status = 'active' group by 1, 2`);
    return new Set(rows.filter((r) => ['student', 'teacher'].some((role) => (r.roles as string[]).includes(role) !== (served.get(r.id) === role)))
      .map((r) => String(r.id)));
  };

  /** Every rostering collection of the 1.1 binding, read on both sides; the mixed-role users are compared through /users/{id} only. */
  const expectSameCollections = async () => {
    const mixed = await mixedRoles();
    const others = (records: Json[]) => comparable(records.filter((r) => !mixed.has(r.sourcedId)));
    let compared = 0;
    for (const pattern of COLLECTIONS) {
      const paths = await concretePaths(upstream, pattern, mixed);
      expect(await concretePaths(gateway, pattern, mixed), pattern).toEqual(paths);
      for (const path of paths) {
        const expected = others(await read(upstream, path));
        expect(others(await read(gateway, path)), path).toEqual(expected);
        compared += expected.length;
      }
    }
    for (const id of mixed) {
      const one = async (i: Instance) => (await i.app.inject({ method: 'GET', url: `/ims/oneroster/v1p1/users/${id}`, headers: { authorization: i.auth } })).json();
      expect(comparable([(await one(gateway)).user]), id).toEqual(comparable([(await one(upstream)).user]));
    }
    return { compared, mixed: [...mixed].sort() };
  };

  it('sources add: 1.1 takes OAuth 1.0a without a token URL; wrong combinations are refused with a clear message; the secret is sealed', async () => {
    expect(checkSourceInput(legacy())).toMatchObject({ version: '1.1', auth: 'oauth1', tokenUrl: undefined });
    // Each version's own binding when --auth is left out.
    expect(checkSourceInput(legacy({ auth: undefined })).auth).toBe('oauth1');
    expect(checkSourceInput(legacy({ version: '1.2', auth: undefined, tokenUrl: `${base}/oauth/token` })).auth).toBe('oauth2');
    // A 1.1 provider that takes OAuth 2 bearer tokens (as this server does) needs its token URL.
    expect(checkSourceInput(legacy({ auth: 'oauth2', tokenUrl: `${base}/oauth/token` })).tokenUrl).toBe(`${base}/oauth/token`);
    expect(() => checkSourceInput(legacy({ auth: 'oauth2' }))).toThrow('--token-url must be an absolute http(s) URL');

    expect(() => checkSourceInput(legacy({ version: '1.2' }))).toThrow(/--auth oauth1 is for --version 1.1 sources only: OneRoster 1.2 providers use OAuth 2/);
    expect(() => checkSourceInput(legacy({ tokenUrl: `${base}/oauth/token` }))).toThrow(/^--token-url is not used with --auth oauth1: /);
    expect(() => checkSourceInput(legacy({ auth: undefined, tokenUrl: `${base}/oauth/token` })))
      .toThrow(/--auth oauth1 \(the default for --version 1.1\): .* add --auth oauth2$/);
    expect(() => checkSourceInput(legacy({ scope: 'x' }))).toThrow(/--scope is not used with --auth oauth1/);
    expect(() => checkSourceInput(legacy({ version: '1.0' }))).toThrow('--version must be 1.1 or 1.2');
    expect(() => checkSourceInput(legacy({ auth: 'oauth3' }))).toThrow('--auth must be oauth1 (1.1 sources) or oauth2');
    expect(() => checkSourceInput(legacy({ services: 'rostering,gradebook' }))).toThrow(/--services gradebook/);

    const [row] = await run(gateway.db.orm.em.fork(), sql`select version, auth, token_url, client_secret_sealed from sources where name = 'legacy'`);
    expect(row).toMatchObject({ version: '1.1', auth: 'oauth1', token_url: null });
    expect(String(row.client_secret_sealed)).not.toContain(credentials.client_secret);
    expect(openSecret(SOURCES_KEY, String(row.client_secret_sealed), 'legacy')).toBe(credentials.client_secret);
  });

  it('converts 1.1 records to 1.2: role and orgs become one primary role per org, administrator its closest 1.2 role, inactive tobedeleted', () => {
    const org = (id: string) => ({ href: `x/${id}`, sourcedId: id, type: 'org' });
    const user = { sourcedId: 'u1', status: 'active', role: 'administrator', orgs: [org('d1'), org('s1'), org('d1')], givenName: 'A' };
    expect(fromV1p1('User', user)).toEqual({ problems: [], record: { sourcedId: 'u1', status: 'active', givenName: 'A', roles: [
      { roleType: 'primary', role: 'siteAdministrator', org: { sourcedId: 'd1' } }, { roleType: 'primary', role: 'siteAdministrator', org: { sourcedId: 's1' } },
    ] } });
    expect(fromV1p1('User', { ...user, role: 'ext:coach', orgs: [org('s1')] }).record.roles).toEqual([{ roleType: 'primary', role: 'ext:coach', org: { sourcedId: 's1' } }]);
    // This server writes a user without roles as orgs: [] and no role; a tombstone may carry neither.
    expect(fromV1p1('User', { sourcedId: 'u2', status: 'inactive', orgs: [] })).toEqual({ problems: [], record: { sourcedId: 'u2', status: 'tobedeleted', roles: [] } });
    expect(fromV1p1('Org', { sourcedId: 'o', status: 'inactive', name: 'X' }).record).toEqual({ sourcedId: 'o', status: 'tobedeleted', name: 'X' });

    expect(fromV1p1('User', { ...user, role: 'principal' }).problems).toEqual([
      { field: 'role', reason: '"principal" is not one of administrator, aide, guardian, parent, proctor, relative, student, teacher or ext:<token>' },
    ]);
    expect(fromV1p1('User', { ...user, role: undefined }).problems).toEqual([{ field: 'role', reason: 'required value is missing (the user lists orgs)' }]);
    expect(fromV1p1('User', { ...user, orgs: [org('s1'), 's2'] }).problems).toEqual([{ field: 'orgs[1]', reason: 'expected a GUIDRef object with a sourcedId' }]);
    expect(fromV1p1('User', { ...user, orgs: 's1' }).problems).toEqual([{ field: 'orgs', reason: 'expected a list of org GUIDRefs' }]);
  });

  it('a full run reads the 1.1 paths with signed requests; every v1p1 rostering collection of the gateway equals the upstream\'s', async () => {
    const report = await syncSource(gateway.db, SOURCES_KEY, 'legacy', { upstream: { pageSize: 7 } });
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, mode: 'full' });
    expect(report.fetched.users).toBe((await read(upstream, '/users')).length);

    // Only 1.1 paths, every request signed with HMAC-SHA256 (no token was ever fetched: the source has no token URL).
    expect(seen.length).toBeGreaterThan(7);
    expect(seen.every(({ url }) => url.startsWith('/ims/oneroster/v1p1/'))).toBe(true);
    expect(seen.filter(({ url }) => url.includes('offset=7')).length).toBeGreaterThan(0);
    const authorizations = seen.map((r) => r.authorization);
    for (const header of authorizations) {
      expect(header).toMatch(/^OAuth /);
      expect(header).toContain('oauth_signature_method="HMAC-SHA256"');
      expect(header).toContain(`oauth_consumer_key="${credentials.client_id}"`);
      expect(header).not.toContain(credentials.client_secret);
    }
    expect(new Set(authorizations.map((h) => /oauth_nonce="([^"]+)"/.exec(h)?.[1])).size).toBe(authorizations.length);

    const { compared, mixed } = await expectSameCollections();
    expect(compared).toBeGreaterThan(300);
    // The superintendent, districtAdministrator of the district and teacher in a school upstream, is an
    // administrator in both orgs for 1.1: she is a teacher of that school upstream only.
    expect(mixed).toEqual(['admin-district']);
    const [admin] = (await read(gateway, '/users')).filter((u) => u.sourcedId === 'admin-district');
    expect(admin).toMatchObject({ role: 'administrator', orgs: [{ sourcedId: 'district-1' }, { sourcedId: 'school-001' }] });
    expect((await read(upstream, '/schools/school-001/teachers')).map((u) => u.sourcedId)).toContain('admin-district');
    expect((await read(gateway, '/schools/school-001/teachers')).map((u) => u.sourcedId)).not.toContain('admin-district');
  });

  it('after a delta CSV import upstream (changed, deleted and new records), an incremental run brings the gateway level again', async () => {
    const em = upstream.db.orm.em.fork();
    const [student] = await run(em, sql`select u.sourced_id, u.given_name, u.username from users u where u.sourced_id like 'student-%' order by 1 limit 1`);
    const [enrollment] = await run(em, sql`select sourced_id, class_sourced_id, school_sourced_id, user_sourced_id from enrollments
      where role = 'student' order by sourced_id limit 1`);
    const [guardian] = await run(em, sql`select sourced_id, given_name, family_name, username from users where sourced_id like 'guardian-002-%' order by 1 limit 1`);
    const [klass] = await run(em, sql`select sourced_id from classes where school_sourced_id = 'school-002' order by 1 limit 1`);
    // A delta row names its own dateLastModified; `,,` after the status is filled with now.
    const now = new Date().toISOString();
    const file = (key: string, ...rows: string[]) => `${[HEADERS[key], ...rows.map((r) => r.replace(/^([^,]*,[^,]*),,/, `$1,${now},`))].join('\n')}\n`;
    const dir = writePackage(scratchDir('v1p1-delta'), {
      orgs: file('orgs', 'school-002,active,,Renamed High School,school,NCES-0600002,district-1', 'dept-arts,active,,Arts Department,department,ARTS,district-1'),
      users: file('users',
        `${student.sourced_id},active,,true,${student.username},,${student.given_name},Renamed,,,,,,,,,,,,,school-001,`,
        'teacher-new,active,,true,tnew,,Nora,New,,,,,,,,,,,,,school-002,',
        'admin-new,active,,true,anew,,Ada,Admin,,,,,,,,,,,,,district-1,',
        `${guardian.sourced_id},tobedeleted,,true,${guardian.username},,${guardian.given_name},${guardian.family_name},,,,,,,,,,,,,school-002,`),
      roles: file('roles',
        `role-${student.sourced_id}-2,active,,${student.sourced_id},primary,student,,,school-002,`,
        'role-teacher-new-1,active,,teacher-new,primary,teacher,,,school-002,',
        'role-teacher-new-2,active,,teacher-new,secondary,teacher,,,dept-arts,',
        'role-admin-new-1,active,,admin-new,primary,districtAdministrator,,,district-1,'),
      enrollments: file('enrollments',
        `${enrollment.sourced_id},tobedeleted,,${enrollment.class_sourced_id},${enrollment.school_sourced_id},${enrollment.user_sourced_id},student,false,,`,
        `enr-teacher-new,active,,${klass.sourced_id},school-002,teacher-new,teacher,false,2025-01-13,`),
    }, { orgs: 'delta', users: 'delta', roles: 'delta', enrollments: 'delta' });
    const imported = await importPackage(upstream.db, dir);
    expect(imported.errors).toEqual([]);

    const before = seen.length;
    const report = await syncSource(gateway.db, SOURCES_KEY, 'legacy');
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, mode: 'incremental' });
    // The filter, quotes and all, is part of the signed query.
    expect(seen.slice(before).every(({ url }) => new URL(url, base).searchParams.get('filter') === `dateLastModified>'${report.since}'`)).toBe(true);
    expect(report.fetched).toMatchObject({ orgs: 2, users: 4, enrollments: 2 });
    expect((await expectSameCollections()).mixed).toEqual(['admin-district']);

    const users = await read(gateway, '/users');
    expect(users.find((u) => u.sourcedId === student.sourced_id)).toMatchObject({
      familyName: 'Renamed', role: 'student', orgs: [{ sourcedId: 'school-001' }, { sourcedId: 'school-002' }],
    });
    expect(users.find((u) => u.sourcedId === 'teacher-new')).toMatchObject({ role: 'teacher', orgs: [{ sourcedId: 'school-002' }, { sourcedId: 'dept-arts' }] });
    expect(users.find((u) => u.sourcedId === 'admin-new')).toMatchObject({ role: 'administrator', orgs: [{ sourcedId: 'district-1' }] });
    expect((await read(gateway, '/enrollments')).find((e) => e.sourcedId === enrollment.sourced_id)?.status).toBe('tobedeleted');
    expect(users.find((u) => u.sourcedId === guardian.sourced_id)?.status).toBe('tobedeleted');
    expect((await read(gateway, '/schools')).find((o) => o.sourcedId === 'school-002')?.name).toBe('Renamed High School');
  });

  it('a record 1.1 cannot be converted fails the run naming the page, the record and the 1.1 field; nothing is written', async () => {
    const before = await read(gateway, '/users');
    const em = upstream.db.orm.em.fork();
    // The upstream serves a stored role it does not know as it is: here a 1.1 role outside the 1.1 vocabulary.
    const [role] = await run(em, sql`update user_roles set role = 'coach' where sourced_id = 'role-admin-district-1' returning role`);
    expect(role).toEqual({ role: 'coach' });
    try {
      const report = await syncSource(gateway.db, SOURCES_KEY, 'legacy', { full: true });
      expect(report.ok).toBe(false);
      expect(report.error).toMatch(/invalid upstream records; nothing was written/);
      expect(report.errors).toEqual([{
        url: `${base}/ims/oneroster/v1p1/users?limit=1000&offset=0`, sourcedId: 'admin-district', field: 'role',
        reason: '"coach" is not one of administrator, aide, guardian, parent, proctor, relative, student, teacher or ext:<token>',
      }]);
    } finally {
      await run(em, sql`update user_roles set role = 'districtAdministrator' where sourced_id = 'role-admin-district-1'`);
    }
    expect(await read(gateway, '/users')).toEqual(before);
  });

  it('sources test: the first page of each collection through signed 1.1 requests', async () => {
    const probe = await probeSource(gateway.db.orm.em.fork(), SOURCES_KEY, 'legacy', { pageSize: 5 });
    expect(probe.auth).toBe('oauth1');
    expect(probe.collections.map((c) => c.collection)).toEqual(['orgs', 'academicSessions', 'courses', 'classes', 'users', 'enrollments', 'demographics']);
    expect(probe.collections.find((c) => c.collection === 'users')).toEqual({
      collection: 'users', url: `${base}/ims/oneroster/v1p1/users?limit=5&offset=0`, records: 5, total: (await read(upstream, '/users')).length,
    });

    // A 1.1 provider that also takes OAuth 2 bearer tokens (as this server does): a token, then the same 1.1 paths.
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, legacy({ name: 'legacy-oauth2', auth: 'oauth2', tokenUrl: `${base}/oauth/token` }));
    const before = seen.length;
    const bearer = await probeSource(gateway.db.orm.em.fork(), SOURCES_KEY, 'legacy-oauth2', { pageSize: 5 });
    expect(bearer.auth).toBe('oauth2');
    expect(bearer.collections).toEqual(probe.collections);
    expect(seen.slice(before).map((r) => r.url.split('?')[0])).toEqual(['/oauth/token', ...probe.collections.map((c) => new URL(c.url).pathname)]);
    expect(seen.slice(before + 1).every((r) => r.authorization.startsWith('Bearer '))).toBe(true);
  });

  // Last: each wrong signature counts towards the upstream's failure limiter for this address (5 lock it for a minute).
  it('a wrong secret fails the run cleanly: 401 naming the URL, never the secret, nothing written', async () => {
    const secret = 'not-the-secret-0123456789';
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, legacy({ name: 'wrong', clientSecret: secret, prefix: 'w-' }));
    const em = gateway.db.orm.em.fork();
    const count = async () => (await run(em, sql`select (select count(*) from users) + (select count(*) from orgs) + (select count(*) from source_records) as n`))[0]!.n;
    const before = await count();

    const report = await syncSource(gateway.db, SOURCES_KEY, 'wrong');
    expect(report.ok).toBe(false);
    expect(report.error).toBe(`upstream answered 401: ${base}/ims/oneroster/v1p1/orgs?limit=1000&offset=0`);
    expect(await count()).toBe(before);
    const [runRow] = await run(em, sql`select status, error from sync_runs where source_name = 'wrong'`);
    expect(runRow).toEqual({ status: 'failed', error: report.error });
    const listed = JSON.stringify(await listSources(em));
    expect(JSON.stringify(report)).not.toContain(secret);
    expect(listed).not.toContain(secret);
    expect(listed).toContain('upstream answered 401');

    await expect(probeSource(em, SOURCES_KEY, 'wrong')).rejects.toThrow(`upstream answered 401: ${base}/ims/oneroster/v1p1/orgs?limit=100&offset=0`);
  });
});
