import { defineNode } from '../node.js';

/** Class: its properties come from the model (src/model/rostering.ts); its relations are these. */
export const ClassNode = defineNode('Class', {
  relations: [
    'terms', 'enrollments', 'users', 'students', 'teachers', 'lineItems', 'categories', 'results',
    'scoreScales', 'assessmentLineItems', 'resources',
  ],
});
