/**
 * A collection the upstream does not offer, or does not grant this gateway's client: 404 or 501 to its first
 * page (not implemented there), 403 (a scope the client lacks). A run goes on without an optional collection
 * (records.ts) and says so; for any other it is the source's configuration to fix, and the run fails, saying which.
 */
import { V1P2_ENDPOINTS } from '../rest/endpoints.js';
import type { SyncCollection } from './records.js';
import { UpstreamError } from './upstream.js';

/** The scopes that read `c` (any one does), by their short names. */
const scopesOf = (c: SyncCollection) =>
  V1P2_ENDPOINTS.find((e) => e.service === c.service && e.path === c.path && e.list)?.scopes.map((s) => s.replace(/^.*\/scope\//, '')).join(' or ') ?? 'a scope';

/** Why the upstream's answer means that it does not offer `c` to this client; undefined for any other fault. */
export function whyNotOffered(c: SyncCollection, err: unknown): string | undefined {
  if (!(err instanceof UpstreamError)) return undefined;
  if (err.status === 403) return `the upstream refuses ${c.wrapper} (403): its client for this gateway lacks ${scopesOf(c)}`;
  if (err.status === 404 || err.status === 501) return `the upstream does not offer ${c.wrapper} (${err.status})`;
  return undefined;
}
