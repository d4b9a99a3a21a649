import { profileIdUri } from '../../shared/profile-id.js';
import { defineNode } from '../node.js';

/** Role (UserRole in the model, src/model/rostering.ts): one element of User.roles. */
export const RoleNode = defineNode('UserRole', {
  relations: [],
  fields: (t) => ({
    userProfileUri: t.id({
      nullable: true, description: 'userProfile as REST serves it: the profileId URI of that user profile.',
      resolve: (r) => (r.userProfile == null ? null : profileIdUri(String(r.userProfile))),
    }),
  }),
});
