/**
 * `npm run bench:rest`: the REST layer (OneRoster GET → cached GraphQL document → in-process
 * execution → OneRoster JSON) against a hand-written baseline route that runs the equivalent SQL
 * with the pg driver and serialises the same JSON. Both are Fastify routes in this process, called
 * through `app.inject`, paging through /users (limit 1000), /enrollments (limit 1000) and
 * /schools/{id}/students (limit 1000) on a generated district seeded into a scratch database on the
 * DATABASE_URL server (dropped afterwards). BENCH_STUDENTS, BENCH_SCHOOLS, BENCH_ROUNDS and BENCH_CLIENTS
 * (concurrent consumers, default "1,4") tune it; BENCH_BASELINE_ENCODER=rest makes the baseline encode its
 * JSON the way the REST layer does (src/rest/json-bytes.ts), to separate that gain from the rest.
 * A last run compares a client limited to school-001 (README "Data sharing") with a whole-district
 * client: time per returned record, scoped / unscoped (target ≤ 1.3 on every endpoint).
 * BENCH_EXECUTOR=graphql-js runs the REST documents on graphql-js instead of graphql-jit (src/graph/executor.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { ClientStore } from '../src/auth/clients.js';
import { loadSigningKeys, type SigningKeys } from '../src/auth/signing-keys.js';
import { issueAccessToken } from '../src/auth/tokens.js';
import type { Database } from '../src/db/orm.js';
import { loadConfig } from '../src/db/config.js';
import type { ExecutorName } from '../src/graph/executor.js';
import { openDatabase } from '../src/db/orm.js';
import { baselineApp } from './rest-baseline.js';
import { scratchDatabase } from './scratch-database.js';
import { seedInChild } from './seed-child.js';

const SCHOOLS = Number(process.env.BENCH_SCHOOLS ?? 4);
const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 8000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Concurrent consumers: 1 measures latency, more measure throughput. */
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,4').split(',').map(Number);
const EXECUTOR = (process.env.BENCH_EXECUTOR ?? 'graphql-jit') as ExecutorName;
if (EXECUTOR !== 'graphql-jit' && EXECUTOR !== 'graphql-js') throw new Error(`BENCH_EXECUTOR: graphql-jit or graphql-js, not ${String(EXECUTOR)}`);
const PAGE = 1000;
const R = '/ims/oneroster/rostering/v1p2';

type Obj = Record<string, unknown>;

/** The baseline must produce the very JSON the REST layer does, or the comparison means nothing. */
function assertSame(name: string, rest: Obj[], base: Obj[]) {
  if (rest.length !== base.length) throw new Error(`${name}: ${rest.length} records over REST, ${base.length} from the baseline`);
  const i = rest.findIndex((r, k) => !isDeepStrictEqual(r, base[k]));
  if (i >= 0) throw new Error(`${name}: record ${i} differs\nREST:     ${JSON.stringify(rest[i])}\nbaseline: ${JSON.stringify(base[i])}`);
}

interface Scenario { name: string; rest: string; baseline: string; key: string }

async function pages(app: FastifyInstance, path: string, key: string, authorization?: string): Promise<{ requests: number; bodies: Obj[][] }> {
  const bodies: Obj[][] = [];
  let total = Infinity;
  for (let offset = 0; offset < total; offset += PAGE) {
    const res = await app.inject({ url: `${path}?limit=${PAGE}&offset=${offset}`, headers: { host: 'localhost', ...(authorization ? { authorization } : {}) } });
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

/** Milliseconds per returned record while one consumer walks the whole collection ROUNDS times. */
async function msPerRecord(app: FastifyInstance, path: string, key: string, authorization: string): Promise<{ ms: number; records: number }> {
  await pages(app, path, key, authorization); // warm-up
  const started = performance.now();
  let records = 0;
  for (let i = 0; i < ROUNDS; i++) records += (await pages(app, path, key, authorization)).bodies.flat().length;
  return { ms: (performance.now() - started) / records, records: records / ROUNDS };
}

/** Sharing: a client limited to school-001 against a whole-district client, both with the same scope. */
async function sharingRun(db: Database, keys: SigningKeys) {
  const app = await buildApp({ db, config: loadConfig({ ...process.env, AUTH: 'on', LOG_LEVEL: 'silent' }), keys });
  const store = new ClientStore(db.orm.em);
  const bearer = async (rules: { orgs?: string[] }) => {
    const client = await store.add('bench', ['roster.readonly'], rules);
    const token = await issueAccessToken(keys, { clientId: client.client_id, scopes: client.scopes, ttlSeconds: 3600, generation: 0 });
    return `Bearer ${token.access_token}`;
  };
  const [scoped, whole] = [await bearer({ orgs: ['school-001'] }), await bearer({})];
  console.log(`\nsharing: a client limited to school-001 / a whole-district client, time per returned record (target ≤ 1.3)`);
  console.log(`${'endpoint (limit 1000)'.padEnd(26)} ${'records'.padStart(8)} ${'µs/record'.padStart(10)} ${'scoped rec'.padStart(10)} ${'µs/record'.padStart(10)} ${'ratio'.padStart(6)}`);
  for (const [name, path, key] of [['/users', `${R}/users`, 'users'], ['/enrollments', `${R}/enrollments`, 'enrollments'],
    ['/classes', `${R}/classes`, 'classes'], ['/schools/{id}/students', `${R}/schools/school-001/students`, 'users']] as const) {
    const w = await msPerRecord(app, path, key, whole);
    const s = await msPerRecord(app, path, key, scoped);
    console.log(`${name.padEnd(26)} ${String(w.records).padStart(8)} ${(w.ms * 1000).toFixed(1).padStart(10)} ${String(s.records).padStart(10)} ${(s.ms * 1000).toFixed(1).padStart(10)} ${(s.ms / w.ms).toFixed(2).padStart(6)}`);
  }
  await app.close();
}

async function main() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('bench:rest needs DATABASE_URL (a PostgreSQL server to create a scratch database on)');
  const scratch = await scratchDatabase(serverUrl, 'og_bench_rest');
  const url = scratch.url;
  const started = performance.now();
  seedInChild(url, { schools: SCHOOLS, students: STUDENTS, seed: 42 });
  const db = await openDatabase({ dataDir: '', embeddedConnections: 4, statementTimeoutMs: 600_000, databaseUrl: url });
  // The same pool size and session settings as the app's ORM pool on a server (src/db/orm.ts): JIT off.
  const pool = new pg.Pool({ connectionString: url, max: 10, options: '-c jit=off' });
  try {
    // Fresh statistics, as a live database has them; without them the planner guesses small tables.
    await pool.query('analyze');
    const count = async (table: string) => Number((await pool.query(`select count(*) as n from ${table}`)).rows[0].n);
    console.log(`seeded ${SCHOOLS} schools, ${await count('users')} users, ${await count('enrollments')} enrollments in ${((performance.now() - started) / 1000).toFixed(1)} s (child process)`);
    const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
    const app = await buildApp({ db, config: loadConfig({ ...process.env, AUTH: 'off', LOG_LEVEL: 'silent' }), keys, restExecutor: EXECUTOR });
    console.log(`REST executor: ${EXECUTOR}`);
    const encodeLikeRest = process.env.BENCH_BASELINE_ENCODER === 'rest';
    const baseline = baselineApp(pool, encodeLikeRest);
    console.log(`baseline JSON: ${encodeLikeRest ? 'encoded record by record, as the REST layer does' : "Fastify's JSON.stringify of the whole body"}`);
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
    await sharingRun(db, keys);
  } finally {
    await pool.end();
    await db.close();
    await scratch.drop();
  }
}

await main();
