import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, runCli } from '../support/cli.js';

/**
 * Starts `serve` and resolves once /healthz answers. Like test/support/cli.ts's startServe, with a
 * deadline for a machine shared by many test runs.
 */
export async function serve(env: NodeJS.ProcessEnv, port: number, deadlineMs = 180_000): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited early: ${out}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { child, output: () => out };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`serve did not answer /healthz in time: ${out}`);
}

/** A small district in a new embedded store, so `serve` starts without loading the demo district. */
export async function smallEmbeddedStore(dataDir: string): Promise<void> {
  const seeded = await runCli(['seed', '--schools', '1', '--students', '5'], { DATA_DIR: dataDir, DATABASE_URL: '' });
  if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
}
