import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourcedIdOfProfileUri } from '../../src/shared/profile-id.js';
import { restFixture, type RestFixture } from './support.js';

/** Profiles loaded with CSV-style sourcedIds are served with URI profileIds (README, REST). */
let f: RestFixture;
beforeAll(async () => { f = await restFixture(); }, 60_000);
afterAll(async () => { await f?.close(); });

const URN = 'urn:oneroster-graph:profile:profile-teacher-001-0001';

describe('profileId', () => {
  it('REST serves userProfiles[].profileId and roles[].userProfile as the URI of the CSV sourcedId', async () => {
    const { status, body } = await f.get('/ims/oneroster/rostering/v1p2/users/teacher-001-0001');
    expect(status).toBe(200);
    expect(body.user.userProfiles.map((p: { profileId: string }) => p.profileId)).toEqual([URN]);
    expect(body.user.roles.find((r: { role: string }) => r.role === 'ext:mentor').userProfile).toBe(URN);
    expect(sourcedIdOfProfileUri(body.user.userProfiles[0].profileId)).toBe('profile-teacher-001-0001');
  });

  it('GraphQL serves the sourcedId and the URI side by side', async () => {
    const res = await f.app.inject({ method: 'POST', url: '/graphql', payload: {
      query: '{ user(sourcedId: "teacher-001-0001") { userProfiles { sourcedId profileId } roles { roleToken userProfile userProfileUri } } }',
    } });
    const user = res.json().data.user;
    expect(user.userProfiles).toEqual([{ sourcedId: 'profile-teacher-001-0001', profileId: URN }]);
    expect(user.roles.find((r: { roleToken: string }) => r.roleToken === 'ext:mentor')).toEqual({ roleToken: 'ext:mentor', userProfile: 'profile-teacher-001-0001', userProfileUri: URN });
    expect(user.roles.filter((r: { userProfile: string | null }) => r.userProfile == null).every((r: { userProfileUri: unknown }) => r.userProfileUri === null)).toBe(true);
  });
});
