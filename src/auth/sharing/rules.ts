import type { EntityManager } from '@mikro-orm/postgresql';
import { wholeDistrict, type ReadPolicy } from '../../data/read-policy.js';
import { emSession, sql } from '../../db/sql.js';
import type { EntityName } from '../../model/dsl.js';
import { DeniedFields, NO_DENIED_FIELDS } from './fields.js';
import { SharingPolicy, visibleSets } from './policy.js';

/** What one client may see: the read policy of its orgs and its denied fields. */
export interface Sharing {
  /** Limited to some orgs (false: the whole district). */
  readonly limited: boolean;
  readonly policy: ReadPolicy;
  readonly denied: DeniedFields;
  /**
   * Whether a GUIDRef read from a foreign key (no statement) may be served: an org or session outside
   * the client's orgs (a school's parent district, a course owned by the district) is left out.
   */
  refVisible(entity: EntityName, id: string): boolean;
}

const everyRef = () => true;
export const WHOLE_DISTRICT: Sharing = { limited: false, policy: wholeDistrict, denied: NO_DENIED_FIELDS, refVisible: everyRef };

/** How long a client's rules and visible orgs are reused: a rule change or a roster import shows within this. */
const CACHE_MS = 5_000;
/** Cached clients at most (entries expire anyway; the bound guards against many distinct client ids). */
const MAX_CACHED = 1_000;

/**
 * The sharing rules of each client, read from oauth_clients and, for a limited client, its visible
 * orgs and sessions, computed once per client every few seconds rather than once per statement.
 */
export class SharingRules {
  private readonly cache = new Map<string, { at: number; sharing: Promise<Sharing> }>();

  constructor(private readonly em: EntityManager, private readonly ttlMs = CACHE_MS) {}

  /** The rules of `clientId`; the whole district for callers that are no stored client (AUTH=off, tests' own tokens). */
  for(clientId: string | undefined): Promise<Sharing> {
    if (!clientId) return Promise.resolve(WHOLE_DISTRICT);
    const now = Date.now();
    const hit = this.cache.get(clientId);
    if (hit && now - hit.at < this.ttlMs) return hit.sharing;
    const sharing = this.load(clientId);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(clientId, { at: now, sharing });
    // A failed load is not kept: the next request tries again.
    sharing.catch(() => this.cache.delete(clientId));
    return sharing;
  }

  /** Forgets cached rules (after `clients update` in the same process, and in tests). */
  forget(clientId?: string): void {
    if (clientId) this.cache.delete(clientId);
    else this.cache.clear();
  }

  private async load(clientId: string): Promise<Sharing> {
    const session = emSession(this.em.fork());
    const [row] = await session.run(sql`select allowed_orgs, denied_fields from oauth_clients where client_id = ${clientId}`);
    if (!row) return WHOLE_DISTRICT;
    const orgs = row.allowed_orgs as string[] | null;
    const denied = new DeniedFields((row.denied_fields as string[] | null) ?? []);
    if (!orgs) return denied.empty ? WHOLE_DISTRICT : { limited: false, policy: wholeDistrict, denied, refVisible: everyRef };
    const policy = new SharingPolicy(await visibleSets(session, orgs));
    return { limited: true, policy, denied, refVisible: (entity, id) => policy.refVisible(entity, id) };
  }
}
