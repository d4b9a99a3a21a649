import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1P2_ENDPOINTS } from '../../src/rest/endpoints.js';
import { validateResponse } from '../../src/rest/openapi.js';
import { restFixture, sampleUrl, type RestFixture } from './support.js';

/**
 * The endpoint contract tests validate one page per endpoint; here every record of every root
 * collection is validated, formats included (uri, date, date-time: ajv-formats in full mode), so a
 * value that only some rows carry (a profile, an ext: token, a tombstone, a record a client wrote)
 * cannot slip through.
 */
let f: RestFixture;
const GRADEBOOK = '/ims/oneroster/gradebook/v1p2';
const ref = (type: string, sourcedId: string) => ({ href: `https://example.test/${type}/${sourcedId}`, sourcedId, type });

/** Records as a REST client writes them (datetimes with an offset, optional fields set), and a tombstone. */
async function writeSome() {
  const send = async (method: 'PUT' | 'DELETE', path: string, payload?: object) => {
    const res = await f.app.inject({ method, url: `${GRADEBOOK}${path}`, ...(payload ? { payload } : {}) });
    expect(res.statusCode, res.body).toBe(method === 'PUT' ? 201 : 204);
  };
  const stamp = { status: 'active', dateLastModified: '2025-09-01T10:00:00+02:00' };
  await send('PUT', '/lineItems/fmt-li', { lineItem: { sourcedId: 'fmt-li', ...stamp, title: 'Offsets', description: 'written by a client',
    assignDate: '2025-09-01T10:00:00+02:00', dueDate: '2025-09-08T23:59:59.5-05:00', class: ref('class', 'class-001-0001'),
    school: ref('org', 'school-001'), category: ref('category', 'cat-homework'), resultValueMin: 0, resultValueMax: 10, metadata: { 'ext:source': 'client' } } });
  for (const id of ['fmt-res-1', 'fmt-res-2']) {
    await send('PUT', `/results/${id}`, { result: { sourcedId: id, ...stamp, lineItem: ref('lineItem', 'fmt-li'), student: ref('user', 'student-000001'),
      scoreStatus: 'partially graded', score: 7.5, textScore: 'B', scoreDate: '2025-09-10', comment: 'late', late: 'true' } });
  }
  await send('DELETE', '/results/fmt-res-2');
}

beforeAll(async () => {
  f = await restFixture();
  await writeSome();
}, 60_000);
afterAll(async () => { await f?.close(); });

const roots = V1P2_ENDPOINTS.filter((e) => e.list?.from === 'root');

describe('every record of every v1.2 root collection is valid under the OpenAPI schema, formats included', () => {
  for (const e of roots) {
    it(`${e.service} GET ${e.path}`, async () => {
      const res = await f.get(`${sampleUrl(e)}?limit=10000`);
      expect(res.status).toBe(200);
      expect(Number(res.headers['x-total-count'])).toBe(res.body[e.wrapper].length);
      expect(validateResponse(e.service, 'get', e.path, 200, res.body)).toEqual([]);
    });
  }
});
