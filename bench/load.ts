/**
 * `npm run bench:load`: throughput of small requests under concurrency. The service runs as it does in
 * production (`node bin/oneroster-graph.js serve`, NODE_ENV=production, default logging to a file) and, in the
 * same run, the hand-written baseline server (bench/load-baseline.ts: Fastify + pg, the same endpoints at the
 * same paths); both are separate processes on 127.0.0.1 over one scratch database on the DATABASE_URL server
 * (seeded by the CLI, dropped afterwards). autocannon loads each endpoint at 1, 8 and 50 connections,
 * alternating service and baseline, and prints req/s, p50, p99 and the ratios.
 * BENCH_SCHOOLS, BENCH_STUDENTS, BENCH_SECONDS (per measurement), BENCH_CONNECTIONS ("1,8,50") tune it.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { scratchDatabase } from './scratch-database.js';

const SCHOOLS = Number(process.env.BENCH_SCHOOLS ?? 20);
const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 20000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,8,50').split(',').map(Number);
const R = '/ims/oneroster/rostering/v1p2';
const root = fileURLToPath(new URL('..', import.meta.url));

interface Endpoint { name: string; kind: 'record' | 'page'; method: 'GET' | 'POST'; path: string; body?: string; form?: boolean }

function endpoints(userId: string, classId: string, credentials: string): Endpoint[] {
  const gql = (operationName: string, query: string, variables = {}) => JSON.stringify({ operationName, query, variables });
  return [
    { name: 'GET /users/{id}', kind: 'record', method: 'GET', path: `${R}/users/${userId}` },
    { name: 'GET /users?limit=100', kind: 'page', method: 'GET', path: `${R}/users?limit=100` },
    { name: 'GET /classes/{id}/students', kind: 'page', method: 'GET', path: `${R}/classes/${classId}/students?limit=100` },
    { name: 'GET /enrollments?limit=1000', kind: 'page', method: 'GET', path: `${R}/enrollments?limit=1000` },
    { name: 'GraphQL users(first: 100)', kind: 'page', method: 'POST', path: '/graphql',
      body: gql('Users', 'query Users { users(first: 100) { nodes { sourcedId givenName familyName email } } }') },
    { name: 'GraphQL user(sourcedId:)', kind: 'record', method: 'POST', path: '/graphql',
      body: gql('User', 'query User($id: ID!) { user(sourcedId: $id) { sourcedId givenName familyName email roles { role org { sourcedId } } } }', { id: userId }) },
    { name: 'POST /oauth/token', kind: 'record', method: 'POST', path: '/oauth/token', body: `grant_type=client_credentials&${credentials}`, form: true },
  ];
}

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
});

async function waitFor(url: string) {
  for (let i = 0; i < 600; i++) {
    try { if ((await fetch(url)).status < 500) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

/** hrefs carry each server's origin; the bodies must be equal apart from that. */
const withoutOrigins = (text: string) => JSON.parse(text.replace(/"http:\/\/[^/"]+\//g, '"/'));

async function call(base: string, e: Endpoint, token: string) {
  const headers: Record<string, string> = e.form ? { 'content-type': 'application/x-www-form-urlencoded' }
    : { authorization: `Bearer ${token}`, ...(e.body ? { 'content-type': 'application/json' } : {}) };
  const res = await fetch(base + e.path, { method: e.method, headers, body: e.body });
  if (res.status !== 200) throw new Error(`${base}${e.path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return withoutOrigins(await res.text());
}

interface Figures { rps: number; p50: number; p99: number }
async function load(base: string, e: Endpoint, token: string, connections: number): Promise<Figures> {
  const headers: Record<string, string> = e.form ? { 'content-type': 'application/x-www-form-urlencoded' }
    : { authorization: `Bearer ${token}`, ...(e.body ? { 'content-type': 'application/json' } : {}) };
  const r = await autocannon({ url: base + e.path, method: e.method, body: e.body, headers, connections, duration: SECONDS });
  if (r.non2xx || r.errors) throw new Error(`${e.name} at ${base}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

async function main() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('bench:load needs DATABASE_URL (a PostgreSQL server to create a scratch database on)');
  const scratch = await scratchDatabase(serverUrl, 'og_bench_load');
  const { name, url } = scratch;
  const children: ChildProcess[] = [];
  const cleanup = async () => {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await scratch.drop();
  };
  try {
    const jwtKey = randomBytes(32).toString('hex');
    const env = { ...process.env, DATABASE_URL: url, JWT_SIGNING_KEY: jwtKey, NODE_ENV: 'production' };
    const cli = (...args: string[]) => execFileSync(process.execPath, [join(root, 'bin/oneroster-graph.js'), ...args],
      { env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
    const started = performance.now();
    cli('seed', '--schools', String(SCHOOLS), '--students', String(STUDENTS), '--seed', '42');
    const client = JSON.parse(cli('clients', 'add', 'bench-load', '--scopes', 'roster.readonly')) as { client_id: string; client_secret: string };
    const db = new pg.Client({ connectionString: url });
    db.on('error', () => {}); // the scratch database is dropped with (force) if the run fails
    await db.connect();
    await db.query('vacuum analyze');
    const userId = (await db.query(`select sourced_id from users order by sourced_id offset (select count(*) / 2 from users) limit 1`)).rows[0].sourced_id as string;
    const classId = (await db.query(`select class_sourced_id from enrollments where role = 'student' group by 1 order by count(*) desc, 1 limit 1`)).rows[0].class_sourced_id as string;
    await db.end();
    console.log(`seeded ${SCHOOLS} schools, ${STUDENTS} students in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const [servicePort, baselinePort] = [await freePort(), await freePort()];
    const log = join(tmpdir(), `${name}-service.log`);
    const service = spawn(process.execPath, [join(root, 'bin/oneroster-graph.js'), 'serve'],
      { env: { ...env, PORT: String(servicePort), HOST: '127.0.0.1' }, stdio: ['ignore', openSync(log, 'w'), 'inherit'] });
    const baseline = fork(join(root, 'bench/load-baseline.ts'), [],
      { env: { ...env, PORT: String(baselinePort) }, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(service, baseline);
    const [svc, base] = [`http://127.0.0.1:${servicePort}`, `http://127.0.0.1:${baselinePort}`];
    await Promise.all([waitFor(`${svc}/healthz`), waitFor(`${base}/oauth/token`)]);
    console.log(`service log: ${log}`);

    const credentials = `client_id=${client.client_id}&client_secret=${encodeURIComponent(client.client_secret)}`;
    const token = ((await (await fetch(`${svc}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&${credentials}` })).json()) as { access_token: string }).access_token;
    console.log(`\n${'endpoint'.padEnd(30)} ${'conns'.padStart(5)} ${'service req/s'.padStart(13)} ${'p50'.padStart(5)} ${'p99'.padStart(5)}`
      + ` ${'baseline req/s'.padStart(14)} ${'p50'.padStart(5)} ${'p99'.padStart(5)} ${'rps ratio'.padStart(9)} ${'p99 ratio'.padStart(9)} target`);
    for (const e of endpoints(userId, classId, credentials)) {
      if (!e.form) {
        const [a, b] = [await call(svc, e, token), await call(base, e, token)];
        if (!isDeepStrictEqual(a, b)) throw new Error(`${e.name}: the service and the baseline answer differently\n${JSON.stringify(a).slice(0, 600)}\n${JSON.stringify(b).slice(0, 600)}`);
      }
      for (const connections of CONNECTIONS) {
        await load(svc, e, token, Math.min(connections, 4)); // warm-up: documents cached, JIT warm, pages in the cache
        const s = await load(svc, e, token, connections);
        const b = await load(base, e, token, connections);
        const ratio = s.rps / b.rps;
        const p99 = s.p99 / Math.max(b.p99, 1);
        const target = connections === 50 ? `${ratio >= (e.kind === 'record' ? 0.8 : 0.9) && p99 <= 1.5 ? 'met' : 'not met'}` : '';
        console.log(`${e.name.padEnd(30)} ${String(connections).padStart(5)} ${s.rps.toFixed(0).padStart(13)} ${String(s.p50).padStart(5)} ${String(s.p99).padStart(5)}`
          + ` ${b.rps.toFixed(0).padStart(14)} ${String(b.p50).padStart(5)} ${String(b.p99).padStart(5)} ${ratio.toFixed(2).padStart(9)} ${p99.toFixed(2).padStart(9)} ${target}`);
      }
    }
  } finally {
    await cleanup();
  }
}

await main();
