import type { EntityManager } from '@mikro-orm/postgresql';
import { collectionsOf } from './records.js';
import { loadSource } from './sources.js';
import { Upstream, type UpstreamOptions } from './upstream.js';

export interface ProbeReport {
  source: string;
  collections: { collection: string; url: string; records: number; total?: number }[];
}

/** `sources test`: a token, then the first page of every collection a sync reads; the first failure names its URL. */
export async function probeSource(em: EntityManager, key: Buffer, name: string, opts: UpstreamOptions = {}): Promise<ProbeReport> {
  const source = await loadSource(em, key, name);
  const upstream = new Upstream(source, { pageSize: 100, ...opts });
  await upstream.accessToken();
  const report: ProbeReport = { source: name, collections: [] };
  for (const c of collectionsOf(source.services)) report.collections.push({ collection: c.wrapper, ...await upstream.firstPage(c.service, c.path, c.wrapper) });
  return report;
}
