import { SCOPES } from '../auth/scopes.js';
import type { EntityName } from '../model/dsl.js';
import { forbidden } from '../shared/errors.js';

const ROSTER = [SCOPES['roster-core.readonly'], SCOPES['roster.readonly']];
const GRADEBOOK = [SCOPES['gradebook-core.readonly'], SCOPES['gradebook.readonly']];

/**
 * The read scopes of each type, the same that REST demands for the matching endpoints: any one
 * suffices. Navigating into a type needs that type's scope, so `user.demographics` needs
 * roster-demographics.readonly and `class.lineItems` a gradebook scope.
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

/** Whether the scopes allow reading records of `entity`. */
export const canRead = (scopes: ReadonlySet<string>, entity: EntityName) =>
  (readScopes[entity] ?? []).some((s) => scopes.has(s));

/** Whether reading `to` from `from` needs a scope that `from` did not (cross-service navigation). */
export const crossesScope = (from: EntityName, to: EntityName) =>
  [...(readScopes[from] ?? [])].sort().join() !== [...(readScopes[to] ?? [])].sort().join();

/**
 * Read access is checked where a query reaches records: root fields, relations and references read
 * beyond their sourcedId. A sourcedId alone is an address, not data (model.md §0.1), so a result's
 * `student { sourcedId }` needs only the gradebook scope. Checking per field rather than per object
 * keeps large pages cheap.
 */
export function requireRead(scopes: ReadonlySet<string>, entity: EntityName, field: string): void {
  if (!canRead(scopes, entity)) throw forbidden(`the access token lacks a scope to read ${entity === 'UserRole' ? 'Role' : entity} (${field})`);
}
