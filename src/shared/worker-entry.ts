/**
 * The entry module of a worker thread started from the module at `base` (its import.meta.url). Compiled
 * (dist/), that is the worker's own .js beside it. Run from the TypeScript sources (tsx, vitest), it is the
 * worker's .boot.js, which registers tsx in the new thread first: worker threads do not inherit a loader.
 */
export function workerEntry(name: string, base: string): URL {
  return new URL(base.endsWith('.ts') ? `./${name}.boot.js` : `./${name}.js`, base);
}
