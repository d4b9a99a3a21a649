export interface Page {
  offset: number;
  limit: number;
  /** Records matching the request (after filter, before paging), as in X-Total-Count. */
  total: number;
}

/** Start of the final page, counting pages from offset 0; 0 for an empty collection. */
function lastOffset({ limit, total }: Page): number {
  return total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
}

function pageUrl(url: URL, offset: number, limit: number): string {
  const target = new URL(url);
  target.hash = '';
  // set() keeps a parameter where it was and drops duplicates; other parameters stay untouched.
  target.searchParams.set('limit', String(limit));
  target.searchParams.set('offset', String(offset));
  return target.href;
}

/**
 * RFC 8288 Link header for a collection page (rest.md §4.4). `first` and `last` are always
 * present; `next` is left out on the last page and `prev` on the first.
 */
export function linkHeader(url: URL, page: Page): string {
  const links: [rel: string, offset: number][] = [['first', 0], ['last', lastOffset(page)]];
  if (page.offset + page.limit < page.total) links.push(['next', page.offset + page.limit]);
  if (page.offset > 0) links.push(['prev', Math.max(0, page.offset - page.limit)]);
  return links.map(([rel, offset]) => `<${pageUrl(url, offset, page.limit)}>; rel="${rel}"`).join(', ');
}
