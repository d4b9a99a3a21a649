import { describe, expect, it } from 'vitest';
import { operations, validateRequestBody, validateResponse } from '../../src/rest/openapi.js';

// Example bodies written by hand from model.md (string booleans, GUIDRefs with href/sourcedId/type).
const base = 'https://example.test/ims/oneroster';
const ref = (service: string, collection: string, type: string, sourcedId: string) => ({
  href: `${base}/${service}/v1p2/${collection}/${sourcedId}`,
  sourcedId,
  type,
});

const user = () => ({
  sourcedId: 'u-1',
  status: 'active',
  dateLastModified: '2024-09-01T12:00:00.000Z',
  metadata: { 'ext:house': 'blue' },
  username: 'ada',
  userIds: [{ type: 'LDAP', identifier: 'ada@example.test' }],
  enabledUser: 'true',
  givenName: 'Ada',
  familyName: 'Lovelace',
  roles: [{ roleType: 'primary', role: 'student', org: ref('rostering', 'orgs', 'org', 'school-1'), beginDate: '2024-09-01' }],
  primaryOrg: ref('rostering', 'orgs', 'org', 'school-1'),
  grades: ['09'],
  agents: [ref('rostering', 'users', 'user', 'parent-1')],
});

const lineItem = () => ({
  sourcedId: 'li-1',
  status: 'active',
  dateLastModified: '2024-09-01T12:00:00.000Z',
  title: 'Essay 1',
  assignDate: '2024-09-02T08:00:00.000Z',
  dueDate: '2024-09-09T08:00:00.000Z',
  class: ref('rostering', 'classes', 'class', 'class-1'),
  school: ref('rostering', 'orgs', 'org', 'school-1'),
  category: ref('gradebook', 'categories', 'category', 'cat-1'),
  resultValueMin: 0,
  resultValueMax: 100,
  learningObjectiveSet: [{ source: 'case', learningObjectiveIds: ['9b3c2d4e-0000-4000-8000-000000000001'] }],
});

const notFound = {
  imsx_codeMajor: 'failure',
  imsx_severity: 'error',
  imsx_description: 'Unknown Object',
  imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: 'unknownobject' }] },
};

const paths = (violations: { path: string }[]) => violations.map((v) => v.path);

describe('validateResponse', () => {
  it('accepts a valid users collection with string booleans', () => {
    expect(validateResponse('rostering', 'get', '/users', 200, { users: [user()] })).toEqual([]);
  });

  it('rejects a JSON boolean enabledUser at its pointer', () => {
    const violations = validateResponse('rostering', 'get', '/users', 200, { users: [{ ...user(), enabledUser: true }] });
    expect(paths(violations)).toEqual(['/users/0/enabledUser']);
    expect(violations[0]!.message).toBe("/users/0/enabledUser: must be one of 'true', 'false'");
  });

  it('rejects an extra property, naming it', () => {
    const violations = validateResponse('rostering', 'get', '/users', 200, { users: [{ ...user(), nickname: 'A' }] });
    expect(paths(violations)).toEqual(['/users/0/nickname']);
  });

  it('checks formats and extensible vocabularies', () => {
    const session = {
      sourcedId: 'as-1',
      status: 'active',
      dateLastModified: '2024-09-01T12:00:00Z',
      title: 'Trimester 1',
      startDate: '2024-09-01',
      endDate: '2024-12-20',
      type: 'ext:trimester',
      schoolYear: '2025',
    };
    expect(validateResponse('rostering', 'get', '/terms/{sourcedId}', 200, { academicSession: session })).toEqual([]);
    const bad = validateResponse('rostering', 'get', '/terms/{sourcedId}', 200, {
      academicSession: { ...session, type: 'trimester', startDate: '01/09/2024' },
    });
    expect(paths(bad).sort()).toEqual(['/academicSession/startDate', '/academicSession/type']);
    expect(bad.find((v) => v.path === '/academicSession/type')!.message).toMatch(/one of 'gradingPeriod'.* or match pattern/);
  });

  it('checks uri and date-time formats, not only types', () => {
    const profile = { profileId: 'urn:oneroster-graph:profile:p-1', profileType: 'LMS', vendorId: 'v' };
    const good = { ...user(), userProfiles: [profile] };
    expect(validateResponse('rostering', 'get', '/users', 200, { users: [good] })).toEqual([]);
    const bad = validateResponse('rostering', 'get', '/users', 200, { users: [{
      ...good, dateLastModified: '2024-09-01 12:00', primaryOrg: { ...good.primaryOrg, href: 'orgs/school-1' },
      userProfiles: [{ ...profile, profileId: 'profile-teacher-001-0001' }],
    }] });
    expect(bad.map((v) => v.message).sort()).toEqual([
      '/users/0/dateLastModified: must match format "date-time"',
      '/users/0/primaryOrg/href: must match format "uri"',
      '/users/0/userProfiles/0/profileId: must match format "uri"',
    ]);
  });

  it('validates imsx_StatusInfo bodies of error statuses', () => {
    expect(validateResponse('rostering', 'get', '/users/{sourcedId}', 404, notFound)).toEqual([]);
    expect(paths(validateResponse('rostering', 'get', '/users/{sourcedId}', 404, { imsx_codeMajor: 'failure' }))).toEqual([
      '/imsx_severity',
    ]);
  });

  it('reports undocumented statuses unless the default response is allowed', () => {
    const nested = '/schools/{schoolSourcedId}/classes';
    expect(validateResponse('rostering', 'get', nested, 404, notFound)[0]!.message).toMatch(/status 404 is not documented/);
    expect(validateResponse('rostering', 'get', nested, 404, notFound, { allowDefault: true })).toEqual([]);
  });

  it('requires an empty body where the OAS documents none', () => {
    expect(validateResponse('gradebook', 'put', '/lineItems/{sourcedId}', 201, undefined)).toEqual([]);
    expect(validateResponse('gradebook', 'delete', '/lineItems/{sourcedId}', 204, '')).toEqual([]);
    expect(validateResponse('gradebook', 'put', '/lineItems/{sourcedId}', 201, { lineItem: lineItem() })).toHaveLength(1);
    expect(validateResponse('gradebook', 'put', '/lineItems/{sourcedId}', 200, undefined)).toHaveLength(1);
  });

  it('throws for an operation that does not exist', () => {
    expect(() => validateResponse('rostering', 'get', '/classes/{classSourcedId}/enrollments', 200, {})).toThrow(/not an operation/);
  });
});

describe('validateRequestBody', () => {
  it('accepts a valid lineItem PUT body', () => {
    expect(validateRequestBody('gradebook', 'put', '/lineItems/{sourcedId}', { lineItem: lineItem() })).toEqual([]);
  });

  it('names the missing title', () => {
    const { title: _omit, ...noTitle } = lineItem();
    const violations = validateRequestBody('gradebook', 'put', '/lineItems/{sourcedId}', { lineItem: noTitle });
    expect(violations).toEqual([{ path: '/lineItem/title', message: "/lineItem/title: must have required property 'title'" }]);
  });

  it('accepts custom learning-objective sources despite the slash in the OAS pattern', () => {
    const body = { lineItems: [{ ...lineItem(), learningObjectiveSet: [{ source: 'state', learningObjectiveIds: ['X.1'] }] }] };
    expect(validateRequestBody('gradebook', 'post', '/classes/{classSourcedId}/lineItems', body)).toEqual([]);
  });

  it('requires a body', () => {
    expect(paths(validateRequestBody('gradebook', 'put', '/results/{sourcedId}', undefined))).toEqual(['']);
  });
});

describe('operations', () => {
  it('lists every operation of each service', () => {
    expect(operations('rostering')).toHaveLength(41);
    expect(operations('gradebook')).toHaveLength(35);
    expect(operations('resources')).toHaveLength(5);
    expect(operations('gradebook')).toContainEqual({ method: 'post', pathTemplate: '/lineItems/{lineItemSourcedId}/results', operationId: 'postResultsForLineItem' });
  });
});
