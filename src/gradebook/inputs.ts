import { builder, type Types } from '../graph/builder.js';
import { StatusEnum } from '../graph/model-fields.js';
import { badInput } from '../shared/errors.js';
import { invalidSourcedIdMessage, isValidSourcedId } from '../shared/sourced-id.js';

/**
 * Input types of the gradebook mutations. They mirror the REST objects (model.md §2): the same
 * property names, references as `{ sourcedId }`. Required-ness that depends on the mutation (a
 * line item's class may come from the path of postLineItemsForClass) is checked by the write
 * service, which names the failing field in `extensions.field`.
 */
export interface RefInput { sourcedId: string }
export interface LearningObjectiveSetInput { source: string; learningObjectiveIds: string[] }
export interface LearningObjectiveResultInput { learningObjectiveId: string; score?: number | null; textScore?: string | null }
export interface LearningObjectiveScoreSetInput { source: string; learningObjectiveResults: LearningObjectiveResultInput[] }

/** Any write input: the fields every record has plus its own properties (refs as RefInput). */
export type RecordInput = Record<string, unknown> & {
  sourcedId?: string | null;
  status?: string | null;
  metadata?: Record<string, unknown> | null;
};

/**
 * Every sourcedId a mutation receives (arguments named `sourcedId` or `...SourcedId`, a record's
 * own `sourcedId`, its references' `sourcedId`) must follow the one sourcedId rule the CSV import
 * and REST apply, so whatever is written can be exported and imported again.
 */
export function checkSourcedIds(value: unknown, path = ''): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    if (typeof item === 'string' && /^sourcedId$|SourcedId$/.test(key) && !isValidSourcedId(item)) {
      throw badInput(invalidSourcedIdMessage(field, item), { field });
    }
    checkSourcedIds(item, Array.isArray(value) ? `${path}[${key}]` : field);
  }
}

const RefInputType = builder.inputRef<RefInput>('RefInput').implement({
  description: 'A reference to another object by its sourcedId.',
  fields: (t) => ({ sourcedId: t.id({ required: true }) }),
});

const LearningObjectiveSetInputType = builder.inputRef<LearningObjectiveSetInput>('LearningObjectiveSetInput').implement({
  description: 'Learning objectives from one source: `case` (ids are UUIDs), `unknown`, or another lower-case token.',
  fields: (t) => ({
    source: t.string({ required: true }),
    learningObjectiveIds: t.stringList({ required: true }),
  }),
});

const LearningObjectiveResultInputType = builder.inputRef<LearningObjectiveResultInput>('LearningObjectiveResultInput').implement({
  description: 'A mastery score on one learning objective.',
  fields: (t) => ({
    learningObjectiveId: t.string({ required: true }),
    score: t.float({ required: false }),
    textScore: t.string({ required: false }),
  }),
});

const LearningObjectiveScoreSetInputType = builder.inputRef<LearningObjectiveScoreSetInput>('LearningObjectiveScoreSetInput').implement({
  description: 'Mastery scores on learning objectives from one source.',
  fields: (t) => ({
    source: t.string({ required: true }),
    learningObjectiveResults: t.field({ type: [LearningObjectiveResultInputType], required: true }),
  }),
});

const ScoreScaleValueInputType = builder.inputRef<{ itemValueLHS: string; itemValueRHS: string }>('ScoreScaleValueInput').implement({
  description: 'One mapping of a score scale, e.g. `90 - 100` to `A`.',
  fields: (t) => ({
    itemValueLHS: t.string({ required: true }),
    itemValueRHS: t.string({ required: true }),
  }),
});

/** Fields every writable record takes. dateLastModified is not one of them: the server sets it. */
type InputFields = PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>;
const baseFields = (t: InputFields) => ({
  sourcedId: t.id({ required: false, description: 'Optional in put mutations (must equal the argument); the consumer\'s temporary id in post mutations.' }),
  status: t.field({ type: StatusEnum, required: false, description: 'Defaults to active.' }),
  metadata: t.field({ type: 'JSONObject', required: false }),
});
const ref = (t: InputFields, description: string) => t.field({ type: RefInputType, required: false, description });
const requiredRef = (t: InputFields, description: string) => t.field({ type: RefInputType, required: true, description });
const flag = (t: InputFields, description: string) => t.boolean({ required: false, description });
const scoreStatus = (t: InputFields) => t.string({
  required: true, description: 'exempt, fully graded, not submitted, partially graded, submitted, or an ext: token.',
});

export const CategoryInputType = builder.inputType('CategoryInput', {
  description: 'A category of line items.',
  fields: (t) => ({ ...baseFields(t), title: t.string({ required: true }), weight: t.float({ required: false }) }),
});

export const LineItemInputType = builder.inputType('LineItemInput', {
  description: 'A line item. `class` is required except in postLineItemsForClass; `school` defaults to the class\'s school.',
  fields: (t) => ({
    ...baseFields(t),
    title: t.string({ required: true }),
    description: t.string({ required: false }),
    assignDate: t.field({ type: 'DateTime', required: true }),
    dueDate: t.field({ type: 'DateTime', required: true }),
    class: ref(t, 'Required, except in postLineItemsForClass (defaults to that class).'),
    school: ref(t, 'Defaults to the school of the class (or the school of postLineItemsForSchool).'),
    category: requiredRef(t, 'The category of this line item.'),
    gradingPeriod: ref(t, 'An academic session of type gradingPeriod.'),
    academicSession: ref(t, 'The academic session (e.g. term) of this line item.'),
    scoreScale: ref(t, 'The score scale of this line item.'),
    resultValueMin: t.float({ required: false }),
    resultValueMax: t.float({ required: false }),
    learningObjectiveSet: t.field({ type: [LearningObjectiveSetInputType], required: false }),
  }),
});

export const ResultInputType = builder.inputType('ResultInput', {
  description: 'A student\'s result on a line item. `lineItem` is required except in postResultsForLineItem.',
  fields: (t) => ({
    ...baseFields(t),
    lineItem: ref(t, 'Required, except in postResultsForLineItem (defaults to that line item).'),
    student: requiredRef(t, 'The student (a user).'),
    class: ref(t, 'Must be the class of the line item when given.'),
    scoreScale: ref(t, 'The score scale of this result.'),
    scoreStatus: scoreStatus(t),
    score: t.float({ required: false }),
    textScore: t.string({ required: false }),
    scoreDate: t.field({ type: 'Date', required: true }),
    comment: t.string({ required: false }),
    learningObjectiveSet: t.field({ type: [LearningObjectiveScoreSetInputType], required: false }),
    inProgress: flag(t, 'Assigned; no submission expected yet.'),
    incomplete: flag(t, 'Submitted but judged incomplete.'),
    late: flag(t, 'Past due or submitted late.'),
    missing: flag(t, 'Not submitted.'),
  }),
});

export const ScoreScaleInputType = builder.inputType('ScoreScaleInput', {
  description: 'A score scale of a class.',
  fields: (t) => ({
    ...baseFields(t),
    title: t.string({ required: true }),
    type: t.string({ required: true }),
    course: ref(t, 'The course of this scale.'),
    class: requiredRef(t, 'The class of this scale.'),
    scoreScaleValue: t.field({ type: [ScoreScaleValueInputType], required: true, description: 'At least one mapping.' }),
  }),
});

export const AssessmentLineItemInputType = builder.inputType('AssessmentLineItemInput', {
  description: 'An assessment line item (Assessment Results profile).',
  fields: (t) => ({
    ...baseFields(t),
    title: t.string({ required: true }),
    description: t.string({ required: false }),
    class: ref(t, 'The class, if the assessment belongs to one.'),
    parentAssessmentLineItem: ref(t, 'The assessment this one is a part of.'),
    scoreScale: ref(t, 'The score scale of this assessment.'),
    resultValueMin: t.float({ required: false }),
    resultValueMax: t.float({ required: false }),
    learningObjectiveSet: t.field({ type: [LearningObjectiveSetInputType], required: false }),
  }),
});

export const AssessmentResultInputType = builder.inputType('AssessmentResultInput', {
  description: 'A student\'s result on an assessment line item.',
  fields: (t) => ({
    ...baseFields(t),
    assessmentLineItem: requiredRef(t, 'The assessment line item.'),
    student: requiredRef(t, 'The student (a user).'),
    score: t.float({ required: false }),
    textScore: t.string({ required: false }),
    scoreDate: t.field({ type: 'Date', required: true }),
    scoreScale: ref(t, 'The score scale of this result.'),
    scorePercentile: t.float({ required: false }),
    scoreStatus: scoreStatus(t),
    comment: t.string({ required: false }),
    learningObjectiveSet: t.field({ type: [LearningObjectiveScoreSetInputType], required: false }),
    inProgress: flag(t, 'Assigned; no submission expected yet.'),
    incomplete: flag(t, 'Submitted but judged incomplete.'),
    late: flag(t, 'Past due or submitted late.'),
    missing: flag(t, 'Not submitted.'),
  }),
});
