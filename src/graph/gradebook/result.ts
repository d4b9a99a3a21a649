import { LearningObjectiveScoreSetType } from '../embedded-types.js';
import { defineNode } from '../node.js';
import { groupBySource, withObjectiveRows } from './learning-objectives.js';

/** Result: its properties come from the model (src/model/gradebook.ts); its relations are these. */
export const ResultNode = defineNode('Result', {
  relations: ['scoreScale', 'learningObjectiveResults'],
  fields: (t) => ({
    learningObjectiveSet: t.field({
      type: [LearningObjectiveScoreSetType],
      description: 'Per-objective mastery scores, grouped by source.',
      resolve: (row, _args, ctx, info) => withObjectiveRows('Result', 'learningObjectiveResults', row, ctx, info, (rows) =>
        groupBySource(rows, (r) => ({ learningObjectiveId: r.learningObjectiveId, score: r.score, textScore: r.textScore }))
          .map(({ source, items }) => ({ source, learningObjectiveResults: items }))),
    }),
  }),
});
