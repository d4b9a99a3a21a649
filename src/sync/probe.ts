import type { EntityManager } from '@mikro-orm/postgresql';
import { whyNotOffered } from './not-offered.js';
import { collectionsOf } from './records.js';
import { loadSource } from './sources.js';
import { Upstream, UpstreamError, type UpstreamOptions } from './upstream.js';

export interface ProbedCollection {
  collection: string;
  url: string;
  records?: number;
  total?: number;
  /** Why its first page could not be read. */
  error?: string;
  /** Not offered to this client, and optional: a sync goes on without it (not-offered.ts). */
  skipped?: boolean;
}

export interface ProbeReport {
  source: string;
  /** How the source authenticates: a fetched token (oauth2) or signed requests (oauth1). */
  auth: 'oauth1' | 'oauth2';
  collections: ProbedCollection[];
  /** A sync would fail: some collection it needs could not be read. */
  ok: boolean;
}

/**
 * `sources test`: a token (an OAuth 1.0a source has none: its first signed request tests the secret), then
 * the first page of every collection a sync reads, each reported on its own, so that one refused
 * collection does not hide how the others answer. Credentials refused (a token, or a 401) fail the test at once.
 */
export async function probeSource(em: EntityManager, key: Buffer, name: string, opts: UpstreamOptions = {}): Promise<ProbeReport> {
  const source = await loadSource(em, key, name);
  const upstream = new Upstream(source, { pageSize: 100, ...opts });
  if (source.auth === 'oauth2') await upstream.accessToken();
  const report: ProbeReport = { source: name, auth: source.auth, collections: [], ok: true };
  for (const c of collectionsOf(source.services)) {
    const url = upstream.collectionUrl(c.service, c.path, 0);
    try {
      report.collections.push({ collection: c.wrapper, ...await upstream.firstPage(c.service, c.path, c.wrapper) });
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 401) throw err; // the credentials: every collection would say the same
      const why = whyNotOffered(c, err);
      const skipped = !!why && !!c.optional;
      report.collections.push({ collection: c.wrapper, url, error: why ?? (err as Error).message, ...(skipped ? { skipped } : {}) });
      if (!skipped) report.ok = false;
    }
  }
  return report;
}
