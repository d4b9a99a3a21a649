import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ADMIN_SCOPE, SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken } from '../../src/auth/tokens.js';
import { writeDistrictPackage } from '../../src/csv/generate.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { onServer, testDatabase } from '../support/db.js';
import { count, scratchDir } from './support.js';

let db: Database;
let app: FastifyInstance;
let base: string;
let zip: Buffer;
let admin: string;
let reader: string;

/** A package folder as one ZIP in memory. */
async function zipFolder(dir: string): Promise<Buffer> {
  const out = new yazl.ZipFile();
  for (const name of fs.readdirSync(dir)) out.addFile(path.join(dir, name), name);
  out.end();
  const chunks: Buffer[] = [];
  for await (const c of out.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  process.env.TMPDIR = scratchDir('latency-tmp');
  db = await testDatabase();
  const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
  app = await buildApp({ db, config: loadConfig({ ...process.env, AUTH: undefined, LOG_LEVEL: 'silent' }), keys });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  // A database in use (the demo district): the import takes the careful path, whose writes, like any
  // upsert, leave readers alone. (An initial load's optimistic path locks its empty tables until commit.)
  await seedDistrict(db.orm.em, { schools: 3, students: 300, seed: 42 });
  const dir = scratchDir('latency-pkg');
  await writeDistrictPackage(dir, { schools: 2, students: 2000, seed: 5, lineItemsPerClass: 2 });
  // One comment with a line break: PostgreSQL's COPY cannot be trusted with it, so Node parses the
  // biggest file (csv-parse), the CPU-bound work that used to run on the server's event loop.
  const results = path.join(dir, 'results.csv');
  const text = fs.readFileSync(results, 'utf8').split('\n');
  const cells = text[1].split(',');
  cells[8] = '"Two\nlines"';
  text[1] = cells.join(',');
  fs.writeFileSync(results, text.join('\n'));
  zip = await zipFolder(dir);
  const token = async (scopes: string[]) => `Bearer ${(await issueAccessToken(keys, { clientId: 't', scopes, ttlSeconds: 600 })).access_token}`;
  admin = await token([ADMIN_SCOPE]);
  reader = await token([SCOPES['roster.readonly']]);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await db?.close();
});

/** Latency of one small REST read, in ms. */
async function smallGet(): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/ims/oneroster/rostering/v1p2/orgs?limit=1`, { headers: { authorization: reader } });
  const body = await res.text();
  expect(res.status, body.slice(0, 500)).toBe(200);
  return performance.now() - t0;
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];

describe('an import over HTTP runs off the event loop', () => {
  it('keeps the event loop free during an admin import, and on a server REST p99 within 2x idle (50 ms slack)', async () => {
    for (let i = 0; i < 30; i++) await smallGet(); // warm-up: JIT, pools, caches
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) idle.push(await smallGet());

    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let done = false;
    const importing = fetch(`${base}/admin/csv/import`, { method: 'POST', body: new Uint8Array(zip), headers: { authorization: admin, 'content-type': 'application/zip' } })
      .then(async (res) => ({ status: res.status, body: await res.json() as { ok: boolean; errors: unknown[]; files: { file: string; parsedBy: string; rows: number }[] } }))
      .finally(() => (done = true));
    const busy: number[] = [];
    const until = performance.now() + 120_000;
    while (!done && busy.length < 5000 && performance.now() < until) busy.push(await smallGet());
    const result = await importing;
    loop.disable();
    console.log(`event loop delay during the import: p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`);
    expect(result.body.errors).toEqual([]);
    expect(result.status).toBe(200);
    expect(result.body.files.find((f) => f.file === 'results')).toMatchObject({ parsedBy: 'csv-parse', rows: expect.any(Number) });
    expect(await count(db, `users where status = 'active'`)).toBeGreaterThan(2000);

    console.log(`idle p99 ${p99(idle).toFixed(1)} ms over ${idle.length}; during the import p99 ${p99(busy).toFixed(1)} ms over ${busy.length}, max ${Math.max(...busy).toFixed(1)} ms`);
    expect(busy.length).toBeGreaterThanOrEqual(50);
    // The server's event loop never stalls: the import's parsing runs in a worker thread, and the embedded
    // database executes its statements in a thread of its own (src/db/embedded.ts); on the server's own
    // thread one statement of this import held it for about 6 s.
    expect(loop.max / 1e6).toBeLessThan(2000);
    // On the embedded database reads still wait while the import's transaction runs: PGlite is a single
    // session, so a transaction on one connection holds the others (README, CSV). There the read latency
    // is measured, not asserted; on a PostgreSQL server reads proceed beside the import.
    // The bound is 2x idle, with 50 ms of slack for CPU contention: on two cores the import's worker and its
    // backend take the CPU the reads had while idle (a 10 ms idle p99 measured 21 ms busy in one CI run);
    // a read blocked behind the import would take seconds.
    if (onServer()) expect(p99(busy)).toBeLessThan(Math.max(2 * p99(idle), p99(idle) + 50));
  }, 300_000);
});
