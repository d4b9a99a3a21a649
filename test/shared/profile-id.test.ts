import { fullFormats } from 'ajv-formats/dist/formats.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ID } from '../../src/csv/cells.js';
import { PROFILE_URN_PREFIX, profileIdUri, sourcedIdOfProfileUri } from '../../src/shared/profile-id.js';

const isUri = fullFormats.uri as (s: string) => boolean;
/** Every sourcedId the CSV binding accepts (src/csv/cells.ts ID). */
const csvSourcedId = fc.stringMatching(ID);

describe('profileIdUri', () => {
  it('serves the demo district\'s profile ids as URNs that hold them', () => {
    expect(profileIdUri('profile-teacher-001-0001')).toBe('urn:oneroster-graph:profile:profile-teacher-001-0001');
    expect(sourcedIdOfProfileUri('urn:oneroster-graph:profile:profile-teacher-001-0001')).toBe('profile-teacher-001-0001');
  });

  it('keeps a sourcedId that already is an absolute URI', () => {
    expect(profileIdUri('https://lms.example/profiles/7')).toBe('https://lms.example/profiles/7');
    expect(sourcedIdOfProfileUri('https://lms.example/profiles/7')).toBe('https://lms.example/profiles/7');
  });

  it('turns any valid CSV sourcedId into a URI under the prefix, and back', () => {
    fc.assert(fc.property(csvSourcedId, (id) => {
      const uri = profileIdUri(id);
      expect(uri.startsWith(PROFILE_URN_PREFIX)).toBe(true);
      expect(isUri(uri)).toBe(true);
      expect(sourcedIdOfProfileUri(uri)).toBe(id);
    }), { numRuns: 2000 });
  });

  it('round-trips any string, and always yields a URI', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.webUrl(), fc.string().map((s) => PROFILE_URN_PREFIX + s)), (id) => {
      const uri = profileIdUri(id);
      expect(isUri(uri)).toBe(true);
      expect(sourcedIdOfProfileUri(uri)).toBe(id);
    }), { numRuns: 2000 });
  });
});
