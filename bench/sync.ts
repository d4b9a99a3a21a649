/**
 * `npm run bench:sync`: the aggregator against a CSV import of the same data, on the PostgreSQL server.
 *
 * 1. Upstream: a scratch database seeded with the bench district (the CLI's `seed` in a child process, 20 schools,
 *    20,000 students, seed 1, the district of bench:graph and bench:load), served by this server on a free loopback
 *    port. Seeding here would leave a heap that slows every garbage collection of the upstream while it serves.
 * 2. Full sync of all three services (rostering, gradebook, resources) into a fresh gateway database, in a
 *    child process (its peak RSS is the sync's own).
 * 3. A 1 % change upstream: direct updates that bump dateLastModified on one record in a hundred of every
 *    synced table; then an incremental sync (margin 0: the seed's own dateLastModified are older than the full run).
 * 4. CSV: the upstream exported to a folder by the export code, imported into another fresh database (a child).
 * Prints the figures as a Markdown section (also written to tmp/bench-sync/section.md).
 *
 * Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SCHOOLS (20), BENCH_STUDENTS (20000), BENCH_PAGE_SIZE (5000).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDatabase } from './scratch-database.js';
import { runsBuild, service, serviceFrom } from './service-modules.js';
import { readEveryPage } from './fetch-floor.js';
import { servedUpstream } from './upstream.js';

const SERVER = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const SCHOOLS = Number(process.env.BENCH_SCHOOLS || 20);
const STUDENTS = Number(process.env.BENCH_STUDENTS || 20_000);
/** The source's --page-size: larger pages cost fewer requests (and upstream counts) and more memory per page in flight. */
const PAGE_SIZE = Number(process.env.BENCH_PAGE_SIZE || 5000);
const WORK = path.resolve('tmp/bench-sync');
const SELF = fileURLToPath(import.meta.url);
const SOURCE = 'upstream';
/** Tables the 1 % change touches (all synced root tables). */
const CHANGED_TABLES = ['orgs', 'academic_sessions', 'courses', 'classes', 'users', 'enrollments', 'demographics', 'categories',
  'score_scales', 'line_items', 'results', 'assessment_line_items', 'assessment_results', 'resources'];

/** CPU time of every process on the machine so far (gateway, upstream, PostgreSQL, anything else), in core-seconds. */
const machineCpuSeconds = () => os.cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0) / 1000;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

interface ChildResult { seconds: number; cpuSeconds: number; maxRssBytes: number; result: any }

async function openAt(url: string) {
  const { openDatabase } = await service<typeof import('../src/db/orm.js')>('db/orm.js');
  return openDatabase({ databaseUrl: url, dataDir: '', embeddedConnections: 1, statementTimeoutMs: 0 });
}

/** Child mode: one sync run, one CSV import or the fetch floor in this process; prints the timing and this process's peak RSS. */
async function child(mode: string, arg: string) {
  const db = mode === 'fetch' ? undefined : await openAt(process.env.DATABASE_URL!);
  const t0 = performance.now();
  let result: unknown;
  if (mode === 'fetch') {
    result = await readEveryPage(arg, { client_id: process.env.BENCH_CLIENT_ID!, client_secret: process.env.BENCH_CLIENT_SECRET! }, PAGE_SIZE);
  } else if (mode === 'import') {
    const { importPackage } = await service<typeof import('../src/csv/import.js')>('csv/import.js');
    result = await importPackage(db!, arg);
  } else {
    const { syncSource } = await service<typeof import('../src/sync/run.js')>('sync/run.js');
    result = await syncSource(db!, Buffer.from(process.env.SOURCES_KEY!, 'base64'), SOURCE,
      { full: arg === 'full', marginMs: 0,
        // Where the time goes: each collection's fetch, then the write (the rest of the run).
        onProgress: (m) => process.stderr.write(`  ${((performance.now() - t0) / 1000).toFixed(1)} s ${m}\n`) });
  }
  const seconds = (performance.now() - t0) / 1000;
  await db?.close();
  const usage = process.resourceUsage();
  console.log(JSON.stringify({ seconds, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssBytes: usage.maxRSS * 1024, result }));
}

function runChild(mode: string, arg: string, env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', SELF, `--child-${mode}`, arg], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${mode} child exited ${code}`))));
  });
}

async function main() {
  console.log(`service: ${serviceFrom}${runsBuild ? '' : ' (dist/ is missing or stale: `npm run build` to measure what the command runs)'}`);
  const { run, sql } = await service<typeof import('../src/db/sql.js')>('db/sql.js');
  const { addSource } = await service<typeof import('../src/sync/sources.js')>('sync/sources.js');
  const { exportPackage } = await service<typeof import('../src/csv/export.js')>('csv/export.js');
  const { folderSink } = await service<typeof import('../src/csv/sinks.js')>('csv/sinks.js');

  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const upstream = await servedUpstream(SERVER, 'bench_sync_up', { schools: SCHOOLS, students: STUDENTS, seed: 1 },
    ['roster.readonly', 'roster-demographics.readonly', 'gradebook.readonly', 'assessment.readonly', 'resource.readonly']);
  const { base, client, seeded, db: upDb } = upstream;
  const gw = await scratchDatabase(SERVER, 'bench_sync_gw');
  const csv = await scratchDatabase(SERVER, 'bench_sync_csv');
  try {
    console.log(`upstream: seeded ${seeded.total.toLocaleString('en-US')} rows in ${seeded.seconds.toFixed(1)} s (child process)`);

    const sourcesKey = randomBytes(32).toString('base64');
    for (const url of [gw.url, csv.url]) await (await openAt(url)).close(); // migrate
    const gwDb = await openAt(gw.url);
    await addSource(gwDb.orm.em.fork(), Buffer.from(sourcesKey, 'base64'), {
      name: SOURCE, baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: client.client_id, clientSecret: client.client_secret, services: 'rostering,gradebook,resources', pageSize: String(PAGE_SIZE),
    });
    await gwDb.close();

    const env = { DATABASE_URL: gw.url, SOURCES_KEY: sourcesKey };
    // The upstream is this process: its CPU while it serves the full run.
    const upstreamCpu0 = process.cpuUsage();
    const machineCpu0 = machineCpuSeconds();
    const full = await runChild('sync', 'full', env);
    const upstreamCpu = process.cpuUsage(upstreamCpu0);
    const machineCpu = machineCpuSeconds() - machineCpu0;
    const upstreamCpuSeconds = (upstreamCpu.user + upstreamCpu.system) / 1e6;
    if (!full.result.ok) throw new Error(`full sync failed: ${full.result.error} ${JSON.stringify(full.result.errors.slice(0, 3))}`);
    const fetched = Object.values(full.result.fetched as Record<string, number>).reduce((a, b) => a + b, 0);
    console.log(`full sync: ${full.seconds.toFixed(1)} s, ${fetched.toLocaleString('en-US')} records fetched, ${full.result.changed.toLocaleString('en-US')} rows written, peak RSS ${mb(full.maxRssBytes)}`);

    // The floor: reading the pages and nothing else, with the upstream's CPU while it serves them.
    const floorUpstreamCpu0 = process.cpuUsage();
    const floor = await runChild('fetch', base, { BENCH_CLIENT_ID: client.client_id, BENCH_CLIENT_SECRET: client.client_secret });
    const floorUpstreamCpu = process.cpuUsage(floorUpstreamCpu0);
    if (floor.result !== fetched) throw new Error(`the floor read ${floor.result} records, the sync ${fetched}`);
    console.log(`floor (every page read with plain fetch, nothing else): ${floor.seconds.toFixed(1)} s`);

    let touched = 0;
    for (const table of CHANGED_TABLES) {
      const rows = await run(upDb.orm.em.fork(), sql`with u as (update ${sql.table(table)} set date_last_modified = now(),
          metadata = coalesce(metadata, '{}'::jsonb) || ${JSON.stringify({ benchTouched: true })}::jsonb
        where abs(hashtext(sourced_id)) % 100 = 0 returning 1) select count(*)::int as n from u`);
      touched += Number(rows[0]!.n);
    }
    console.log(`upstream: ${touched.toLocaleString('en-US')} records changed (1 %)`);
    const inc = await runChild('sync', 'incremental', env);
    if (!inc.result.ok) throw new Error(`incremental sync failed: ${inc.result.error}`);
    console.log(`incremental sync: ${inc.seconds.toFixed(1)} s, ${inc.result.changed} changed, peak RSS ${mb(inc.maxRssBytes)}`);

    const dir = path.join(WORK, 'export');
    const exported = await exportPackage(upDb, await folderSink(dir));
    const imp = await runChild('import', dir, { DATABASE_URL: csv.url });
    if (!imp.result.ok) throw new Error(`import failed: ${JSON.stringify(imp.result.errors.slice(0, 3))}`);
    const csvRows = Object.values(imp.result.written as Record<string, { upserted: number }>).reduce((a, b) => a + b.upserted, 0);
    console.log(`CSV import of the upstream's export: ${imp.seconds.toFixed(1)} s, ${csvRows.toLocaleString('en-US')} rows, peak RSS ${mb(imp.maxRssBytes)}`);
    void exported;

    const ratio = full.seconds / imp.seconds;
    const share = inc.seconds / full.seconds;
    const peak = Math.max(full.maxRssBytes, inc.maxRssBytes);
    const section = [
      '## bench:sync', '',
      `\`npm run bench:sync\` (${new Date().toISOString().slice(0, 10)}, PostgreSQL server, ${SCHOOLS} schools, ${STUDENTS.toLocaleString('en-US')} students, `
        + `${seeded.total.toLocaleString('en-US')} rows upstream; upstream served by this server on a loopback port, pages of ${PAGE_SIZE.toLocaleString('en-US')}):`, '',
      '| | seconds | target | peak RSS | CPU of the process |', '|---|---:|---|---:|---:|',
      `| full sync (${fetched.toLocaleString('en-US')} records, ${full.result.changed.toLocaleString('en-US')} rows written) | ${full.seconds.toFixed(1)} | | ${mb(full.maxRssBytes)} | ${full.cpuSeconds.toFixed(1)} s |`,
      `| CSV import of the upstream's export (${csvRows.toLocaleString('en-US')} rows) | ${imp.seconds.toFixed(1)} | | ${mb(imp.maxRssBytes)} | ${imp.cpuSeconds.toFixed(1)} s |`,
      `| ratio full sync ÷ CSV import | ${ratio.toFixed(2)} | ≤ 2 | | |`,
      `| floor: every page read with plain fetch + JSON.parse and nothing else, two in flight (the least any full sync of this upstream takes) | ${floor.seconds.toFixed(1)} | | ${mb(floor.maxRssBytes)} | ${floor.cpuSeconds.toFixed(1)} s (upstream ${((floorUpstreamCpu.user + floorUpstreamCpu.system) / 1e6).toFixed(1)} s) |`,
      `| floor ÷ CSV import | ${(floor.seconds / imp.seconds).toFixed(2)} | | | |`,
      `| full sync ÷ floor | ${(full.seconds / floor.seconds).toFixed(2)} | | | |`,
      `| incremental sync after a 1 % change (${touched.toLocaleString('en-US')} records) | ${inc.seconds.toFixed(1)} | | ${mb(inc.maxRssBytes)} | ${inc.cpuSeconds.toFixed(1)} s |`,
      `| incremental ÷ full | ${share.toFixed(3)} | < 0.10 | | |`,
      `| peak RSS of the sync process | | < 400 MB | ${mb(peak)} | |`,
      `| upstream (this server, in the bench process) while it serves the full sync | | | | ${upstreamCpuSeconds.toFixed(1)} s |`,
      `| the whole machine during the full sync (gateway, upstream, PostgreSQL; ${os.cpus().length} cores) | | | | ${machineCpu.toFixed(1)} s |`, '',
    ].join('\n');
    fs.writeFileSync(path.join(WORK, 'section.md'), section);
    console.log(`\n${section}`);
  } finally {
    await upstream.close();
    await gw.drop();
    await csv.drop();
  }
}

const childMode = process.argv.find((a) => a.startsWith('--child-'));
if (childMode) await child(childMode.slice('--child-'.length), process.argv[process.argv.indexOf(childMode) + 1]!);
else await main();
