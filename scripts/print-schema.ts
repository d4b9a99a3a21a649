/** Writes schema/schema.graphql from the builder (`npm run schema`); a test keeps it in sync. */
import fs from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from '../src/graph/schema.js';

const file = new URL('../schema/schema.graphql', import.meta.url);
fs.writeFileSync(file, `${printSchema(schema)}\n`);
console.log(`wrote ${file.pathname}`);
