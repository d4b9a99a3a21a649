/**
 * `npm run bench:push`: grades sent back to a SIS (`--push-grades`) against plain HTTP requests of the same rows.
 *
 * Upstream: a scratch database with a small district (the CLI's `seed` in a child), served by this server on a
 * loopback port, every gradebook write held `BENCH_LATENCY_MS` before it is handled (a SIS across a network).
 * Gateway: a scratch database that synced the upstream's rosters as source `upstream` with `--push-grades`; line
 * items and results are written through its REST API, so the outbox holds what vendors' writes leave there.
 * For each concurrency, the same rows are queued again and delivered by `pushGrades` (claims, ordering rules,
 * bookkeeping); the baseline sends the same requests with `fetch` from a shared queue at the same concurrency,
 * with one token and no bookkeeping: the floor this upstream allows. Prints rows/s and the ratio of the times.
 *
 * Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_RESULTS (1000), BENCH_LATENCY_MS (50).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { scratchDatabase } from './scratch-database.js';
import { runsBuild, service, serviceFrom } from './service-modules.js';
import { benchApp, benchClient, clientToken, servedUpstream } from './upstream.js';

const SERVER = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const RESULTS = Number(process.env.BENCH_RESULTS || 1000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CONCURRENCIES = [1, 4, 8];
const G = '/ims/oneroster/gradebook/v1p2';
const COLLECTIONS: Record<string, string> = { Category: 'categories', ScoreScale: 'scoreScales', LineItem: 'lineItems', Result: 'results' };
const SCOPES = ['roster.readonly', 'gradebook.readonly', 'gradebook.createput', 'gradebook.delete'];

const ref = (type: string, sourcedId: string) => ({ sourcedId, type });

async function main() {
  console.log(`service: ${serviceFrom}${runsBuild ? '' : ' (dist/ is missing or stale: `npm run build` to measure what the command runs)'}`);
  const { openDatabase } = await service<typeof import('../src/db/orm.js')>('db/orm.js');
  const { run, sql } = await service<typeof import('../src/db/sql.js')>('db/sql.js');
  const { addSource } = await service<typeof import('../src/sync/sources.js')>('sync/sources.js');
  const { syncSource } = await service<typeof import('../src/sync/run.js')>('sync/run.js');
  const { pushGrades } = await service<typeof import('../src/sync/outbox-deliver.js')>('sync/outbox-deliver.js');

  const upstream = await servedUpstream(SERVER, 'bench_push_up', { schools: 1, students: Math.max(100, Math.ceil(RESULTS / 4)), seed: 3 }, SCOPES,
    (app) => app.addHook('onRequest', async (req) => {
      if (LATENCY_MS && req.method !== 'GET' && req.url.startsWith(G)) await new Promise((r) => setTimeout(r, LATENCY_MS));
    }));
  const { base, client: upClient } = upstream;
  const gw = await scratchDatabase(SERVER, 'bench_push_gw');
  const gwDb = await openDatabase({ databaseUrl: gw.url, dataDir: '', embeddedConnections: 1, statementTimeoutMs: 0 });
  let gateway: FastifyInstance | undefined;
  try {

    const sourcesKey = randomBytes(32);
    await addSource(gwDb.orm.em.fork(), sourcesKey, {
      name: 'upstream', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: upClient.client_id, clientSecret: upClient.client_secret, pushGrades: true,
    });
    const synced = await syncSource(gwDb, sourcesKey, 'upstream');
    if (!synced.ok) throw new Error(`sync failed: ${synced.error}`);

    // Vendors' writes on the gateway: a line item per class, then a result per enrolled student, until RESULTS.
    gateway = await benchApp(gwDb, gw.url, 'bench_push_gw');
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    const gwClient = await benchClient(gwDb, 'vendor', SCOPES);
    const authorization = `Bearer ${await clientToken(`http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`, gwClient)}`;
    const put = async (path: string, payload: Record<string, unknown>) => {
      const res = await gateway!.inject({ method: 'PUT', url: `${G}${path}`, headers: { authorization }, payload });
      if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`PUT ${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    };
    await put('/categories/cat-homework', { category: { sourcedId: 'cat-homework', status: 'active', title: 'Homework' } });
    const enrollments = await run(gwDb.orm.em.fork(), sql`select e.class_sourced_id as class, e.user_sourced_id as student, c.school_sourced_id as school
      from enrollments e join classes c on c.sourced_id = e.class_sourced_id where e.role = 'student' order by e.class_sourced_id, e.user_sourced_id limit ${RESULTS}`);
    const lineItems = new Set<string>();
    for (const [i, e] of enrollments.entries()) {
      const lineItem = `li-bench-${String(e.class)}`;
      if (!lineItems.has(lineItem)) {
        lineItems.add(lineItem);
        await put(`/lineItems/${lineItem}`, { lineItem: { sourcedId: lineItem, status: 'active', title: 'Unit test', assignDate: '2026-11-01T08:00:00.000Z',
          dueDate: '2026-11-08T08:00:00.000Z', class: ref('class', String(e.class)), school: ref('org', String(e.school)), category: ref('category', 'cat-homework'),
          resultValueMin: 0, resultValueMax: 100 } });
      }
      await put(`/results/res-bench-${i}`, { result: { sourcedId: `res-bench-${i}`, status: 'active', lineItem: ref('lineItem', lineItem),
        student: ref('user', String(e.student)), scoreStatus: 'fully graded', score: i % 101, scoreDate: '2026-11-20' } });
    }
    const rows = await run(gwDb.orm.em.fork(), sql`select record_type, sourced_id, body from grade_outbox order by id`);
    console.log(`outbox: ${rows.length} rows (a category, ${lineItems.size} line items, ${enrollments.length} results); upstream write latency ${LATENCY_MS} ms`);

    const upToken = await clientToken(base, upClient);
    const baseline = async (concurrency: number) => {
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < rows.length; i = next++) {
          const row = rows[i]!;
          const res = await fetch(`${base}${G}/${COLLECTIONS[String(row.record_type)]}/${encodeURIComponent(String(row.sourced_id))}`, {
            method: 'PUT', body: JSON.stringify(row.body), headers: { authorization: `Bearer ${upToken}`, 'content-type': 'application/json' } });
          await res.text();
          if (!res.ok) throw new Error(`baseline PUT: ${res.status}`);
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: concurrency }, worker));
      return (performance.now() - t0) / 1000;
    };
    const pushed = async (concurrency: number) => {
      await run(gwDb.orm.em.fork(), sql`update grade_outbox set delivered_at = null, failed_at = null, claimed_until = null, attempts = 0, next_attempt_at = now()`);
      const t0 = performance.now();
      const [report] = await pushGrades(gwDb, sourcesKey, { source: 'upstream', concurrency, maxRows: rows.length });
      const seconds = (performance.now() - t0) / 1000;
      if (report?.delivered !== rows.length) throw new Error(`push delivered ${report?.delivered} of ${rows.length}: ${JSON.stringify(report)}`);
      return seconds;
    };

    const lines = ['| Requests at once | push-grades | rows/s | plain fetch | rows/s | ratio |', '|---:|---:|---:|---:|---:|---:|'];
    for (const c of CONCURRENCIES) {
      const p = await pushed(c);
      const b = await baseline(c);
      lines.push(`| ${c} | ${p.toFixed(2)} s | ${Math.round(rows.length / p)} | ${b.toFixed(2)} s | ${Math.round(rows.length / b)} | ${(p / b).toFixed(2)} |`);
      console.log(lines.at(-1));
    }
    console.log(`\n## bench:push (${new Date().toISOString().slice(0, 10)}, ${rows.length} outbox rows, upstream write latency ${LATENCY_MS} ms)\n\n${lines.join('\n')}`);
  } finally {
    await gateway?.close();
    await gwDb.close();
    await gw.drop();
    await upstream.close();
  }
}

await main();
