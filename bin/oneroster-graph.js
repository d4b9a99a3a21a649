#!/usr/bin/env node
// Runs the compiled CLI in dist/ (built by `npm run build`, which `npm install` runs through `prepare`).
// In a checkout whose dist/ is missing or older than its sources (src/, migrations/), it runs the sources
// through tsx instead, in this same process (signals such as SIGTERM reach the server directly), and says
// so on a terminal; where tsx is not installed it stops and names the command that builds dist/.
import { readdirSync, statSync } from 'node:fs';
import module from 'node:module';

// Node 22.1 and later keep V8's compiled code of the modules on disk between runs (in the system's temporary
// folder); Node 20 has no such cache and skips this.
module.enableCompileCache?.();

const root = new URL('../', import.meta.url);
const builtAt = mtime(new URL('dist/BUILT', root));
const sourcesChangedAt = Math.max(newestIn(new URL('src/', root)), newestIn(new URL('migrations/', root)));

if (builtAt !== undefined && builtAt >= sourcesChangedAt) {
  const { main } = await import('../dist/src/cli.js');
  await main();
} else {
  const why = builtAt === undefined ? 'dist/ is missing' : 'dist/ is older than src/';
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error(`oneroster-graph: ${why}; run \`npm run build\` (or \`npm install\`) in ${new URL(root).pathname}`);
    process.exit(1);
  }
  if (process.stderr.isTTY) console.error(`oneroster-graph: ${why} (\`npm run build\`); running the TypeScript sources through tsx`);
  register();
  const { main } = await import('../src/cli.ts');
  await main();
}

function mtime(url) {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Newest modification time of any file under `dir` (0 when there is no such folder, as in a package without sources). */
function newestIn(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}
