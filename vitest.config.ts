import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql 16 has no "exports": Node (and so Pothos, yoga) loads its CommonJS build, Vite would pick
  // index.mjs for our sources; two copies of graphql cannot share a schema, so both use the CJS one.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: more workers than that only makes database-heavy files contend.
    maxWorkers: 2,
  },
});
