import { defineNode } from '../node.js';

/** Demographics: its properties come from the model (src/model/rostering.ts); its relations are these. */
export const DemographicsNode = defineNode('Demographics', {
  relations: ['user'],
});
