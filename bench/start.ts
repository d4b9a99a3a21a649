/**
 * `npm run bench:start`: how fast the CLI and the server start, beside `node -e 0` in the same run.
 * - `node <bin> --help`: wall time and peak RSS (median of BENCH_RUNS, default 5);
 * - `serve` on an existing embedded store of the demo district: time until /healthz answers;
 * - `serve` on PostgreSQL (a scratch database on the DATABASE_URL server, when set): the same.
 * Peak RSS comes from bench/report-rss.cjs, preloaded into each process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDatabase } from './scratch-database.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/oneroster-graph.js');
const rssHook = ['-r', join(root, 'bench/report-rss.cjs')];
// The bin runs dist/ only when it is current (else the sources through tsx): build first, so the figures
// are those of the compiled service.
execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
});

/** Runs node with `args` to its end: wall seconds, CPU seconds and peak RSS in MiB. */
function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ seconds: number; cpuSeconds: number; rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...rssHook, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const usage = /maxrss-kib (\d+) cpu-us (\d+)/.exec(err);
      if (code !== 0 || !usage) reject(new Error(`node ${args.join(' ')} exited ${code}: ${err.slice(-500)}`));
      else resolve({ seconds: (performance.now() - started) / 1000, cpuSeconds: Number(usage[2]) / 1e6, rssMiB: Number(usage[1]) / 1024 });
    });
  });
}

// On a machine shared with other jobs wall time mostly measures the load; the CPU time the process used
// until it answered (all threads, from /proc on Linux) is the steadier figure beside it.
const CLOCK_TICKS = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })); } catch { return 100; } })();
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime
  } catch {
    return NaN;
  }
}

/** Starts `serve`, measures the seconds (wall, and CPU) until /healthz answers, and stops it (SIGTERM) before returning. */
async function serveUntilHealthy(env: NodeJS.ProcessEnv): Promise<{ seconds: number; cpuSeconds: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'serve'], { env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) {
          return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSecondsOf(child.pid!) };
        }
      } catch { /* not listening yet */ }
      if (performance.now() - started > 120_000) throw new Error('serve did not answer /healthz within 120 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function measure(label: string, once: () => Promise<{ seconds: number; cpuSeconds: number }>) {
  const runs: { seconds: number; cpuSeconds: number }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once());
  const times = runs.map((r) => r.seconds);
  console.log(`${label.padEnd(46)} median ${median(times).toFixed(2)} s, CPU ${median(runs.map((r) => r.cpuSeconds)).toFixed(2)} s  (runs: ${times.map((t) => t.toFixed(2)).join(', ')})`);
}

const node: { seconds: number; cpuSeconds: number; rssMiB: number }[] = [];
const help: typeof node = [];
for (let i = 0; i < RUNS; i++) {
  node.push(await run(['-e', '0']));
  help.push(await run([bin, '--help']));
}
const summary = (runs: typeof node) =>
  `median ${median(runs.map((r) => r.seconds)).toFixed(2)} s, CPU ${median(runs.map((r) => r.cpuSeconds)).toFixed(2)} s, peak RSS ${median(runs.map((r) => r.rssMiB)).toFixed(0)} MiB`;
console.log(`${'node -e 0'.padEnd(46)} ${summary(node)}`);
console.log(`${'node <bin> --help'.padEnd(46)} ${summary(help)} (target < 0.5 s, < 80 MiB)`);

const dataDir = mkdtempSync(join(tmpdir(), 'og-bench-start-'));
try {
  const embedded = { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir };
  await serveUntilHealthy(embedded); // first start: creates the store and loads the demo district
  await measure('serve -> /healthz, embedded demo store', () => serveUntilHealthy(embedded));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
if (process.env.DATABASE_URL) {
  const scratch = await scratchDatabase(process.env.DATABASE_URL, 'og_bench_start');
  try {
    const server = { ...process.env, DATABASE_URL: scratch.url };
    await serveUntilHealthy(server); // first start: migrates
    await measure('serve -> /healthz, PostgreSQL (migrated)', () => serveUntilHealthy(server));
  } finally {
    await scratch.drop();
  }
}
console.log('targets: --help < 0.5 s and < 80 MiB; serve < 2.5 s embedded, < 1.5 s on PostgreSQL');
