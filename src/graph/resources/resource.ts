import { defineNode } from '../node.js';

/** Resource: its properties come from the model (src/model/resources.ts); its relations are these. */
export const ResourceNode = defineNode('Resource', {
  relations: ['courses', 'classes', 'users'],
});
