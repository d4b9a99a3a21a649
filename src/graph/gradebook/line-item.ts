import { LearningObjectiveSetType } from '../embedded-types.js';
import { defineNode } from '../node.js';
import { groupBySource, withObjectiveRows } from './learning-objectives.js';

/** LineItem: its properties come from the model (src/model/gradebook.ts); its relations are these. */
export const LineItemNode = defineNode('LineItem', {
  relations: ['results', 'scoreScale', 'learningObjectives'],
  fields: (t) => ({
    learningObjectiveSet: t.field({
      type: [LearningObjectiveSetType],
      description: 'Learning objectives this line item is aligned with, grouped by source.',
      resolve: (row, _args, ctx, info) => withObjectiveRows('LineItem', 'learningObjectives', row, ctx, info, (rows) =>
        groupBySource(rows, (r) => String(r.learningObjectiveId)).map(({ source, items }) => ({ source, learningObjectiveIds: items }))),
    }),
  }),
});
