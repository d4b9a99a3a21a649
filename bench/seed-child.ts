import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Seeds the bench district into the database at `url` with the CLI's `seed` in a child process (the build
 * when fresh, as bin/ chooses): generating several hundred thousand rows in the bench's own process would
 * leave a heap that slows every later garbage collection of what it measures. Its report line gives the count.
 */
export function seedInChild(url: string, district: { schools: number; students: number; seed: number }): { total: number; seconds: number } {
  const cli = fileURLToPath(new URL('../bin/oneroster-graph.js', import.meta.url));
  const out = execFileSync(process.execPath, [cli, 'seed', '--schools', String(district.schools), '--students', String(district.students),
    '--seed', String(district.seed)], { env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const m = /seeded (\d+) records in ([\d.]+) s/.exec(out);
  if (!m) throw new Error(`seed printed no report: ${out.slice(-300)}`);
  return { total: Number(m[1]), seconds: Number(m[2]) };
}
