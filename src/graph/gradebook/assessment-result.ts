import { defineNode } from '../node.js';

/** AssessmentResult: its properties come from the model (src/model/gradebook.ts); it has no relations of its own. */
export const AssessmentResultNode = defineNode('AssessmentResult', {
  relations: [],
});
