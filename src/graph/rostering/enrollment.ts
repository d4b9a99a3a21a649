import { defineNode } from '../node.js';

/** Enrollment: its properties come from the model (src/model/rostering.ts); it has no relations of its own. */
export const EnrollmentNode = defineNode('Enrollment', {
  relations: [],
});
