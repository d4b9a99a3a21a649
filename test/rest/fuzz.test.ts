import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { restFixture, type RestFixture } from './support.js';

let f: RestFixture;
beforeAll(async () => { f = await restFixture(); }, 60_000);
afterAll(async () => { await f?.close(); });

const PATHS = [
  '/ims/oneroster/rostering/v1p2/users',
  '/ims/oneroster/rostering/v1p2/schools/school-001/students',
  '/ims/oneroster/rostering/v1p2/users/student-000001',
  '/ims/oneroster/gradebook/v1p2/results',
  '/ims/oneroster/resources/v1p2/resources',
  '/ims/oneroster/v1p1/users',
];
const PARAMS = ['limit', 'offset', 'sort', 'orderBy', 'filter', 'fields'];

// Strings near the grammar (quotes, operators, joiners, dotted names) as well as arbitrary Unicode.
const nearFilter = fc.array(fc.constantFrom("'", "''", '=', '!=', '>=', '~', ' AND ', ' OR ', 'and', '.', 'familyName', 'roles.role',
  'dateLastModified', 'sourcedId', 'class.sourcedId', "'2025-01-01'", "'x'", '(', ')', '\u0000', '%', '\uD800', '9'.repeat(20)), { maxLength: 8 })
  .map((parts) => parts.join(''));
const anyValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), nearFilter, fc.integer().map(String), fc.constantFrom('', '-0', '1e3', '0x10'));

it('no value of any query parameter yields a 500', async () => {
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...PATHS),
    fc.array(fc.tuple(fc.constantFrom(...PARAMS, 'x'), anyValue), { maxLength: 4 }),
    async (path, pairs) => {
      const search = new URLSearchParams(pairs).toString();
      const res = await f.get(search ? `${path}?${search}` : path);
      expect(res.status, `${path}?${search} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
      if (res.status >= 400) expect(res.body.imsx_codeMajor).toBe('failure');
    },
  ), { numRuns: 300 });
}, 60_000);

it('raw, unencoded query strings and path parameters never yield a 500 either', async () => {
  await fc.assert(fc.asyncProperty(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), async (raw, id) => {
    const res1 = await f.get(`/ims/oneroster/rostering/v1p2/users?filter=${raw}&fields=${raw}`);
    expect(res1.status).toBeLessThan(500);
    const res2 = await f.get(`/ims/oneroster/rostering/v1p2/classes/${encodeURIComponent(id)}/students?sort=${encodeURIComponent(raw)}`);
    expect(res2.status).toBeLessThan(500);
  }), { numRuns: 150 });
}, 60_000);
