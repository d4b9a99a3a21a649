/**
 * `npm run bench:csv`: CSV import and export against the physical floor on the PostgreSQL server.
 *
 * 1. Writes a bulk 1.2 package straight from the district generator (no database): ~100,000 users
 *    and ~1,000,000 enrollments plus the rest of a district.
 * 2. Floor: COPY every file as it is into bare all-text tables without keys or indexes, and COPY
 *    those tables back out to files.
 * 3. Import the package into the empty, migrated scratch database (a child process, so its peak
 *    RSS is its own) and export it again to a folder.
 * 4. Build every key and index the model requires once more on the imported data: the work any
 *    import that ends with this schema does beyond the floor's COPY, which bounds the ratio it can reach.
 * Appends nothing by itself; prints a Markdown section (also written to tmp/bench-csv/section.md).
 *
 * `npm run bench:csv -- --reimport`: the nightly case instead. The package is loaded into the empty
 * database (first load), imported again unchanged, then a copy with 1 % of the users, classes and
 * enrollments changed, added or removed (`writeChangedPackage` in src/csv/generate.ts) is imported; each time and its ratio to
 * the first load is printed (targets: identical ≤ 0.5, 1 % changed ≤ 0.6).
 *
 * Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_STUDENTS (62500).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { writeChangedPackage, writeDistrictPackage } from '../src/csv/generate.js';
import { scratchDatabase } from './scratch-database.js';

const SERVER = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const STUDENTS = Number(process.env.BENCH_STUDENTS || 62_500);
const WORK = path.resolve('tmp/bench-csv');
const SELF = fileURLToPath(import.meta.url);

async function sql(url: string, text: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const rate = (rows: number, s: number) => `${Math.round(rows / s).toLocaleString('en-US')} rows/s`;

/** A migrated scratch database on the server for one measurement; dropped by `drop()`. */
async function migratedScratch(): Promise<{ url: string; drop(): Promise<void> }> {
  const scratch = await scratchDatabase(SERVER, 'bench_csv');
  const { openDatabase } = await import('../src/db/orm.js');
  await (await openDatabase({ databaseUrl: scratch.url, dataDir: '', embeddedConnections: 1, statementTimeoutMs: 0 })).close(); // migrate
  return scratch;
}

/** Child mode: import or export in this process and print the timing and this process's peak RSS. */
async function child(mode: string, dir: string) {
  const { openDatabase } = await import('../src/db/orm.js');
  const { loadConfig } = await import('../src/db/config.js');
  const db = await openDatabase(loadConfig());
  const t0 = performance.now();
  let result: unknown;
  if (mode === 'import') {
    const { importPackage } = await import('../src/csv/import.js');
    result = await importPackage(db, dir);
  } else {
    const { exportPackage } = await import('../src/csv/export.js');
    const { folderSink, zipSink } = await import('../src/csv/sinks.js');
    const sink = dir.endsWith('.zip') ? zipSink(fs.createWriteStream(dir)) : await folderSink(dir);
    result = await exportPackage(db, sink);
  }
  const seconds = (performance.now() - t0) / 1000;
  await db.close();
  console.log(JSON.stringify({ seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024, result }));
}

function runChild(mode: string, dir: string, url: string): Promise<{ seconds: number; maxRssBytes: number; result: any }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', SELF, `--child-${mode}`, dir], { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${mode} child exited ${code}`))));
  });
}

async function floor(url: string, pkg: string, files: string[], outDir: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    let copyIn = 0;
    let copyOut = 0;
    for (const f of files) {
      const header = fs.readFileSync(path.join(pkg, f), 'utf8').split('\n', 1)[0].split(',');
      const table = `bare_${path.basename(f, '.csv').toLowerCase()}`;
      await c.query(`create table ${table} (${header.map((h) => `"${h}" text`).join(', ')})`);
      let t = performance.now();
      await pipeline(fs.createReadStream(path.join(pkg, f), { highWaterMark: 1024 * 1024 }), c.query(copyFrom(`copy ${table} from stdin with (format csv, header true)`)));
      copyIn += (performance.now() - t) / 1000;
      t = performance.now();
      await pipeline(c.query(copyTo(`copy ${table} to stdout with (format csv, header true)`)), fs.createWriteStream(path.join(outDir, f)));
      copyOut += (performance.now() - t) / 1000;
    }
    return { copyIn, copyOut };
  } finally {
    await c.end();
  }
}

/**
 * Each key and index the model requires on the tables the import filled, built again under a probe name (same
 * definition, same sort memory as the import) and dropped: the cheapest known way to have them is
 * a sorted build after the load (maintained row by row during the COPY, the enrollments took 2.7
 * times as long; bench/README.md), so floor ÷ (floor + these builds) bounds the ratio any import
 * into this schema can reach.
 */
async function requiredIndexBuilds(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    // Vacuumed and checkpointed first, untimed, so that neither hint-bit writes, autovacuum's pass
    // over the fresh tables nor the checkpoint the import's WAL set off are counted: the bound errs
    // on the generous side.
    await c.query('vacuum');
    await c.query('checkpoint');
    await c.query(`set maintenance_work_mem = '256MB'`);
    // Only those the data model requires (issue 2: the sourcedId key, an index on dateLastModified
    // and on every foreign key); the few others (enrollments.role, users.familyName, ...) are left out.
    const { rows } = await c.query<{ def: string }>(`select pg_get_indexdef(i.indexrelid) as def from pg_index i
      join pg_class t on t.oid = i.indrelid
      where t.relnamespace = 'public'::regnamespace and t.relname <> 'mikro_orm_migrations' and t.reltuples > 0
        and (i.indisprimary
          or i.indkey[0] = (select attnum from pg_attribute where attrelid = t.oid and attname = 'date_last_modified')
          or exists (select 1 from pg_constraint f where f.conrelid = t.oid and f.contype = 'f' and f.conkey[1] = i.indkey[0]))`);
    let seconds = 0;
    await c.query('begin');
    for (const { def } of rows) {
      const t = performance.now();
      await c.query(def.replace(/ INDEX \S+ ON /, ' INDEX bench_probe ON '));
      seconds += (performance.now() - t) / 1000;
      await c.query('drop index bench_probe');
    }
    await c.query('rollback');
    return { seconds, builds: rows.length };
  } finally {
    await c.end();
  }
}

async function main() {
  fs.rmSync(WORK, { recursive: true, force: true });
  const pkg = path.join(WORK, 'package');
  let t = performance.now();
  const counts = await writeDistrictPackage(pkg, { schools: 20, students: STUDENTS, classesPerStudent: 16, seed: 2025, lineItemsPerClass: 1 });
  const genSeconds = (performance.now() - t) / 1000;
  const files = Object.keys(counts).map((k) => `${k}.csv`);
  const rows = Object.values(counts).reduce((a, b) => a + b, 0);
  const bytes = files.reduce((a, f) => a + fs.statSync(path.join(pkg, f)).size, 0);
  console.log(`package: ${rows.toLocaleString('en-US')} rows, ${mb(bytes)}, users ${counts.users}, enrollments ${counts.enrollments} (generated in ${genSeconds.toFixed(1)} s)`);

  const { url, drop } = await migratedScratch();
  try {

    fs.mkdirSync(path.join(WORK, 'floor-out'));
    const f = await floor(url, pkg, files, path.join(WORK, 'floor-out'));
    console.log(`floor: COPY FROM ${f.copyIn.toFixed(1)} s (${rate(rows, f.copyIn)}), COPY TO ${f.copyOut.toFixed(1)} s (${rate(rows, f.copyOut)})`);

    const imp = await runChild('import', pkg, url);
    if (!imp.result.ok) throw new Error(`import failed: ${JSON.stringify(imp.result.errors.slice(0, 5))}`);
    console.log(`import: ${imp.seconds.toFixed(1)} s (${rate(rows, imp.seconds)}), peak RSS ${mb(imp.maxRssBytes)}`);
    const ix = await requiredIndexBuilds(url);
    const bound = f.copyIn / (f.copyIn + ix.seconds);
    console.log(`required keys and indexes: ${ix.builds} builds, ${ix.seconds.toFixed(1)} s; best reachable ratio ${bound.toFixed(2)}`);
    const exp = await runChild('export', path.join(WORK, 'export'), url);
    console.log(`export: ${exp.seconds.toFixed(1)} s (${rate(rows, exp.seconds)}), peak RSS ${mb(exp.maxRssBytes)}`);
    const zip = await runChild('export', path.join(WORK, 'export.zip'), url);
    console.log(`export to ZIP: ${zip.seconds.toFixed(1)} s (${rate(rows, zip.seconds)}), peak RSS ${mb(zip.maxRssBytes)}`);

    const perFile = (imp.result.files as { file: string; rows: number; rowsPerSecond: number }[])
      .filter((x) => x.rows >= 10_000).map((x) => `| ${x.file}.csv | ${x.rows.toLocaleString('en-US')} | ${Math.round(x.rowsPerSecond).toLocaleString('en-US')} |`);
    const section = [
      '## CSV', '',
      `\`npm run bench:csv\` (${new Date().toISOString().slice(0, 10)}, PostgreSQL server, ${STUDENTS.toLocaleString('en-US')} students in 20 schools): `
        + `a bulk package of ${rows.toLocaleString('en-US')} rows (${mb(bytes)}; ${counts.users.toLocaleString('en-US')} users, `
        + `${counts.enrollments.toLocaleString('en-US')} enrollments, ${counts.results.toLocaleString('en-US')} results) imported into an empty migrated database.`,
      'Floor = `COPY` of the same files into bare all-text tables without keys or indexes, and `COPY ... TO` back out to files.', '',
      '| | seconds | rows/s | ratio to floor | peak RSS |', '|---|---:|---:|---:|---:|',
      `| COPY FROM (floor) | ${f.copyIn.toFixed(1)} | ${Math.round(rows / f.copyIn).toLocaleString('en-US')} | 1.00 | |`,
      `| import (validate, stage, check, upsert; one transaction) | ${imp.seconds.toFixed(1)} | ${Math.round(rows / imp.seconds).toLocaleString('en-US')} | ${(f.copyIn / imp.seconds).toFixed(2)} | ${mb(imp.maxRssBytes)} |`,
      `| required keys and indexes alone (${ix.builds} builds on the imported data) | ${ix.seconds.toFixed(1)} | | bound: ${bound.toFixed(2)} | |`,
      `| COPY TO (floor) | ${f.copyOut.toFixed(1)} | ${Math.round(rows / f.copyOut).toLocaleString('en-US')} | 1.00 | |`,
      `| export to a folder | ${exp.seconds.toFixed(1)} | ${Math.round(rows / exp.seconds).toLocaleString('en-US')} | ${(f.copyOut / exp.seconds).toFixed(2)} | ${mb(exp.maxRssBytes)} |`,
      `| export to a ZIP | ${zip.seconds.toFixed(1)} | ${Math.round(rows / zip.seconds).toLocaleString('en-US')} | ${(f.copyOut / zip.seconds).toFixed(2)} | ${mb(zip.maxRssBytes)} |`,
      '', 'Import staging rate (parse + check + COPY into staging) of the large files:', '', '| file | rows | rows/s |', '|---|---:|---:|', ...perFile, '',
    ].join('\n');
    fs.writeFileSync(path.join(WORK, 'section.md'), section);
    console.log(`\n${section}`);
  } finally {
    await drop();
  }
}

/** First load, identical re-import, 1 % changed re-import: times and ratios to the first load. */
async function reimport() {
  fs.rmSync(WORK, { recursive: true, force: true });
  const pkg = path.join(WORK, 'package');
  const counts = await writeDistrictPackage(pkg, { schools: 20, students: STUDENTS, classesPerStudent: 16, seed: 2025, lineItemsPerClass: 1 });
  const rows = Object.values(counts).reduce((a, b) => a + b, 0);
  const changedPkg = path.join(WORK, 'changed');
  const made = Object.values(writeChangedPackage(pkg, changedPkg));
  const n = (k: 'changed' | 'added' | 'removed') => made.reduce((a, c) => a + c[k].length, 0);
  console.log(`package: ${rows.toLocaleString('en-US')} rows; changed copy: ${n('changed')} changed, ${n('added')} added, ${n('removed')} removed (users, classes, enrollments)`);
  const { url, drop } = await migratedScratch();
  try {
    const load = async (label: string, dir: string) => {
      const r = await runChild('import', dir, url);
      if (!r.result.ok) throw new Error(`${label} failed: ${JSON.stringify(r.result.errors.slice(0, 5))}`);
      const skipped = (r.result.files as { parsedBy: string }[]).filter((f) => f.parsedBy === 'unchanged').length;
      return { label, seconds: r.result.seconds as number, path: r.result.path as string, skipped, files: (r.result.files as unknown[]).length,
        written: r.result.written as Record<string, { upserted: number; markedDeleted: number }> };
    };
    const first = await load('first load', pkg);
    const runs = [first, await load('identical re-import', pkg), await load('1 % changed', changedPkg)];
    const [avg] = fs.readFileSync('/proc/loadavg', 'utf8').split(' ');
    const table = ['| import | path | files not read (unchanged) | seconds | ratio to first load | records written | marked tobedeleted |', '|---|---|---:|---:|---:|---:|---:|',
      ...runs.map((r) => {
        const sum = (k: 'upserted' | 'markedDeleted') => Object.values(r.written).reduce((a, w) => a + w[k], 0);
        return `| ${r.label} | ${r.path} | ${r.skipped} of ${r.files} | ${r.seconds.toFixed(2)} | ${(r.seconds / first.seconds).toFixed(2)} | ${sum('upserted').toLocaleString('en-US')} | ${sum('markedDeleted').toLocaleString('en-US')} |`;
      })].join('\n');
    console.log(`\n${STUDENTS.toLocaleString('en-US')} students, ${rows.toLocaleString('en-US')} rows, load average ${avg} at the end (targets: identical ≤ 0.5, 1 % changed ≤ 0.6)\n\n${table}`);
  } finally {
    await drop();
  }
}

const childMode = process.argv.find((a) => a.startsWith('--child-'));
if (childMode) await child(childMode.slice('--child-'.length), process.argv[process.argv.indexOf(childMode) + 1]);
else if (process.argv.includes('--reimport')) await reimport();
else await main();
