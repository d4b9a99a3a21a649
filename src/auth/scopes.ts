/**
 * OAuth 2 scope URIs (rest.md §2.1 for v1.2, §7 for v1.1) and the rules for checking them.
 */

export const V1P2_SCOPE_PREFIX = 'https://purl.imsglobal.org/spec/or/v1p2/scope/';
export const V1P1_SCOPE_PREFIX = 'https://purl.imsglobal.org/spec/or/v1p1/scope/';

/** Our own scope (not OneRoster): CSV upload/download and other administrative routes. */
export const ADMIN_SCOPE = 'https://oneroster-graph.dev/scope/admin';
/** Our own scope: reading /metrics on the service port (src/ops/metrics.ts). */
export const METRICS_SCOPE = 'https://oneroster-graph.dev/scope/metrics';

const V1P2_NAMES = [
  'roster-core.readonly',
  'roster.readonly',
  'roster-demographics.readonly',
  'gradebook-core.readonly',
  'gradebook.readonly',
  'gradebook.createput',
  'gradebook.createpost',
  'gradebook.delete',
  'assessment.readonly',
  'assessment.createput',
  'assessment.delete',
  'resource-core.readonly',
  'resource.readonly',
] as const;

const V1P1_NAMES = [
  'roster-core.readonly',
  'roster.readonly',
  'roster-demographics.readonly',
  'resource.readonly',
  'gradebook.readonly',
  'gradebook.createput',
  'gradebook.delete',
] as const;

export type ScopeName = (typeof V1P2_NAMES)[number];
export type V1p1ScopeName = (typeof V1P1_NAMES)[number];

const v1p2 = (name: ScopeName): string => V1P2_SCOPE_PREFIX + name;
const v1p1 = (name: V1p1ScopeName): string => V1P1_SCOPE_PREFIX + name;

/** Full v1.2 scope URI by short name, e.g. `SCOPES['roster.readonly']`. */
export const SCOPES = Object.freeze(
  Object.fromEntries(V1P2_NAMES.map((n) => [n, v1p2(n)])) as Record<ScopeName, string>,
);
/** Full v1.1 scope URI by short name. */
export const V1P1_SCOPES = Object.freeze(
  Object.fromEntries(V1P1_NAMES.map((n) => [n, v1p1(n)])) as Record<V1p1ScopeName, string>,
);

const isRead = (uri: string): boolean => uri.endsWith('.readonly');

/** Every OneRoster scope (v1.2 and v1.1), without ADMIN_SCOPE. */
export const ALL_ONEROSTER_SCOPES: readonly string[] = Object.freeze([
  ...Object.values(SCOPES),
  ...Object.values(V1P1_SCOPES),
]);
/** Every `*.readonly` scope, v1.2 and v1.1 (v1.1 ones let a legacy client ask for them by name). */
export const ALL_READ_SCOPES: readonly string[] = Object.freeze(ALL_ONEROSTER_SCOPES.filter(isRead));
/** Every scope this server knows, including ADMIN_SCOPE. */
export const ALL_SCOPES: readonly string[] = Object.freeze([...ALL_ONEROSTER_SCOPES, ADMIN_SCOPE, METRICS_SCOPE]);

const KNOWN = new Set(ALL_SCOPES);

export function isKnownScope(uri: string): boolean {
  return KNOWN.has(uri);
}

/**
 * Turns what a user typed into a full scope URI. Accepted forms:
 * - a full known URI (returned unchanged);
 * - `roster.readonly` → the v1.2 URI (v1.2 is the default);
 * - `v1p1/roster.readonly` → the v1.1 URI;
 * - `admin` → ADMIN_SCOPE, `metrics` → METRICS_SCOPE.
 * Throws a RangeError for anything else, so typos fail loudly instead of granting nothing.
 */
export function expandScope(shortOrFull: string): string {
  const s = shortOrFull.trim();
  let uri: string;
  if (s === 'admin') uri = ADMIN_SCOPE;
  else if (s === 'metrics') uri = METRICS_SCOPE;
  else if (s.includes('://')) uri = s;
  else if (s.startsWith('v1p1/')) uri = V1P1_SCOPE_PREFIX + s.slice('v1p1/'.length);
  else if (s.startsWith('v1p2/')) uri = V1P2_SCOPE_PREFIX + s.slice('v1p2/'.length);
  else uri = V1P2_SCOPE_PREFIX + s;
  if (!KNOWN.has(uri)) throw new RangeError(`unknown scope: ${JSON.stringify(shortOrFull)}`);
  return uri;
}

/**
 * v1.1 → v1.2 equivalence. Rule: a v1.1 scope `…/v1p1/scope/X` is also satisfied by the v1.2 scope
 * `…/v1p2/scope/X` with the same name X (all seven v1.1 names exist in v1.2 with the same meaning).
 * Only that direction: a v1.1 token does not open v1.2 routes, and no other implication is drawn
 * (e.g. v1p2 `resource-core.readonly` does not satisfy v1p1 `resource.readonly`).
 */
function v1p2Equivalent(uri: string): string | undefined {
  return uri.startsWith(V1P1_SCOPE_PREFIX) ? V1P2_SCOPE_PREFIX + uri.slice(V1P1_SCOPE_PREFIX.length) : undefined;
}

/**
 * True when the token holds at least one of the `required` scopes (rest.md §2.1: the OAS lists
 * e.g. `[roster.readonly, roster-core.readonly]` and either one suffices), taking the v1.1 → v1.2
 * equivalence above into account. An empty `required` list grants nothing: routes that need no
 * scope should not call this.
 */
export function hasAnyScope(granted: ReadonlySet<string>, required: readonly string[]): boolean {
  for (const scope of required) {
    if (granted.has(scope)) return true;
    const equivalent = v1p2Equivalent(scope);
    if (equivalent !== undefined && granted.has(equivalent)) return true;
  }
  return false;
}
