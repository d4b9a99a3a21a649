import { SCOPES, V1P1_SCOPE_PREFIX, V1P2_SCOPE_PREFIX } from '../auth/scopes.js';
import type { EntityName } from '../model/dsl.js';

const ROSTER = [SCOPES['roster-core.readonly'], SCOPES['roster.readonly']];
const GRADEBOOK = [SCOPES['gradebook-core.readonly'], SCOPES['gradebook.readonly']];

/**
 * The one declaration of read access: the scopes of each type, the same that REST demands for the
 * matching endpoints (any one suffices). Everything else derives from it: the scope-auth
 * `authScopes` of the root fields and of every field that crosses into another type's scope
 * (readAuth), and the filter/order guard (filter-guard.ts), so `user.demographics` needs
 * roster-demographics.readonly and `class.lineItems` a gradebook scope wherever they are reached.
 */
export const readScopes: Partial<Record<EntityName, readonly string[]>> = {
  Org: ROSTER, AcademicSession: ROSTER, Course: ROSTER, Class: ROSTER, User: ROSTER, UserRole: ROSTER,
  UserProfile: ROSTER, Enrollment: ROSTER,
  Demographics: [SCOPES['roster-demographics.readonly']],
  Category: GRADEBOOK, LineItem: GRADEBOOK, LineItemLearningObjective: GRADEBOOK, Result: GRADEBOOK,
  ResultLearningObjective: GRADEBOOK, ScoreScale: GRADEBOOK,
  AssessmentLineItem: [SCOPES['assessment.readonly']],
  AssessmentResult: [SCOPES['assessment.readonly']],
  Resource: [SCOPES['resource-core.readonly'], SCOPES['resource.readonly']],
};

/** Every scope that reads some type of the graph (in-process reads of our own: REST documents, outbox bodies). */
export const ALL_GRAPH_READ_SCOPES: ReadonlySet<string> = new Set(Object.values(readScopes).flatMap((s) => s ?? []));

/**
 * Whether the scopes allow reading records of `entity`, a v1.1 scope standing for its v1.2 twin.
 * For planning only (which relations to embed); the schema's authScopes enforce.
 */
export const canRead = (scopes: ReadonlySet<string>, entity: EntityName) =>
  (readScopes[entity] ?? []).some((s) => scopes.has(s) || scopes.has(s.replace(V1P2_SCOPE_PREFIX, V1P1_SCOPE_PREFIX)));

/** Whether reading `to` from `from` needs a scope that `from` did not (cross-service navigation). */
export const crossesScope = (from: EntityName, to: EntityName) =>
  [...(readScopes[from] ?? [])].sort().join() !== [...(readScopes[to] ?? [])].sort().join();

/** The scope-auth map of each type, one object per type so the plugin's per-request cache answers every repeat. */
const authMaps = new Map<EntityName, { anyScope: readonly string[] }>();

/**
 * The scope-auth `authScopes` of a field that reads records of `entity`: a root field, or a field of
 * another type that crosses into `entity`'s scope. A field that stays within its owner's scope needs
 * none: its owner was reached through such a field already. Checked once per field and parent, never
 * per property, which keeps large pages cheap.
 */
export function readAuth(entity: EntityName): { anyScope: readonly string[] } {
  let map = authMaps.get(entity);
  if (!map) {
    const scopes = readScopes[entity];
    if (!scopes) throw new Error(`no read scope declared for ${entity}`);
    authMaps.set(entity, (map = { anyScope: scopes }));
  }
  return map;
}
