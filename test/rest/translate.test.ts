import { readFileSync } from 'node:fs';
import { parse, print, validate, type ExecutionResult } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SCOPES, V1P1_SCOPES } from '../../src/auth/scopes.js';
import { schema } from '../../src/graph/schema.js';
import { ENDPOINTS, V1P1_ENDPOINTS, V1P2_ENDPOINTS, type Endpoint } from '../../src/rest/endpoints.js';
import { RestError } from '../../src/rest/errors.js';
import { parseFilter } from '../../src/rest/filter-parser.js';
import { filterInput } from '../../src/rest/filter-input.js';
import { primaryRole, v1p1RoleOf } from '../../src/rest/serialize.js';
import { V1P1_SHAPES, V1P2_SHAPES } from '../../src/rest/shapes.js';
import { documentText, shapeOf, Translator } from '../../src/rest/translate.js';

const endpoint = (version: string, path: string, service?: string) =>
  ENDPOINTS.find((e) => e.version === version && e.path === path && (!service || e.service === service))!;
const users = endpoint('v1p2', '/users');
const url = new URL('https://sis.example.test/ims/oneroster/rostering/v1p2/users?limit=2&offset=2&filter=x');

function rejects(fn: () => unknown, status: number, codeMinor: string, message?: RegExp) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).status).toBe(status);
    expect((error as RestError).codeMinor).toBe(codeMinor);
    if (message) expect((error as RestError).message).toMatch(message);
    return;
  }
  throw new Error('expected a RestError');
}

describe('endpoint table', () => {
  const tsv = readFileSync(new URL('../spec/endpoints.tsv', import.meta.url), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const gets = tsv.filter((r) => r[1] === 'GET');

  it('has every GET of endpoints.tsv with its path, wrapper and scopes, and nothing else', () => {
    const expected = gets.map(([service, , path, operationId, , wrapper, , , scopes]) =>
      ({ service, path, operationId, wrapper, scopes: scopes!.split(',').map((s) => SCOPES[s as keyof typeof SCOPES]).sort() }));
    const actual = V1P2_ENDPOINTS.map((e) => ({ service: e.service, path: e.path, operationId: e.operationId, wrapper: e.wrapper, scopes: [...e.scopes].sort() }));
    const key = (x: { service: string; path: string }) => `${x.service} ${x.path}`;
    expect(actual.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(expected.sort((a, b) => key(a).localeCompare(key(b))));
  });

  it('has the v1.1 twins: 41 rostering, 10 gradebook, 4 resources reads, with v1.1 scope URIs', () => {
    const count = (service: string) => V1P1_ENDPOINTS.filter((e) => e.service === service).length;
    expect([count('rostering'), count('gradebook'), count('resources')]).toEqual([41, 10, 4]);
    const v1p1Uris = new Set(Object.values(V1P1_SCOPES));
    for (const e of V1P1_ENDPOINTS) {
      expect(e.scopes.length).toBeGreaterThan(0);
      for (const s of e.scopes) expect(v1p1Uris.has(s)).toBe(true);
    }
  });

  it('every v1.2 shape lists exactly the properties of its OAS schema', () => {
    const schemas: Record<string, any> = {};
    for (const file of ['rostersservice', 'gradebookservice', 'resourcesservice']) {
      Object.assign(schemas, parseYaml(readFileSync(`src/rest/openapi/${file}.yaml`, 'utf8')).components.schemas);
    }
    const dtype: Record<string, string> = { org: 'OrgDType', academicSession: 'AcademicSessionDType', course: 'CourseDType', class: 'ClassDType',
      user: 'UserDType', enrollment: 'EnrollmentDType', demographics: 'DemographicsDType', category: 'CategoryDType', lineItem: 'LineItemDType',
      result: 'ResultDType', scoreScale: 'ScoreScaleDType', assessmentLineItem: 'AssessmentLineItemDType', assessmentResult: 'AssessmentResultDType',
      resource: 'ResourceDType' };
    for (const [name, shape] of Object.entries(V1P2_SHAPES)) {
      expect(Object.keys(shape.properties), name).toEqual(Object.keys(schemas[dtype[name]!].properties));
    }
  });

  it('every document of every endpoint, with all fields or any one field, validates against the schema', () => {
    for (const e of ENDPOINTS) {
      const shape = shapeOf(e);
      const all = Object.keys(shape.properties);
      for (const fields of [all, ...all.map((f) => [f])]) {
        const errors = validate(schema, parse(documentText(e, shape, fields)));
        expect(errors.map((x) => x.message), `${e.version} ${e.path} ${fields.join(',')}`).toEqual([]);
      }
    }
  });
});

describe('request → document and variables', () => {
  const t = new Translator({ schema });

  it('reads a root collection with paging and sort as variables, the filter as a literal with variable leaves', () => {
    const out = t.translate({ endpoint: users, params: [], query: { limit: 5, offset: 10, sort: 'familyName', orderBy: 'desc',
      filter: parseFilter("familyName~'smi' AND enabledUser='true'") } }, 1000);
    expect(out.variables).toEqual({
      limit: 5, offset: 10, refLimit: 1000, f0: 'smi', f1: true,
      orderBy: [{ field: 'familyName', direction: 'DESC' }],
    });
    const text = print(out.document);
    expect(text).toContain('filter: {AND: [{familyName: {contains: $f0}}, {enabledUser: {eq: $f1}}]}');
    expect(text).toMatch(/\$f0: String, \$f1: Boolean/);
    expect(out.document.definitions).toHaveLength(1);
  });

  it('shares one document between filters of the same structure, and compiles each structure once', () => {
    const read = (filter: string) => t.translate({ endpoint: users, params: [], query: { filter: parseFilter(filter) } }, 100);
    const a = read("dateLastModified>'2025-01-01'");
    const b = read("dateLastModified>'2026-02-02T10:00:00Z'");
    const c = read("dateLastModified>'2025-01-01' OR status='tobedeleted'");
    expect(b.document).toBe(a.document);
    expect(b.variables.f0).toBe('2026-02-02T10:00:00.000Z');
    expect(c.document).not.toBe(a.document);
  });

  it('writes hostile filter values only into variables, never into the document text', () => {
    const out = t.translate({ endpoint: users, params: [], query: { filter: parseFilter("familyName='a\" } } { x'") } }, 100);
    expect(print(out.document)).not.toContain('} } { x');
    expect(out.variables.f0).toBe('a" } } { x');
  });

  it('reuses the parsed document for the same endpoint and field selection', () => {
    const a = t.translate({ endpoint: users, params: [], query: { fields: ['givenName', 'sourcedId'] } }, 100);
    const b = t.translate({ endpoint: users, params: [], query: { fields: ['sourcedId', 'givenName'] } }, 100);
    const c = t.translate({ endpoint: users, params: [], query: { fields: ['sourcedId'] } }, 100);
    expect(a.document).toBe(b.document);
    expect(c.document).not.toBe(a.document);
  });

  it('keeps the most recently used documents when the cache is full', () => {
    const small = new Translator({ schema, cacheSize: 2 });
    const doc = (field: string) => small.translate({ endpoint: users, params: [], query: { fields: [field] } }, 100).document;
    const a = doc('sourcedId');
    const b = doc('givenName');
    expect(doc('sourcedId')).toBe(a);
    doc('familyName');
    expect(doc('sourcedId')).toBe(a);
    expect(doc('givenName')).not.toBe(b);
  });

  it('selects only the requested fields', () => {
    const text = documentText(users, shapeOf(users), ['sourcedId', 'primaryOrg']);
    expect(text).toContain('nodes { sourcedId primaryOrg { sourcedId } }');
    expect(text).not.toContain('roles');
  });

  it('checks nested parents and their containment in one document', () => {
    const e = endpoint('v1p2', '/schools/{schoolSourcedId}/classes/{classSourcedId}/students');
    const text = documentText(e, shapeOf(e), ['sourcedId']);
    expect(text).toMatch(/p0: school\(sourcedId: \$p0\) \{ sourcedId status \}/);
    expect(text).toMatch(/p1: class\(sourcedId: \$p1\) \{ sourcedId status __within: school \{ sourcedId \} list: students\(/);
  });

  it('narrows /students/{id}/classes to classes with that user enrolled as a student', () => {
    const e = endpoint('v1p2', '/students/{studentSourcedId}/classes');
    const out = t.translate({ endpoint: e, params: ['s-1'], query: { filter: parseFilter("title~'math'") } }, 100);
    expect(print(out.document)).toContain('filter: {AND: [{students: {sourcedId: {eq: $f0}}}, {title: {contains: $f1}}]}');
    expect(out.variables).toMatchObject({ f0: 's-1', f1: 'math' });
  });

  it('rejects unknown fields with invalid_selection_field', () => {
    rejects(() => t.translate({ endpoint: users, params: [], query: { fields: ['sourcedId', 'shoeSize'] } }, 100), 400, 'invalid_selection_field', /shoeSize/);
    // 1.1 users have no roles, 1.2 users no role.
    rejects(() => t.translate({ endpoint: users, params: [], query: { fields: ['role'] } }, 100), 400, 'invalid_selection_field');
    rejects(() => t.translate({ endpoint: endpoint('v1p1', '/users'), params: [], query: { fields: ['roles'] } }, 100), 400, 'invalid_selection_field');
  });

  it('rejects an unknown or unsortable sort field with the code the service allows', () => {
    rejects(() => t.translate({ endpoint: users, params: [], query: { sort: 'roles' } }, 100), 400, 'invaliddata', /sortable/);
    rejects(() => t.translate({ endpoint: endpoint('v1p2', '/resources'), params: [], query: { sort: 'nope' } }, 100), 400, 'invalid_sort_field');
    rejects(() => t.translate({ endpoint: endpoint('v1p1', '/users'), params: [], query: { sort: 'nope' } }, 100), 400, 'invalid_sort_field');
  });
});

describe('filter → graph filter input', () => {
  const f = (text: string, type = 'User', v1p1 = false) => filterInput(schema, type, parseFilter(text), v1p1);

  it('maps every operator', () => {
    expect(f("familyName='a'")).toEqual({ familyName: { eq: 'a' } });
    expect(f("familyName!='a'")).toEqual({ familyName: { ne: 'a' } });
    expect(f("familyName>'a'")).toEqual({ familyName: { gt: 'a' } });
    expect(f("familyName>='a'")).toEqual({ familyName: { gte: 'a' } });
    expect(f("familyName<'a'")).toEqual({ familyName: { lt: 'a' } });
    expect(f("familyName<='a'")).toEqual({ familyName: { lte: 'a' } });
    expect(f("familyName~'a'")).toEqual({ familyName: { contains: 'a' } });
  });

  it('maps AND/OR with AND binding tighter', () => {
    expect(f("givenName='a' AND familyName='b' OR email='c'")).toEqual({
      OR: [{ AND: [{ givenName: { eq: 'a' } }, { familyName: { eq: 'b' } }] }, { email: { eq: 'c' } }],
    });
  });

  it('follows dotted references and relations', () => {
    expect(f("class.sourcedId='c'", 'Enrollment')).toEqual({ class: { sourcedId: { eq: 'c' } } });
    expect(f("roles.org.sourcedId='s'")).toEqual({ roles: { org: { sourcedId: { eq: 's' } } } });
    expect(f("roles.roleType='primary'")).toEqual({ roles: { roleType: { eq: 'primary' } } });
    expect(f("agents.sourcedId='g'")).toEqual({ agents: { sourcedId: { eq: 'g' } } });
    expect(f("terms.sourcedId='t'", 'Class')).toEqual({ terms: { sourcedId: { eq: 't' } } });
  });

  it('maps the 1.1 role and orgs onto the 1.2 roles', () => {
    expect(f("role='teacher'", 'User', true)).toEqual({ roles: { role: { eq: 'teacher' } } });
    expect(f("orgs.sourcedId='s'", 'User', true)).toEqual({ roles: { org: { sourcedId: { eq: 's' } } } });
  });

  it('types values: date-times, dates, numbers, booleans, ext: tokens', () => {
    expect(f("dateLastModified>'2025-09-01T10:00:00+02:00'")).toEqual({ dateLastModified: { gt: '2025-09-01T08:00:00.000Z' } });
    expect(f("dateLastModified>='2025-09-01'")).toEqual({ dateLastModified: { gte: '2025-09-01T00:00:00.000Z' } });
    expect(f("startDate<'2025-01-01'", 'AcademicSession')).toEqual({ startDate: { lt: '2025-01-01' } });
    expect(f("score>='90.5'", 'Result')).toEqual({ score: { gte: 90.5 } });
    expect(f("enabledUser='false'")).toEqual({ enabledUser: { eq: false } });
    expect(f("type='ext:region'", 'Org')).toEqual({ type: { eq: 'ext:region' } });
    expect(f("grades='09'")).toEqual({ grades: { eq: '09' } });
  });

  it('rejects unknown fields, wrong value types and misplaced operators with invalid_filter_field', () => {
    const bad = (text: string, message: RegExp, type = 'User') => rejects(() => f(text, type), 400, 'invalid_filter_field', message);
    bad("shoeSize='9'", /shoeSize/);
    bad("metadata='x'", /metadata/);
    bad("primaryOrg='x'", /reference/);
    bad("primaryOrg.name='x'", /primaryOrg\.name/);
    bad("familyName.x='y'", /no property/);
    bad("dateLastModified>'yesterday'", /date-time/);
    bad("dateLastModified>'2025-02-30'", /date-time/);
    bad("startDate='2025-13-01'", /date/, 'AcademicSession');
    bad("score>'high'", /number/, 'Result');
    bad("enabledUser='yes'", /true/);
    bad("enabledUser>'true'", /= or !=/);
    bad("dateLastModified~'2025'", /text fields/);
    bad("AND='x'", /AND/);
  });
});

describe('result → body and headers', () => {
  const t = new Translator({ schema });
  const run = (e: Endpoint, params: string[], data: Record<string, unknown>, query = {}) => {
    const req = { endpoint: e, params, query };
    const tr = t.translate(req, 100);
    return t.respond(req, tr, { data } as ExecutionResult, url);
  };

  it('serialises GUIDRefs with absolute hrefs on this server, string booleans, and omits empty optional fields', () => {
    const node = {
      sourcedId: 'u/1', status: 'active', dateLastModified: '2025-01-01T00:00:00.000Z', metadata: null, username: null, userIds: [],
      enabledUser: false, givenName: 'A', familyName: 'B', roles: [{ roleType: 'primary', role: 'ext:mentor', org: { sourcedId: 's 1' },
        userProfile: null, beginDate: '2024-08-15', endDate: null }],
      userProfiles: [{ profileId: 'urn:p', profileType: 'LMS', vendorId: 'v', applicationId: null, description: null, credentials: [] }],
      primaryOrg: null, agents: { nodes: [{ sourcedId: 'g1' }] }, grades: ['09'], resources: { nodes: [] },
    };
    const out = run(users, [], { list: { totalCount: 7, nodes: [node] } }, { limit: 2, offset: 2 });
    expect(out.body).toEqual({ users: [{
      sourcedId: 'u/1', status: 'active', dateLastModified: '2025-01-01T00:00:00.000Z', enabledUser: 'false', givenName: 'A', familyName: 'B',
      roles: [{ roleType: 'primary', role: 'ext:mentor', org: { href: 'https://sis.example.test/ims/oneroster/rostering/v1p2/orgs/s%201', sourcedId: 's 1', type: 'org' }, beginDate: '2024-08-15' }],
      userProfiles: [{ profileId: 'urn:p', profileType: 'LMS', vendorId: 'v' }],
      agents: [{ href: 'https://sis.example.test/ims/oneroster/rostering/v1p2/users/g1', sourcedId: 'g1', type: 'user' }],
      grades: ['09'],
    }] });
    expect(out.headers['x-total-count']).toBe('7');
    expect(out.headers.link).toContain('rel="next"');
    expect(out.headers.link).toContain('<https://sis.example.test/ims/oneroster/rostering/v1p2/users?limit=2&offset=0&filter=x>; rel="first"');
  });

  it('carries hostile strings through unchanged and percent-encodes them in hrefs', () => {
    const hostile = 'Zoë "Q" \\ back\nline\u2028sep \u{1F600} <tag> &amp; ,}]';
    const node = { sourcedId: hostile, status: 'active', dateLastModified: '2025-01-01T00:00:00.000Z', metadata: { [hostile]: [hostile, 1, true, null] },
      givenName: hostile, familyName: '', enabledUser: true, roles: [], agents: { nodes: [{ sourcedId: hostile }] }, grades: [hostile] };
    const out = run(users, [], { list: { totalCount: 1, nodes: [node] } });
    expect(JSON.parse(JSON.stringify(out.body)).users[0]).toEqual({
      sourcedId: hostile, status: 'active', dateLastModified: '2025-01-01T00:00:00.000Z', metadata: { [hostile]: [hostile, 1, true, null] },
      givenName: hostile, familyName: '', enabledUser: 'true', roles: [],
      agents: [{ href: `https://sis.example.test/ims/oneroster/rostering/v1p2/users/${encodeURIComponent(hostile)}`, sourcedId: hostile, type: 'user' }],
      grades: [hostile],
    });
  });

  it('points references into the service that serves them', () => {
    const e = endpoint('v1p2', '/lineItems/{sourcedId}');
    const out = run(e, ['li'], { item: { sourcedId: 'li', category: { sourcedId: 'c' }, class: { sourcedId: 'k' }, scoreScale: { sourcedId: 's' } } },
      { fields: ['sourcedId', 'category', 'class', 'scoreScale'] });
    expect(out.body.lineItem).toMatchObject({
      category: { href: 'https://sis.example.test/ims/oneroster/gradebook/v1p2/categories/c', type: 'category' },
      class: { href: 'https://sis.example.test/ims/oneroster/rostering/v1p2/classes/k', type: 'class' },
      scoreScale: { href: 'https://sis.example.test/ims/oneroster/gradebook/v1p2/scoreScales/s', type: 'scoreScale' },
    });
  });

  it('answers 404 unknownobject for a missing object, a missing parent, or a parent outside its container', () => {
    rejects(() => run(endpoint('v1p2', '/users/{sourcedId}'), ['x'], { item: null }), 404, 'unknownobject', /user x/);
    const e = endpoint('v1p2', '/schools/{schoolSourcedId}/classes/{classSourcedId}/students');
    rejects(() => run(e, ['s', 'c'], { p0: null, p1: null }), 404, 'unknownobject', /school s/);
    rejects(() => run(e, ['s', 'c'], { p0: { sourcedId: 's' }, p1: null }), 404, 'unknownobject', /class c/);
    rejects(() => run(e, ['s', 'c'], { p0: { sourcedId: 's' }, p1: { sourcedId: 'c', __within: { sourcedId: 'other' } } }), 404, 'unknownobject', /does not belong/);
  });

  it('maps graph input errors to 400 and lets anything else through as a server fault', () => {
    const req = { endpoint: users, params: [], query: {} };
    const tr = t.translate(req, 100);
    const coded = { errors: [{ message: 'bad', extensions: { code: 'BAD_USER_INPUT' } }] } as unknown as ExecutionResult;
    rejects(() => t.respond(req, tr, coded, url), 400, 'invaliddata');
    const other = { errors: [{ message: 'boom', extensions: {}, originalError: new TypeError('boom') }] } as unknown as ExecutionResult;
    expect(() => t.respond(req, tr, other, url)).toThrow(TypeError);
  });
});

describe('1.1 role', () => {
  const role = (r: string, roleType = 'primary', org = 'o1') => ({ role: r, roleType, org: { sourcedId: org } });

  it('maps the 1.2 administrator roles and counselor to administrator and keeps the rest', () => {
    for (const r of ['districtAdministrator', 'siteAdministrator', 'principal', 'systemAdministrator', 'counselor']) expect(v1p1RoleOf(r)).toBe('administrator');
    for (const r of ['student', 'teacher', 'guardian', 'parent', 'relative', 'aide', 'proctor', 'ext:mentor']) expect(v1p1RoleOf(r)).toBe(r);
  });

  it('takes the primary role in the primary org, else the first primary role, else the first role', () => {
    expect(primaryRole([role('teacher', 'primary', 'a'), role('principal', 'primary', 'b')], 'b')?.role).toBe('principal');
    expect(primaryRole([role('parent', 'secondary'), role('teacher')], 'x')?.role).toBe('teacher');
    expect(primaryRole([role('parent', 'secondary')], undefined)?.role).toBe('parent');
    expect(primaryRole([], undefined)).toBeUndefined();
  });
});

it('1.1 shapes keep 1.1 properties only', () => {
  expect(Object.keys(V1P1_SHAPES.user.properties)).toContain('role');
  expect(Object.keys(V1P1_SHAPES.user.properties)).not.toContain('roles');
  expect(Object.keys(V1P1_SHAPES.lineItem.properties)).not.toContain('school');
});
