import { service } from './service-modules.js';
import { clientToken } from './upstream.js';

/**
 * bench:sync's floor: every page of every collection the full sync reads, with plain `fetch` and `JSON.parse`
 * and nothing else (no checks, no database), two requests in flight as the sync has, pages of the same size.
 * A sync must at least read every page, so this is the least a full run can take against that upstream.
 * Returns the number of records read.
 */
export async function readEveryPage(base: string, client: { client_id: string; client_secret: string }, pageSize: number): Promise<number> {
  const { SYNC_COLLECTIONS } = await service<typeof import('../src/sync/records.js')>('sync/records.js');
  const { basePath } = await service<typeof import('../src/rest/endpoints.js')>('rest/endpoints.js');
  const authorization = `Bearer ${await clientToken(base, client)}`;
  const page = async (url: string, wrapper: string) => {
    const res = await fetch(url, { headers: { authorization, accept: 'application/json' } });
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    return (JSON.parse(await res.text()) as Record<string, unknown[]>)[wrapper]!.length;
  };
  let records = 0;
  for (const c of SYNC_COLLECTIONS) {
    const url = (offset: number) => `${base}${basePath(c.service, 'v1p2')}${c.path}?limit=${pageSize}&offset=${offset}`;
    for (let offset = 0; ; offset += 2 * pageSize) {
      const [a, b] = await Promise.all([page(url(offset), c.wrapper), page(url(offset + pageSize), c.wrapper)]);
      records += a + b;
      if (a < pageSize || b < pageSize) break;
    }
  }
  return records;
}
