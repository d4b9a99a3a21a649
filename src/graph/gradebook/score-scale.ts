import { defineNode } from '../node.js';

/** ScoreScale: its properties come from the model (src/model/gradebook.ts); its relations are these. */
export const ScoreScaleNode = defineNode('ScoreScale', {
  relations: ['lineItems', 'results', 'assessmentLineItems', 'assessmentResults'],
});
