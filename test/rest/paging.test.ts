import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/rest/endpoints.js';
import { restFixture, sampleUrl, type RestFixture } from './support.js';

let f: RestFixture;
beforeAll(async () => { f = await restFixture(); }, 60_000);
afterAll(async () => { await f?.close(); });

/** Parses an RFC 8288 Link header into rel → URL. */
function links(header: unknown): Record<string, URL> {
  const out: Record<string, URL> = {};
  for (const part of String(header).split(', ')) {
    const m = /^<([^>]+)>; rel="(\w+)"$/.exec(part);
    if (!m) throw new Error(`malformed Link part ${part}`);
    out[m[2]!] = new URL(m[1]!);
  }
  return out;
}

describe('walking every collection with limit=7 returns every record exactly once', () => {
  for (const e of ENDPOINTS.filter((x) => x.list)) {
    it(`${e.version} ${e.service} ${e.path}`, async () => {
      const url = sampleUrl(e);
      const full = await f.get(`${url}?limit=10000&fields=sourcedId`);
      expect(full.status).toBe(200);
      const expected = full.body[e.wrapper].map((o: any) => o.sourcedId);
      const total = Number(full.headers['x-total-count']);
      expect(total).toBe(expected.length);

      const seen: string[] = [];
      let next: string | undefined = `${url}?limit=7&fields=sourcedId`;
      let pages = 0;
      while (next) {
        const page = await f.get(next);
        expect(page.status).toBe(200);
        expect(Number(page.headers['x-total-count'])).toBe(total);
        const l = links(page.headers.link);
        expect(l.first!.searchParams.get('offset')).toBe('0');
        expect(l.first!.searchParams.get('fields')).toBe('sourcedId');
        expect(Number(l.last!.searchParams.get('offset'))).toBe(total === 0 ? 0 : Math.floor((total - 1) / 7) * 7);
        if (pages > 0) expect(l.prev).toBeDefined(); else expect(l.prev).toBeUndefined();
        seen.push(...page.body[e.wrapper].map((o: any) => o.sourcedId));
        next = l.next ? `${l.next.pathname}${l.next.search}` : undefined;
        pages++;
      }
      expect(pages).toBe(Math.max(1, Math.ceil(total / 7)));
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expected);
    });
  }
});

it('an offset past the end is an empty page with the total and a prev link', async () => {
  const res = await f.get('/ims/oneroster/rostering/v1p2/orgs?offset=1000&limit=5');
  expect(res.status).toBe(200);
  expect(res.body.orgs).toEqual([]);
  expect(Number(res.headers['x-total-count'])).toBeGreaterThan(0);
  expect(links(res.headers.link).prev!.searchParams.get('offset')).toBe('995');
});

it('an offset past the end of a nested collection of users (roles, agents read along) is an empty page', async () => {
  const e = ENDPOINTS.find((x) => x.version === 'v1p2' && x.path === '/schools/{schoolSourcedId}/students')!;
  const res = await f.get(`${sampleUrl(e)}?offset=100000&limit=5`);
  expect(res.status).toBe(200);
  expect(res.body.users).toEqual([]);
  expect(Number(res.headers['x-total-count'])).toBeGreaterThan(0);
});
