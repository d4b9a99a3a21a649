// Generated from src/model/relations.ts by `npm run schema`; test/graph/schema-sync.test.ts checks it. Do not edit.

/** The relations of each record type of the graph, by name (src/graph/node.ts `defineNode`). */
export interface RelationNames {
  AcademicSession: 'children' | 'classes' | 'courses' | 'gradingPeriods' | 'lineItems' | 'schools';
  AssessmentLineItem: 'assessmentResults' | 'children';
  AssessmentResult: never;
  Category: 'classes' | 'lineItems';
  Class:
    | 'assessmentLineItems'
    | 'categories'
    | 'enrollments'
    | 'lineItems'
    | 'resources'
    | 'results'
    | 'scoreScales'
    | 'students'
    | 'teachers'
    | 'terms'
    | 'users';
  Course: 'classes' | 'resources' | 'scoreScales';
  Demographics: 'user';
  Enrollment: never;
  LineItem: 'learningObjectives' | 'results' | 'scoreScale';
  LineItemLearningObjective: never;
  Org:
    | 'children'
    | 'classes'
    | 'courses'
    | 'enrollments'
    | 'lineItems'
    | 'primaryOrgUsers'
    | 'roles'
    | 'scoreScales'
    | 'students'
    | 'teachers'
    | 'terms'
    | 'users';
  Resource: 'classes' | 'courses' | 'users';
  Result: 'learningObjectiveResults' | 'scoreScale';
  ResultLearningObjective: never;
  ScoreScale: 'assessmentLineItems' | 'assessmentResults' | 'lineItems' | 'results';
  User:
    | 'agentFor'
    | 'agents'
    | 'assessmentResults'
    | 'classes'
    | 'demographics'
    | 'enrollments'
    | 'orgs'
    | 'resources'
    | 'results'
    | 'roles'
    | 'userProfiles';
  UserProfile: never;
  UserRole: never;
}
