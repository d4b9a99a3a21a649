import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkHeader } from '../../src/rest/links.js';

const BASE = 'https://h.example/ims/oneroster/rostering/v1p2/users';

/** rel → URL of each link in the header. */
function links(header: string): Map<string, URL> {
  const entries = [...header.matchAll(/<([^>]*)>; rel="(\w+)"/g)].map(([, href, rel]) => [rel!, new URL(href!)] as const);
  return new Map(entries);
}

function offsets(header: string): Record<string, number> {
  return Object.fromEntries([...links(header)].map(([rel, url]) => [rel, Number(url.searchParams.get('offset'))]));
}

describe('linkHeader', () => {
  it('builds first, last, next and prev for a middle page', () => {
    expect(linkHeader(new URL(`${BASE}?limit=100&offset=200`), { offset: 200, limit: 100, total: 1000 })).toBe(
      [
        `<${BASE}?limit=100&offset=0>; rel="first"`,
        `<${BASE}?limit=100&offset=900>; rel="last"`,
        `<${BASE}?limit=100&offset=300>; rel="next"`,
        `<${BASE}?limit=100&offset=100>; rel="prev"`,
      ].join(', '),
    );
  });

  it('leaves out prev on the first page', () => {
    expect(offsets(linkHeader(new URL(BASE), { offset: 0, limit: 100, total: 250 }))).toEqual({
      first: 0,
      last: 200,
      next: 100,
    });
  });

  it('leaves out next on the last page', () => {
    expect(offsets(linkHeader(new URL(BASE), { offset: 200, limit: 100, total: 250 }))).toEqual({
      first: 0,
      last: 200,
      prev: 100,
    });
  });

  it('points last at the start of a full final page', () => {
    expect(offsets(linkHeader(new URL(BASE), { offset: 0, limit: 100, total: 200 })).last).toBe(100);
  });

  it('gives only first and last, both at offset 0, for an empty collection', () => {
    expect(offsets(linkHeader(new URL(BASE), { offset: 0, limit: 100, total: 0 }))).toEqual({ first: 0, last: 0 });
  });

  it('floors prev at offset 0', () => {
    expect(offsets(linkHeader(new URL(BASE), { offset: 30, limit: 100, total: 500 })).prev).toBe(0);
  });

  it('keeps every other query parameter, including encoded filters', () => {
    const filter = "familyName='O''Brien, Jr' AND roles.role>='t<e>a&ch'";
    const url = new URL(BASE);
    url.searchParams.set('filter', filter);
    url.searchParams.set('sort', 'familyName');
    url.searchParams.append('fields', 'sourcedId');
    url.searchParams.append('fields', 'givenName');
    url.searchParams.set('limit', '10');
    url.searchParams.set('offset', '10');

    for (const [, link] of links(linkHeader(url, { offset: 10, limit: 10, total: 35 }))) {
      expect(link.pathname).toBe('/ims/oneroster/rostering/v1p2/users');
      expect(link.searchParams.get('filter')).toBe(filter);
      expect(link.searchParams.get('sort')).toBe('familyName');
      expect(link.searchParams.getAll('fields')).toEqual(['sourcedId', 'givenName']);
      expect(link.searchParams.get('limit')).toBe('10');
    }
  });

  it('adds limit and offset when the request had none, and collapses repeated ones', () => {
    const [first] = links(linkHeader(new URL(`${BASE}?offset=5&offset=6&limit=1&limit=2`), { offset: 5, limit: 7, total: 9 })).values();
    expect(first!.searchParams.getAll('offset')).toEqual(['0']);
    expect(first!.searchParams.getAll('limit')).toEqual(['7']);
    const [fromBare] = links(linkHeader(new URL(BASE), { offset: 0, limit: 7, total: 9 })).values();
    expect(fromBare!.search).toBe('?limit=7&offset=0');
  });

  it('drops the fragment', () => {
    expect(linkHeader(new URL(`${BASE}#top`), { offset: 0, limit: 1, total: 1 })).not.toContain('#');
  });

  it('gives consistent links for any page', () => {
    const page = fc
      .record({ limit: fc.integer({ min: 1, max: 500 }), total: fc.nat(5000), offset: fc.nat(6000) });
    fc.assert(
      fc.property(page, ({ offset, limit, total }) => {
        const rel = offsets(linkHeader(new URL(`${BASE}?filter=a%3D%27b%27`), { offset, limit, total }));
        expect(rel.first).toBe(0);
        expect(rel.last! % limit).toBe(0);
        expect(rel.last).toBeLessThanOrEqual(Math.max(0, total - 1));
        expect(rel.last! + limit).toBeGreaterThanOrEqual(total);
        expect(rel.next).toBe(offset + limit < total ? offset + limit : undefined);
        expect(rel.prev).toBe(offset > 0 ? Math.max(0, offset - limit) : undefined);
      }),
    );
  });
});
