import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql 16 has no "exports": Node (and so Pothos, yoga) loads its CommonJS build, Vite would pick
  // index.mjs for our sources; two copies of graphql cannot share a schema, so both use the CJS one.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    // Part of the PostgreSQL run, not of the embedded one: the replica test runs PostgreSQL servers of its own; the
    // concurrent-writers test needs transactions beside the import's (the embedded database is one session).
    exclude: [...configDefaults.exclude, ...(process.env.DATABASE_URL ? [] : ['test/ops/replica.test.ts', 'test/csv/unchanged-files-concurrent.test.ts'])],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: more workers than that only makes database-heavy files contend.
    maxWorkers: 2,
  },
});
