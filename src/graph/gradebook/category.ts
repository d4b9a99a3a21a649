import { defineNode } from '../node.js';

/** Category: its properties come from the model (src/model/gradebook.ts); its relations are these. */
export const CategoryNode = defineNode('Category', {
  relations: ['classes', 'lineItems'],
});
