import { describe, expect, it } from 'vitest';
import {
  ADMIN_SCOPE,
  ALL_READ_SCOPES,
  ALL_SCOPES,
  SCOPES,
  V1P1_SCOPES,
  expandScope,
  hasAnyScope,
  isKnownScope,
} from '../../src/auth/scopes.js';

const P2 = 'https://purl.imsglobal.org/spec/or/v1p2/scope/';
const P1 = 'https://purl.imsglobal.org/spec/or/v1p1/scope/';

// Distinct scope names in test/spec/endpoints.tsv (a copy of the team's notes) (column "scopes").
const ENDPOINT_SCOPES = [
  'roster.readonly', 'roster-core.readonly', 'roster-demographics.readonly',
  'gradebook.readonly', 'gradebook-core.readonly', 'gradebook.createput', 'gradebook.createpost', 'gradebook.delete',
  'assessment.readonly', 'assessment.createput', 'assessment.delete',
  'resource.readonly', 'resource-core.readonly',
];

describe('scope constants', () => {
  it('cover every scope used by the v1.2 endpoints', () => {
    for (const name of ENDPOINT_SCOPES) expect(isKnownScope(P2 + name)).toBe(true);
    expect(Object.keys(SCOPES)).toHaveLength(13);
    expect(Object.keys(V1P1_SCOPES)).toHaveLength(7);
  });

  it('ALL_READ_SCOPES holds only readonly scopes, v1p2 and v1p1; ALL_SCOPES adds writes and admin', () => {
    expect(ALL_READ_SCOPES.every((s) => s.endsWith('.readonly'))).toBe(true);
    expect(ALL_READ_SCOPES).toContain(P2 + 'roster-demographics.readonly');
    expect(ALL_READ_SCOPES).toContain(P1 + 'gradebook.readonly');
    expect(ALL_READ_SCOPES).not.toContain(ADMIN_SCOPE);
    expect(ALL_SCOPES).toContain(ADMIN_SCOPE);
    expect(ALL_SCOPES).toContain(P2 + 'gradebook.delete');
    expect(new Set(ALL_SCOPES).size).toBe(ALL_SCOPES.length);
  });
});

describe('expandScope', () => {
  it('expands short names to v1p2, v1p1/ names to v1p1, admin to ADMIN_SCOPE', () => {
    expect(expandScope('roster.readonly')).toBe(P2 + 'roster.readonly');
    expect(expandScope(' gradebook.createpost ')).toBe(P2 + 'gradebook.createpost');
    expect(expandScope('v1p1/roster.readonly')).toBe(P1 + 'roster.readonly');
    expect(expandScope('admin')).toBe(ADMIN_SCOPE);
  });

  it('passes known full URIs through', () => {
    expect(expandScope(P2 + 'resource-core.readonly')).toBe(P2 + 'resource-core.readonly');
    expect(expandScope(ADMIN_SCOPE)).toBe(ADMIN_SCOPE);
  });

  it('rejects unknown names and URIs (v1p1 has no gradebook-core)', () => {
    expect(() => expandScope('roster.write')).toThrow(RangeError);
    expect(() => expandScope('v1p1/gradebook-core.readonly')).toThrow(RangeError);
    expect(() => expandScope('https://example.com/scope/x')).toThrow(RangeError);
    expect(() => expandScope('')).toThrow(RangeError);
  });
});

describe('hasAnyScope', () => {
  const core = [SCOPES['roster.readonly'], SCOPES['roster-core.readonly']];

  it('any one listed scope suffices', () => {
    expect(hasAnyScope(new Set([SCOPES['roster-core.readonly']]), core)).toBe(true);
    expect(hasAnyScope(new Set([SCOPES['roster.readonly']]), core)).toBe(true);
    expect(hasAnyScope(new Set([SCOPES['roster-demographics.readonly']]), core)).toBe(false);
    expect(hasAnyScope(new Set(), core)).toBe(false);
  });

  it('an empty requirement grants nothing', () => {
    expect(hasAnyScope(new Set(ALL_SCOPES), [])).toBe(false);
  });

  it('admin does not imply OneRoster scopes', () => {
    expect(hasAnyScope(new Set([ADMIN_SCOPE]), core)).toBe(false);
  });

  it('accepts a v1p2 scope on v1p1 routes for the same name only, and not the reverse', () => {
    expect(hasAnyScope(new Set([SCOPES['roster.readonly']]), [V1P1_SCOPES['roster.readonly']])).toBe(true);
    expect(hasAnyScope(new Set([SCOPES['gradebook.delete']]), [V1P1_SCOPES['gradebook.delete']])).toBe(true);
    expect(hasAnyScope(new Set([SCOPES['resource-core.readonly']]), [V1P1_SCOPES['resource.readonly']])).toBe(false);
    expect(hasAnyScope(new Set([V1P1_SCOPES['roster.readonly']]), [SCOPES['roster.readonly']])).toBe(false);
  });
});
