import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './nodes.js';
import './root.js';
import '../gradebook/mutations.js';

/** The whole graph. Importing this module builds it once; schema/schema.graphql is printed from it. */
export const schema = lexicographicSortSchema(builder.toSchema());
