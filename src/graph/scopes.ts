import { SCOPES } from '../auth/scopes.js';
import type { EntityName } from '../model/dsl.js';

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
