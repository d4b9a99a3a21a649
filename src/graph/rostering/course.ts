import { defineNode } from '../node.js';

/** Course: its properties come from the model (src/model/rostering.ts); its relations are these. */
export const CourseNode = defineNode('Course', {
  relations: ['classes', 'resources', 'scoreScales'],
});
