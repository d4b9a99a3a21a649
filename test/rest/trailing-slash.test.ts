import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/rest/endpoints.js';
import { restFixture, sampleUrl, type RestFixture } from './support.js';

let f: RestFixture;
beforeAll(async () => { f = await restFixture(); }, 60_000);
afterAll(async () => { await f?.close(); });

const COMPARED_HEADERS = ['content-type', 'link', 'x-total-count'];
const headersOf = (h: Record<string, unknown>) => Object.fromEntries(COMPARED_HEADERS.map((k) => [k, h[k]]));

describe('a trailing slash answers exactly as the path without it (generated SDKs send one on every collection call)', () => {
  for (const e of ENDPOINTS) {
    it(`${e.version} ${e.service} GET ${e.path}/`, async () => {
      const url = sampleUrl(e);
      const query = e.list ? '?limit=2&offset=1' : '';
      const plain = await f.get(`${url}${query}`);
      const slashed = await f.get(`${url}/${query}`);
      expect(plain.status, JSON.stringify(plain.body)).toBe(200);
      expect(slashed.status, JSON.stringify(slashed.body)).toBe(200);
      expect(slashed.body).toEqual(plain.body);
      expect(headersOf(slashed.headers)).toEqual(headersOf(plain.headers));
    });
  }
});

describe('an empty path segment never looks up an empty sourcedId', () => {
  const imsx = (body: any) => body?.imsx_CodeMinor?.imsx_codeMinorField?.[0]?.imsx_codeMinorFieldValue;
  it.each([
    '/ims/oneroster/rostering/v1p2/users//classes',
    '/ims/oneroster/rostering/v1p2/schools//classes/',
    '/ims/oneroster/rostering/v1p2/users//',
    '/ims/oneroster/v1p1/courses//',
    '/ims/oneroster/gradebook/v1p2/classes//lineItems',
  ])('%s', async (url) => {
    const res = await f.get(url);
    expect([400, 404]).toContain(res.status);
    expect(res.body.imsx_codeMajor).toBe('failure');
    expect(['invaliddata', 'invalid data', 'unknownobject', 'unknown object']).toContain(imsx(res.body));
    expect(res.body.imsx_description).not.toMatch(/does not exist/);
  });
});
