import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema, SCHEMA_FILE } from '../../src/graph/print-schema.js';

describe('schema/schema.graphql', () => {
  it('is what the builder prints (run `npm run schema` after changing the graph)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(printedSchema());
  });
});
