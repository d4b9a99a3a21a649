import { listRoot, type Embed, type Row } from '../data/queries.js';
import type { EntityName } from '../model/dsl.js';
import type { RowCondition } from '../model/relations.js';
import { entityDef } from '../model/index.js';
import { builder } from './builder.js';
import { rootComplexity } from './cost.js';
import { listArgs } from './connections.js';
import type { Context } from './context.js';
import { embedsFor } from './embeds.js';
import { readAuth } from './scopes.js';
import { nodeProps, wantsTotal } from './selection.js';
import { connectionOf, nodeRef } from './node-refs.js';
import { collectionArgs } from './relation-fields.js';

/**
 * Root fields: one object by sourcedId and one paginated collection per type, plus the views the
 * OneRoster endpoints name (schools, terms, grading periods, students, teachers).
 */
interface RootView {
  entity: EntityName;
  single: string;
  plural: string;
  /** Conditions on its rows that define the view, as data (src/data/links.ts makes them SQL). */
  where?: RowCondition[];
  description: string;
}

/**
 * A user is a student (teacher) when any of their live roles is student (teacher); README: "Roles".
 * The user may be a tombstone (root views list tombstones), but a tombstoned role row makes no role.
 */
const hasRole = (role: string): RowCondition[] => [{ some: 'UserRole', via: 'user_sourced_id', where: [{ column: 'role', equals: role }] }];
const ofType = (type: string): RowCondition[] => [{ column: 'type', equals: type }];

export const rootViews: RootView[] = [
  { entity: 'Org', single: 'org', plural: 'orgs', description: 'Orgs of every type.' },
  { entity: 'Org', single: 'school', plural: 'schools', where: ofType('school'), description: 'Orgs of type school.' },
  { entity: 'AcademicSession', single: 'academicSession', plural: 'academicSessions', description: 'Academic sessions of every type.' },
  { entity: 'AcademicSession', single: 'term', plural: 'terms', where: ofType('term'), description: 'Academic sessions of type term.' },
  { entity: 'AcademicSession', single: 'gradingPeriod', plural: 'gradingPeriods', where: ofType('gradingPeriod'), description: 'Academic sessions of type gradingPeriod.' },
  { entity: 'Course', single: 'course', plural: 'courses', description: 'Courses.' },
  { entity: 'Class', single: 'class', plural: 'classes', description: 'Classes.' },
  { entity: 'User', single: 'user', plural: 'users', description: 'Users of every role.' },
  { entity: 'User', single: 'student', plural: 'students', where: hasRole('student'), description: 'Users with a student role (in any org).' },
  { entity: 'User', single: 'teacher', plural: 'teachers', where: hasRole('teacher'), description: 'Users with a teacher role (in any org).' },
  { entity: 'Enrollment', single: 'enrollment', plural: 'enrollments', description: 'Enrollments.' },
  { entity: 'Demographics', single: 'demographic', plural: 'demographics', description: 'Demographics records (one per user).' },
  { entity: 'Category', single: 'category', plural: 'categories', description: 'Line item categories.' },
  { entity: 'LineItem', single: 'lineItem', plural: 'lineItems', description: 'Line items.' },
  { entity: 'Result', single: 'result', plural: 'results', description: 'Results.' },
  { entity: 'ScoreScale', single: 'scoreScale', plural: 'scoreScales', description: 'Score scales.' },
  { entity: 'AssessmentLineItem', single: 'assessmentLineItem', plural: 'assessmentLineItems', description: 'Assessment line items.' },
  { entity: 'AssessmentResult', single: 'assessmentResult', plural: 'assessmentResults', description: 'Assessment results.' },
  { entity: 'Resource', single: 'resource', plural: 'resources', description: 'Resources.' },
];

/** Reads one record of a view, or null when it does not exist or falls outside the view. */
export async function findInView(view: RootView, sourcedId: string, ctx: Context, embeds?: readonly Embed[]): Promise<Row | null> {
  if (!view.where) return (await ctx.loaders.byId(view.entity, undefined, embeds).load(sourcedId)) ?? null;
  const page = await listRoot(ctx, view.entity, view.where, {
    filter: { sourcedId: { eq: sourcedId } }, offset: 0, limit: 1, withTotal: false, embeds,
  });
  return page.rows[0] ?? null;
}

for (const view of rootViews) {
  builder.queryField(view.single, (t) => t.field({
    type: nodeRef(view.entity),
    nullable: true,
    description: `${view.description} One by sourcedId; null when there is none.`,
    args: { sourcedId: t.arg.id({ required: true }) },
    authScopes: readAuth(view.entity),
    resolve: (_root, args, ctx, info) => findInView(view, String(args.sourcedId), ctx, embedsFor(info, entityDef(view.entity), ctx)),
  }));
  builder.queryField(view.plural, (t) => t.field({
    type: connectionOf(view.entity),
    description: view.description,
    args: collectionArgs(t.arg, view.entity),
    complexity: rootComplexity(view.entity),
    authScopes: readAuth(view.entity),
    resolve: async (_root, args, ctx, info) => {
      const def = entityDef(view.entity);
      const list = { ...listArgs(args, ctx, wantsTotal(info)), props: nodeProps(info, def), embeds: embedsFor(info, def, ctx) };
      return { page: await listRoot(ctx, view.entity, view.where, list), fromEnd: !!list.fromEnd };
    },
  }));
}


