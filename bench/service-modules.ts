import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where a bench loads the service from: the build in dist/ (what the `oneroster-graph` command runs) when
 * it is newer than every source file, otherwise the TypeScript sources through tsx, which cost more CPU
 * per call (esbuild's name-keeping wrappers around every closure) and so understate the service.
 */
const root = new URL('../', import.meta.url);
const mtime = (url: URL) => {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return undefined;
  }
};
const newestIn = (dir: URL) => Math.max(0, ...readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile()).map((e) => statSync(`${e.parentPath}/${e.name}`).mtimeMs));
const builtAt = mtime(new URL('dist/BUILT', root));

export const runsBuild = builtAt !== undefined && builtAt >= Math.max(newestIn(new URL('src/', root)), newestIn(new URL('migrations/', root)));
const base = new URL(runsBuild ? 'dist/src/' : 'src/', root);

/** The service module at `path` under src/ (`'sync/run.js'`), from the build or the sources; type it as `typeof import('../src/<path>')`. */
export const service = <T>(path: string): Promise<T> => import(new URL(path, base).href) as Promise<T>;
export const serviceFrom = fileURLToPath(base);
