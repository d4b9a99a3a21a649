/**
 * Writes schema/schema.graphql from the builder, and src/graph/relation-names.ts from the model
 * (`npm run schema`); test/graph/schema-sync.test.ts keeps both in sync.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { relations } from '../model/relations.js';
import { exposedDefs } from './node-refs.js';
import { schema } from './schema.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../../schema/schema.graphql', import.meta.url));
export const printedSchema = () => `${printSchema(schema)}\n`;

export const RELATION_NAMES_FILE = fileURLToPath(new URL('./relation-names.ts', import.meta.url));

/** The relation names per record type as a TypeScript interface, so that tsc checks the names the type files list. */
export function printedRelationNames(): string {
  const entries = exposedDefs.map((d) => d.name).sort().map((owner) => {
    const names = relations.filter((r) => r.owner === owner).map((r) => `'${r.name}'`).sort();
    const union = names.length ? names.join(' | ') : 'never';
    return union.length + owner.length < 110 ? `  ${owner}: ${union};` : `  ${owner}:\n${names.map((n) => `    | ${n}`).join('\n')};`;
  });
  return [
    '// Generated from src/model/relations.ts by `npm run schema`; test/graph/schema-sync.test.ts checks it. Do not edit.',
    '',
    '/** The relations of each record type of the graph, by name (src/graph/node.ts `defineNode`). */',
    'export interface RelationNames {',
    ...entries,
    '}',
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  fs.writeFileSync(RELATION_NAMES_FILE, printedRelationNames());
  fs.writeFileSync(SCHEMA_FILE, printedSchema());
  console.log(`wrote ${RELATION_NAMES_FILE} and ${SCHEMA_FILE}`);
}
