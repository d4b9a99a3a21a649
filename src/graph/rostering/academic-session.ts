import { defineNode } from '../node.js';

/** AcademicSession: its properties come from the model (src/model/rostering.ts); its relations are these. */
export const AcademicSessionNode = defineNode('AcademicSession', {
  relations: ['children', 'gradingPeriods', 'classes', 'schools', 'courses', 'lineItems'],
});
