// `npm run build` (and `prepare`, so `npm install` runs it): compiles src/ and migrations/ with tsc into dist/,
// copies the files read at run time that tsc does not emit (the OpenAPI documents), and stamps the build so
// bin/oneroster-graph.js can tell a stale dist/ from a current one.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const started = new Date(); // a source saved while tsc runs must leave dist/ stale
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error('oneroster-graph build: typescript is not installed; dist/ is built by a plain `npm install` (not --omit=dev)');
  process.exit(1);
}

// From scratch: no output of a deleted or renamed source survives, and nothing depends on an earlier build.
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
// Non-TypeScript files read at run time, next to the module that reads them (import.meta.url-relative).
for (const asset of ['src/rest/openapi']) cpSync(join(root, asset), join(dist, asset), { recursive: true });
writeFileSync(join(dist, 'BUILT'), 'dist/ is compiled from src/ and migrations/ by `npm run build`; this file marks when.\n');
utimesSync(join(dist, 'BUILT'), started, started);
