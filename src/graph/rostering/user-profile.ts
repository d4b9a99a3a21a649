import { profileIdUri } from '../../shared/profile-id.js';
import { defineNode } from '../node.js';

/** UserProfile: its properties come from the model (src/model/rostering.ts); one element of User.userProfiles. */
export const UserProfileNode = defineNode('UserProfile', {
  relations: [],
  // profileId is an AnyURI in REST; the sourcedId (CSV's) is not one, so both are served (src/shared/profile-id.ts).
  fields: (t) => ({
    profileId: t.id({
      description: 'The profileId as REST serves it: a URI (urn:oneroster-graph:profile:<sourcedId>, or the sourcedId when that is a URI).',
      resolve: (r) => profileIdUri(String(r.sourcedId)),
    }),
  }),
});
