import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/db/config.js';

/** Every setting is read in src/db/config.ts, so README "Configuration" and loadConfig are the whole list. */
const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|js)$/.test(entry.name) ? [full] : [];
  });
}

describe('settings', () => {
  it('process.env is read in src/db/config.ts only', () => {
    const readers = sourceFiles(SRC)
      .filter((file) => /\bprocess\.env\b/.test(fs.readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file));
    expect(readers).toEqual(['db/config.ts']);
  });

  it('the settings moved into the config keep their names and defaults', () => {
    const unset = loadConfig({});
    expect([unset.jwtSigningKey, unset.jwtPreviousSigningKeys, unset.csvTimings, unset.databaseUrl]).toEqual([undefined, undefined, false, undefined]);
    const set = loadConfig({ JWT_SIGNING_KEY: 'a', JWT_PREVIOUS_SIGNING_KEYS: 'b,c', CSV_TIMINGS: '1', DATABASE_URL: 'postgres://x/y' });
    expect([set.jwtSigningKey, set.jwtPreviousSigningKeys, set.csvTimings, set.databaseUrl]).toEqual(['a', 'b,c', true, 'postgres://x/y']);
  });
});
