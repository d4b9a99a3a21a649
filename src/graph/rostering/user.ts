import { defineNode } from '../node.js';

/** User: its properties come from the model (src/model/rostering.ts); its relations are these. */
export const UserNode = defineNode('User', {
  relations: [
    'roles', 'userProfiles', 'orgs', 'enrollments', 'classes', 'agents', 'agentFor', 'demographics',
    'results', 'assessmentResults', 'resources',
  ],
});
