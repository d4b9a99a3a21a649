import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALL_READ_SCOPES } from '../../src/auth/scopes.js';
import type { EntityName } from '../../src/model/dsl.js';
import { ENDPOINTS } from '../../src/rest/endpoints.js';
import { routePath, shapeOf } from '../../src/rest/translate.js';
import { graphql } from '../support/app.js';
import { guidRefs, sharingFixture, type SharingFixture } from './support.js';
import { expectedVisibility, readAll, type Visible } from './visibility.js';

/**
 * Random filters, sorts, field selections and nested paths from a client limited to school-001 never
 * return a sourcedId (of a record or of a GUIDRef) outside the visibility table computed from the seed.
 */
let f: SharingFixture;
let auth: string;
let visible: Visible;
let ids: string[];

beforeAll(async () => {
  f = await sharingFixture();
  const all = await readAll(f.db.orm.em);
  visible = expectedVisibility(all, ['school-001']);
  auth = (await f.client([...ALL_READ_SCOPES], { orgs: ['school-001'] })).auth;
  // Values to filter on and to put in paths: ids of both schools, so that probes aim at the other school too.
  ids = [...new Set(Object.values(all).flat().map((r) => r.sourced_id as string).filter(Boolean))].sort();
}, 240_000);
afterAll(async () => { await f?.close(); });

const lists = ENDPOINTS.filter((e) => e.list);
const FILTER_FIELDS = ['sourcedId', 'status', 'dateLastModified', 'class.sourcedId', 'school.sourcedId', 'user.sourcedId', 'student.sourcedId',
  'lineItem.sourcedId', 'parent.sourcedId', 'org.sourcedId', 'course.sourcedId', 'roles.org.sourcedId', 'title', 'familyName', 'name'];

it('REST: no random request returns an invisible sourcedId or GUIDRef, and counts only visible records', async () => {
  const request = fc.record({
    endpoint: fc.constantFrom(...lists),
    pathIds: fc.array(fc.constantFrom(...ids), { minLength: 2, maxLength: 2 }),
    predicates: fc.array(fc.tuple(fc.constantFrom(...FILTER_FIELDS), fc.constantFrom('=', '!=', '>', '<', '~'), fc.constantFrom(...ids, 'active', '2025-01-01')), { maxLength: 3 }),
    joiner: fc.constantFrom(' AND ', ' OR '),
    sort: fc.option(fc.constantFrom('sourcedId', 'dateLastModified', 'title', 'familyName', 'name', 'status')),
    fields: fc.option(fc.subarray(['sourcedId', 'status', 'class', 'school', 'user', 'student', 'parent', 'children', 'org', 'course', 'terms', 'agents', 'roles', 'lineItem'], { minLength: 1 })),
    limit: fc.integer({ min: 1, max: 50 }),
    offset: fc.integer({ min: 0, max: 20 }),
  });
  await fc.assert(fc.asyncProperty(request, async (r) => {
    let i = 0;
    const path = routePath(r.endpoint).replace(/\{[^}]+\}/g, () => encodeURIComponent(r.pathIds[i++]!));
    const search = new URLSearchParams({ limit: String(r.limit), offset: String(r.offset) });
    if (r.predicates.length) search.set('filter', r.predicates.map(([field, op, value]) => `${field}${op}'${value}'`).join(r.joiner));
    if (r.sort) search.set('sort', r.sort);
    if (r.fields) search.set('fields', r.fields.join(','));
    const url = `${path}?${search}`;
    const res = await f.app.inject({ method: 'GET', url, headers: { authorization: auth } });
    expect(res.statusCode, url).toBeLessThan(500);
    if (res.statusCode !== 200) return;
    const entity = shapeOf(r.endpoint).entity;
    const records = res.json()[r.endpoint.wrapper] as Array<Record<string, unknown>>;
    for (const rec of records) if (rec.sourcedId !== undefined) expect(visible[entity].has(String(rec.sourcedId)), `${url}: ${String(rec.sourcedId)}`).toBe(true);
    for (const [type, id] of guidRefs(records)) expect(visible[type].has(id), `${url}: GUIDRef ${type} ${id}`).toBe(true);
    expect(Number(res.headers['x-total-count']), url).toBeLessThanOrEqual(visible[entity].size);
  }), { numRuns: 150 });
}, 300_000);

it('GraphQL: no random filter or nested path returns an invisible sourcedId', async () => {
  const query = fc.record({
    root: fc.constantFrom('users', 'classes', 'orgs', 'enrollments', 'lineItems', 'results', 'courses', 'academicSessions', 'resources'),
    nested: fc.constantFrom('', 'users', 'enrollments', 'classes', 'students', 'results', 'resources', 'agents', 'orgs', 'children', 'lineItems'),
    id: fc.constantFrom(...ids),
    op: fc.constantFrom('eq', 'ne', 'gt', 'lt'),
  });
  const TYPES: Record<string, EntityName> = {
    users: 'User', classes: 'Class', orgs: 'Org', enrollments: 'Enrollment', lineItems: 'LineItem', results: 'Result', courses: 'Course',
    academicSessions: 'AcademicSession', resources: 'Resource', students: 'User', agents: 'User', children: 'Org',
  };
  await fc.assert(fc.asyncProperty(query, async ({ root, nested, id, op }) => {
    const inner = nested ? ` ${nested}(first: 20) { totalCount nodes { sourcedId } }` : '';
    const q = `{ list: ${root}(first: 30, filter: { sourcedId: { ${op}: "${id}" } }) { totalCount nodes { sourcedId${inner} } } }`;
    const res = await graphql(f.app, q, auth);
    // A relation the type does not have is a validation error: nothing was read.
    if (res.body.errors?.length) { expect(res.body.data ?? null).toBeNull(); return; }
    const list = res.body.data.list;
    const nestedType = nested === 'children' ? TYPES[root]! : TYPES[nested]!;
    expect(list.totalCount, q).toBeLessThanOrEqual(visible[TYPES[root]!].size);
    for (const node of list.nodes) {
      expect(visible[TYPES[root]!].has(node.sourcedId), `${q}: ${node.sourcedId}`).toBe(true);
      if (!nested || !node[nested]) continue;
      for (const child of node[nested].nodes) expect(visible[nestedType].has(child.sourcedId), `${q}: ${nested} ${child.sourcedId}`).toBe(true);
      expect(node[nested].totalCount).toBeLessThanOrEqual(visible[nestedType].size);
    }
  }), { numRuns: 120 });
}, 300_000);
