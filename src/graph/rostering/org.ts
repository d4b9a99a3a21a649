import { defineNode } from '../node.js';

/** Org: its properties come from the model (src/model/rostering.ts); its relations are these. */
export const OrgNode = defineNode('Org', {
  relations: [
    'children', 'classes', 'courses', 'enrollments', 'terms', 'users', 'roles', 'primaryOrgUsers',
    'students', 'teachers', 'lineItems', 'scoreScales',
  ],
});
