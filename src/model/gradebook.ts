import { bool, date, datetime, enumOf, float, json, ref, str, type EntityDef } from './dsl.js';
import { ScoreStatus } from './vocabularies.js';

export const Category: EntityDef = {
  name: 'Category', table: 'categories', base: true,
  description: 'A grouping of line items, e.g. Homework.',
  fields: { title: str({ required: true }), weight: float() },
};

export const LineItem: EntityDef = {
  name: 'LineItem', table: 'line_items', base: true,
  description: 'A gradable activity of a class; results hang off it.',
  fields: {
    title: str({ required: true }),
    description: str(),
    assignDate: datetime({ required: true }),
    dueDate: datetime({ required: true }),
    class: ref('Class', { required: true }),
    school: ref('Org', { required: true }),
    category: ref('Category', { required: true }),
    gradingPeriod: ref('AcademicSession'),
    academicSession: ref('AcademicSession'),
    resultValueMin: float(),
    resultValueMax: float(),
  },
};

/** A learning objective aligned with a line item (lineItemLearningObjectiveIds.csv). */
export const LineItemLearningObjective: EntityDef = {
  name: 'LineItemLearningObjective', table: 'line_item_learning_objectives', base: true,
  description: 'A learning objective a line item is aligned with.',
  fields: {
    lineItem: ref('LineItem', { required: true }),
    source: str({ required: true }),
    learningObjectiveId: str({ required: true }),
  },
};

/** The score scale of a line item (lineItemScoreScales.csv). */
export const LineItemScoreScale: EntityDef = {
  name: 'LineItemScoreScale', table: 'line_item_score_scales', base: true,
  description: 'Links a line item to its score scale.',
  fields: {
    title: str(),
    lineItem: ref('LineItem', { required: true }),
    scoreScale: ref('ScoreScale', { required: true }),
  },
};

export const Result: EntityDef = {
  name: 'Result', table: 'results', base: true,
  description: 'A student\'s score on a line item.',
  fields: {
    lineItem: ref('LineItem', { required: true }),
    student: ref('User', { required: true }),
    class: ref('Class'),
    scoreStatus: enumOf(ScoreStatus, { required: true }),
    score: float(),
    textScore: str(),
    scoreDate: date({ required: true }),
    comment: str(),
    inProgress: bool(),
    incomplete: bool(),
    late: bool(),
    missing: bool(),
  },
};

export const ResultLearningObjective: EntityDef = {
  name: 'ResultLearningObjective', table: 'result_learning_objectives', base: true,
  description: 'A student\'s mastery score on one learning objective.',
  fields: {
    result: ref('Result', { required: true }),
    source: str({ required: true }),
    learningObjectiveId: str({ required: true }),
    score: float(),
    textScore: str(),
  },
};

export const ResultScoreScale: EntityDef = {
  name: 'ResultScoreScale', table: 'result_score_scales', base: true,
  description: 'Links a result to its score scale.',
  fields: {
    title: str(),
    result: ref('Result', { required: true }),
    scoreScale: ref('ScoreScale', { required: true }),
  },
};

export const ScoreScale: EntityDef = {
  name: 'ScoreScale', table: 'score_scales', base: true,
  description: 'A mapping between two scales, e.g. percentages to letter grades.',
  fields: {
    title: str({ required: true }),
    type: str({ required: true }),
    org: ref('Org'),
    course: ref('Course'),
    class: ref('Class', { required: true }),
    scoreScaleValue: json('ScoreScaleValue', { required: true }),
  },
};

export const AssessmentLineItem: EntityDef = {
  name: 'AssessmentLineItem', table: 'assessment_line_items', base: true,
  description: 'A test or assessment (part); need not belong to a class.',
  fields: {
    title: str({ required: true }),
    description: str(),
    class: ref('Class'),
    parentAssessmentLineItem: ref('AssessmentLineItem'),
    scoreScale: ref('ScoreScale'),
    resultValueMin: float(),
    resultValueMax: float(),
    learningObjectiveSet: json('LearningObjectiveSet'),
  },
};

export const AssessmentResult: EntityDef = {
  name: 'AssessmentResult', table: 'assessment_results', base: true,
  description: 'A student\'s result on an assessment line item.',
  fields: {
    assessmentLineItem: ref('AssessmentLineItem', { required: true }),
    student: ref('User', { required: true }),
    score: float(),
    textScore: str(),
    scoreDate: date({ required: true }),
    scoreScale: ref('ScoreScale'),
    scorePercentile: float(),
    scoreStatus: enumOf(ScoreStatus, { required: true }),
    comment: str(),
    learningObjectiveSet: json('LearningObjectiveScoreSet'),
    inProgress: bool(),
    incomplete: bool(),
    late: bool(),
    missing: bool(),
  },
};

export const gradebookEntities = [
  Category, LineItem, LineItemLearningObjective, LineItemScoreScale, Result, ResultLearningObjective,
  ResultScoreScale, ScoreScale, AssessmentLineItem, AssessmentResult,
];
