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
  /** A sync would fail (some collection it needs could not be read), or grades could not be sent back. */
  ok: boolean;
  /** With --push-grades on an OAuth 2 source: whether the token was granted the write scopes the grade push needs. */
  pushGrades?: { ok: boolean; note: string };
}

/** What sending grades back needs of the upstream client: PUT and DELETE of line items and results. */
const PUSH_SCOPES = ['gradebook.createput', 'gradebook.delete'];

/**
 * Whether the granted scopes (1.2 or 1.1 URIs, or bare names) allow the grade push. A token endpoint may leave
 * `scope` out when it granted what was asked (RFC 6749 §5.1): then nothing can be told before the first PUT.
 */
function pushScopesCheck(granted: string[] | undefined): { ok: boolean; note: string } {
  if (!granted) return { ok: true, note: 'the token endpoint did not say which scopes it granted; the first grade sent will tell' };
  const has = (name: string) => granted.some((s) => s === name || s.endsWith(`/scope/${name}`));
  const missing = PUSH_SCOPES.filter((name) => !has(name));
  return missing.length
    ? { ok: false, note: `the token lacks ${missing.join(' and ')}: the upstream will refuse the grades sent back (give its client those scopes, or --scope)` }
    : { ok: true, note: `the token has ${PUSH_SCOPES.join(' and ')}` };
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
  if (source.auth === 'oauth2' && source.pushGrades) {
    report.pushGrades = pushScopesCheck(upstream.grantedScopes);
    if (!report.pushGrades.ok) report.ok = false;
  }
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
