import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedRelationNames, printedSchema, RELATION_NAMES_FILE, SCHEMA_FILE } from '../../src/graph/print-schema.js';

describe('schema/schema.graphql', () => {
  it('is what the builder prints (run `npm run schema` after changing the graph)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(printedSchema());
  });
});

describe('src/graph/relation-names.ts', () => {
  it('names the relations the model defines (run `npm run schema` after changing src/model/relations.ts)', () => {
    expect(fs.readFileSync(RELATION_NAMES_FILE, 'utf8')).toBe(printedRelationNames());
  });
});
