import { defineNode } from '../node.js';

/** AssessmentLineItem: its properties come from the model (src/model/gradebook.ts); its relations are these. */
export const AssessmentLineItemNode = defineNode('AssessmentLineItem', {
  relations: ['children', 'assessmentResults'],
});
