/**
 * `npm run bench:rest`: the REST layer (OneRoster GET → cached GraphQL document → in-process
 * execution → OneRoster JSON) against a hand-written baseline route that runs the equivalent SQL
 * with the pg driver and serialises the same JSON. Both are Fastify routes in this process, called
 * through `app.inject`, paging through /users (limit 1000), /enrollments (limit 1000) and
 * /schools/{id}/students (limit 1000) on a generated district seeded into a scratch database on the
 * DATABASE_URL server (dropped afterwards). BENCH_STUDENTS, BENCH_SCHOOLS, BENCH_ROUNDS and BENCH_CLIENTS
 * (concurrent consumers, default "1,4") tune it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadSigningKeys } from '../src/auth/signing-keys.js';
import { loadConfig } from '../src/db/config.js';
import { openDatabase } from '../src/db/orm.js';

const SCHOOLS = Number(process.env.BENCH_SCHOOLS ?? 4);
const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 8000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Concurrent consumers: 1 measures latency, more measure throughput. */
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,4').split(',').map(Number);
const PAGE = 1000;
const ORIGIN = 'http://localhost';
const R = '/ims/oneroster/rostering/v1p2';

type Obj = Record<string, unknown>;
const ref = (collection: string, type: string) => (id: string) =>
  ({ href: `${ORIGIN}${R}/${collection}/${encodeURIComponent(id)}`, sourcedId: id, type });
const orgRef = ref('orgs', 'org');
const userRef = ref('users', 'user');
const classRef = ref('classes', 'class');
const resourceRef = (id: string) => ({ href: `${ORIGIN}/ims/oneroster/resources/v1p2/resources/${encodeURIComponent(id)}`, sourcedId: id, type: 'resource' });

/** Copies the non-empty values, in order: OneRoster omits empty optional properties. */
function compact(entries: [string, unknown][]): Obj {
  const out: Obj = {};
  for (const [k, v] of entries) if (v != null && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out;
}
const DLM = `to_char(t.date_last_modified at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const USER_COLUMNS = `t.sourced_id, t.status, ${DLM} as dlm, t.metadata, t.user_master_identifier, t.username, t.user_ids, t.enabled_user,
  t.given_name, t.family_name, t.middle_name, t.preferred_first_name, t.preferred_middle_name, t.preferred_last_name, t.pronouns,
  (select json_agg(json_build_object('roleType', r.role_type, 'role', r.role, 'org', r.org_sourced_id, 'userProfile', r.user_profile,
     'beginDate', r.begin_date, 'endDate', r.end_date) order by r.sourced_id) from user_roles r where r.user_sourced_id = t.sourced_id) as roles,
  (select json_agg(json_build_object('profileId', p.sourced_id, 'profileType', p.profile_type, 'vendorId', p.vendor_id,
     'applicationId', p.application_id, 'description', p.description, 'credentials', p.credentials) order by p.sourced_id)
     from user_profiles p where p.user_sourced_id = t.sourced_id) as profiles,
  t.primary_org_sourced_id, t.identifier, t.email, t.sms, t.phone,
  (select array_agg(a.agent_sourced_id order by a.agent_sourced_id) from user_agents a where a.user_sourced_id = t.sourced_id) as agents,
  t.grades, t.password,
  (select array_agg(distinct ur.resource_sourced_id) from user_resources ur where ur.user_sourced_id = t.sourced_id) as resources`;

const ENROLLMENT_COLUMNS = `t.*, ${DLM} as dlm`;

function userJson(r: Obj): Obj {
  const roles = (r.roles as Obj[] | null ?? []).map((x) => compact([['roleType', x.roleType], ['role', x.role], ['org', orgRef(x.org as string)],
    ['userProfile', x.userProfile], ['beginDate', x.beginDate], ['endDate', x.endDate]]));
  const profiles = (r.profiles as Obj[] | null ?? []).map((p) => compact([['profileId', p.profileId], ['profileType', p.profileType],
    ['vendorId', p.vendorId], ['applicationId', p.applicationId], ['description', p.description],
    ['credentials', (p.credentials as Obj[] | null)?.map((c) => compact(Object.entries(c)))]]));
  return compact([
    ['sourcedId', r.sourced_id], ['status', r.status], ['dateLastModified', r.dlm], ['metadata', r.metadata],
    ['userMasterIdentifier', r.user_master_identifier], ['username', r.username], ['userIds', r.user_ids],
    ['enabledUser', r.enabled_user == null ? null : String(r.enabled_user)], ['givenName', r.given_name], ['familyName', r.family_name],
    ['middleName', r.middle_name], ['preferredFirstName', r.preferred_first_name], ['preferredMiddleName', r.preferred_middle_name],
    ['preferredLastName', r.preferred_last_name], ['pronouns', r.pronouns], ['roles', roles], ['userProfiles', profiles],
    ['primaryOrg', r.primary_org_sourced_id && orgRef(r.primary_org_sourced_id as string)], ['identifier', r.identifier],
    ['email', r.email], ['sms', r.sms], ['phone', r.phone], ['agents', (r.agents as string[] | null)?.map(userRef)],
    ['grades', r.grades], ['password', r.password], ['resources', (r.resources as string[] | null)?.map(resourceRef)],
  ]);
}

function enrollmentJson(r: Obj): Obj {
  return compact([
    ['sourcedId', r.sourced_id], ['status', r.status], ['dateLastModified', r.dlm], ['metadata', r.metadata],
    ['user', userRef(r.user_sourced_id as string)], ['class', classRef(r.class_sourced_id as string)], ['school', orgRef(r.school_sourced_id as string)],
    ['role', r.role], ['primary', r.primary == null ? null : String(r.primary)], ['beginDate', r.begin_date], ['endDate', r.end_date],
  ]);
}

/** The hand-written baseline: plain SQL through a pg pool, one page statement plus one count, JSON built by hand. */
function baselineApp(pool: pg.Pool): FastifyInstance {
  const app = Fastify({ logger: false });
  // Dates as the text PostgreSQL prints (YYYY-MM-DD), as the graph serves them.
  const types: pg.CustomTypesConfig = {
    getTypeParser: ((oid: number) => (oid === 1082 ? (v: string) => v : pg.types.getTypeParser(oid))) as pg.CustomTypesConfig['getTypeParser'],
  };
  /**
   * `ids` selects the page's keys in order; `columns` reads them. Paging the keys first means the
   * per-row subqueries run for the page only, not for every row that OFFSET skips.
   */
  const page = async (query: Obj, table: string, columns: string, ids: string, count: string, values: unknown[], json: (r: Obj) => Obj, key: string) => {
    const limit = Number(query.limit ?? 100);
    const offset = Number(query.offset ?? 0);
    const text = `select ${columns} from (${ids} limit ${limit} offset ${offset}) p join ${table} t
      on t.sourced_id = p.sourced_id order by t.sourced_id`;
    const [list, total] = await Promise.all([
      pool.query({ text, values, types }),
      pool.query({ text: count, values }),
    ]);
    return { key, body: list.rows.map(json), total: Number(total.rows[0].n) };
  };
  const send = (reply: FastifyReply, p: { key: string; body: Obj[]; total: number }) =>
    reply.header('x-total-count', String(p.total)).send({ [p.key]: p.body });

  app.get('/baseline/users', async (req, reply) => send(reply, await page(req.query as Obj, 'users', USER_COLUMNS,
    'select sourced_id from users order by sourced_id', 'select count(*) as n from users', [], userJson, 'users')));
  app.get('/baseline/enrollments', async (req, reply) => send(reply, await page(req.query as Obj, 'enrollments', ENROLLMENT_COLUMNS,
    'select sourced_id from enrollments order by sourced_id', 'select count(*) as n from enrollments', [], enrollmentJson, 'enrollments')));
  app.get<{ Params: { id: string } }>('/baseline/schools/:id/students', async (req, reply) => {
    const school = await pool.query(`select 1 from orgs where sourced_id = $1 and type = 'school'`, [req.params.id]);
    if (!school.rowCount) return reply.code(404).send({ imsx_codeMajor: 'failure' });
    const students = `select distinct user_sourced_id from user_roles where org_sourced_id = $1 and role = 'student'`;
    return send(reply, await page(req.query as Obj, 'users', USER_COLUMNS,
      `select sourced_id from users where sourced_id in (${students}) order by sourced_id`,
      `select count(*) as n from users t where t.sourced_id in (${students})`, [req.params.id], userJson, 'users'));
  });
  return app;
}

/** The baseline must produce the very JSON the REST layer does, or the comparison means nothing. */
function assertSame(name: string, rest: Obj[], base: Obj[]) {
  if (rest.length !== base.length) throw new Error(`${name}: ${rest.length} records over REST, ${base.length} from the baseline`);
  const i = rest.findIndex((r, k) => !isDeepStrictEqual(r, base[k]));
  if (i >= 0) throw new Error(`${name}: record ${i} differs\nREST:     ${JSON.stringify(rest[i])}\nbaseline: ${JSON.stringify(base[i])}`);
}

interface Scenario { name: string; rest: string; baseline: string; key: string }

async function pages(app: FastifyInstance, path: string, key: string): Promise<{ requests: number; bodies: Obj[][] }> {
  const bodies: Obj[][] = [];
  let total = Infinity;
  for (let offset = 0; offset < total; offset += PAGE) {
    const res = await app.inject({ url: `${path}?limit=${PAGE}&offset=${offset}`, headers: { host: 'localhost' } });
    if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
    total = Number(res.headers['x-total-count']);
    bodies.push((res.json() as Record<string, Obj[]>)[key]!);
  }
  return { requests: bodies.length, bodies };
}

/** Requests per second while `clients` consumers each walk the whole collection ROUNDS times. */
async function measure(app: FastifyInstance, path: string, key: string, clients: number): Promise<number> {
  await pages(app, path, key); // warm-up: documents cached, JIT warm, pages in the database's cache
  const started = performance.now();
  const counts = await Promise.all(Array.from({ length: clients }, async () => {
    let requests = 0;
    for (let i = 0; i < ROUNDS; i++) requests += (await pages(app, path, key)).requests;
    return requests;
  }));
  return counts.reduce((a, b) => a + b, 0) / ((performance.now() - started) / 1000);
}

async function main() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('bench:rest needs DATABASE_URL (a PostgreSQL server to create a scratch database on)');
  const name = `og_bench_rest_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // Seeded by the CLI in a child process, as bench/graph.ts does: generating the rows here would leave a heap
  // that slows every later garbage collection of the measured runs.
  const started = performance.now();
  execFileSync(process.execPath, [...process.execArgv, fileURLToPath(new URL('../src/cli.ts', import.meta.url)), 'seed',
    '--schools', String(SCHOOLS), '--students', String(STUDENTS), '--seed', '42'],
  { env: { ...process.env, DATABASE_URL: url.toString() }, stdio: ['ignore', 'ignore', 'inherit'] });
  const db = await openDatabase({ dataDir: '', embeddedConnections: 4, statementTimeoutMs: 600_000, databaseUrl: url.toString() });
  // The same pool size and session settings as the app's ORM pool on a server (src/db/orm.ts): JIT off.
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10, options: '-c jit=off' });
  // An interrupted run still drops its scratch database.
  process.once('SIGINT', () => void admin.query(`drop database if exists ${name} with (force)`).finally(() => process.exit(130)));
  try {
    // Fresh statistics, as a live database has them; without them the planner guesses small tables.
    await pool.query('analyze');
    const count = async (table: string) => Number((await pool.query(`select count(*) as n from ${table}`)).rows[0].n);
    console.log(`seeded ${SCHOOLS} schools, ${await count('users')} users, ${await count('enrollments')} enrollments in ${((performance.now() - started) / 1000).toFixed(1)} s (child process)`);
    const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
    const app = await buildApp({ db, config: loadConfig({ ...process.env, AUTH: 'off', LOG_LEVEL: 'silent' }), keys });
    const baseline = baselineApp(pool);
    const scenarios: Scenario[] = [
      { name: '/users', rest: `${R}/users`, baseline: '/baseline/users', key: 'users' },
      { name: '/enrollments', rest: `${R}/enrollments`, baseline: '/baseline/enrollments', key: 'enrollments' },
      { name: '/schools/{id}/students', rest: `${R}/schools/school-001/students`, baseline: '/baseline/schools/school-001/students', key: 'users' },
    ];
    console.log(`\n${'endpoint (limit 1000)'.padEnd(26)} ${'pages'.padStart(5)} ${'clients'.padStart(7)} ${'REST req/s'.padStart(11)} ${'baseline req/s'.padStart(15)} ${'ratio'.padStart(6)}`);
    for (const s of scenarios) {
      const [rest, base] = [await pages(app, s.rest, s.key), await pages(baseline, s.baseline, s.key)];
      assertSame(s.name, rest.bodies.flat(), base.bodies.flat());
      for (const clients of CLIENTS) {
        const restRate = await measure(app, s.rest, s.key, clients);
        const baseRate = await measure(baseline, s.baseline, s.key, clients);
        console.log(`${s.name.padEnd(26)} ${String(rest.requests).padStart(5)} ${String(clients).padStart(7)} ${restRate.toFixed(1).padStart(11)} ${baseRate.toFixed(1).padStart(15)} ${(restRate / baseRate).toFixed(2).padStart(6)}`);
      }
    }
    await app.close();
    await baseline.close();
  } finally {
    await pool.end();
    await db.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

await main();
