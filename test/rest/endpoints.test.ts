import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1P1_ENDPOINTS, V1P2_ENDPOINTS } from '../../src/rest/endpoints.js';
import { validateResponse } from '../../src/rest/openapi.js';
import { V1P1_SHAPES } from '../../src/rest/shapes.js';
import { restFixture, sampleUrl, type RestFixture } from './support.js';

let f: RestFixture;
beforeAll(async () => { f = await restFixture(); }, 60_000);
afterAll(async () => { await f?.close(); });

const label = (e: { version: string; service: string; path: string }) => `${e.version} ${e.service} GET ${e.path}`;

describe('every v1.2 read answers with a body valid under the official OpenAPI schema', () => {
  for (const e of V1P2_ENDPOINTS) {
    it(label(e), async () => {
      const res = await f.get(sampleUrl(e));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(validateResponse(e.service, 'get', e.path, 200, res.body)).toEqual([]);
      expect(Object.keys(res.body)).toEqual([e.wrapper]);
      const payload = res.body[e.wrapper];
      if (e.list) {
        expect(payload.length, 'the fixture has data for every collection').toBeGreaterThan(0);
        expect(Number(res.headers['x-total-count'])).toBeGreaterThanOrEqual(payload.length);
        expect(String(res.headers.link)).toContain('rel="first"');
      } else {
        expect(payload.sourcedId).toBe(sampleUrl(e).split('/').pop());
      }

      const narrow = await f.get(`${sampleUrl(e)}?fields=sourcedId,status`);
      expect(narrow.status).toBe(200);
      const objects = e.list ? narrow.body[e.wrapper] : [narrow.body[e.wrapper]];
      for (const o of objects) expect(Object.keys(o)).toEqual(['sourcedId', 'status']);
    });
  }
});

describe('every v1.1 read answers with the 1.1 shape', () => {
  for (const e of V1P1_ENDPOINTS) {
    it(label(e), async () => {
      const res = await f.get(sampleUrl(e));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(Object.keys(res.body)).toEqual([e.wrapper]);
      const objects: Record<string, any>[] = e.list ? res.body[e.wrapper] : [res.body[e.wrapper]];
      expect(objects.length).toBeGreaterThan(0);
      const known = Object.keys(V1P1_SHAPES[e.shape].properties);
      for (const o of objects) {
        for (const key of Object.keys(o)) expect(known).toContain(key);
        for (const value of Object.values(o)) {
          const refs = Array.isArray(value) ? value : [value];
          for (const r of refs) if (r && typeof r === 'object' && 'href' in r) expect(r.href).toMatch(/^http:\/\/localhost(:\d+)?\/ims\/oneroster\/v1p1\//);
        }
      }
      if (e.shape === 'user') {
        for (const u of objects) {
          expect(u.roles).toBeUndefined();
          expect(['administrator', 'aide', 'guardian', 'parent', 'proctor', 'relative', 'student', 'teacher']).toContain(u.role);
          expect(u.orgs.length).toBeGreaterThan(0);
        }
      }
    });
  }
});
