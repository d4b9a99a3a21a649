import type { EntityManager } from '@mikro-orm/postgresql';
import { collectionsOf } from './records.js';
import { loadSource } from './sources.js';
import { Upstream, type UpstreamOptions } from './upstream.js';

export interface ProbeReport {
  source: string;
  /** How the source authenticates: a fetched token (oauth2) or signed requests (oauth1). */
  auth: 'oauth1' | 'oauth2';
  collections: { collection: string; url: string; records: number; total?: number }[];
}

/**
 * `sources test`: a token (an OAuth 1.0a source has none: its first signed request tests the secret), then
 * the first page of every collection a sync reads; the first failure names its URL.
 */
export async function probeSource(em: EntityManager, key: Buffer, name: string, opts: UpstreamOptions = {}): Promise<ProbeReport> {
  const source = await loadSource(em, key, name);
  const upstream = new Upstream(source, { pageSize: 100, ...opts });
  if (source.auth === 'oauth2') await upstream.accessToken();
  const report: ProbeReport = { source: name, auth: source.auth, collections: [] };
  for (const c of collectionsOf(source.services)) report.collections.push({ collection: c.wrapper, ...await upstream.firstPage(c.service, c.path, c.wrapper) });
  return report;
}
