import type { GraphQLResolveInfo } from 'graphql';
import type { Row } from '../data/queries.js';
import { relationsOf } from '../model/relations.js';
import { builder } from './builder.js';
import type { Context } from './context.js';
import { LearningObjectiveScoreSetType, LearningObjectiveSetType } from './embedded-types.js';
import { nodeRefs, relationRows } from './types.js';

/**
 * Line items and results keep their learning objectives as rows (as the CSV files carry them);
 * the REST shape groups them by source.
 */
function groupBySource<T>(rows: Row[], item: (r: Row) => T) {
  const sets = new Map<string, T[]>();
  for (const r of rows) {
    const list = sets.get(String(r.source)) ?? [];
    list.push(item(r));
    sets.set(String(r.source), list);
  }
  return [...sets].map(([source, items]) => ({ source, items }));
}

/** The objective rows of a line item or result, mapped by `shape` (synchronously when read along with the page). */
function withObjectiveRows<T>(owner: 'LineItem' | 'Result', name: string, row: Row, ctx: Context, info: GraphQLResolveInfo,
  shape: (rows: Row[]) => T): T | Promise<T> {
  const rows = relationRows(relationsOf(owner).find((r) => r.name === name)!, row, ctx, info);
  return Array.isArray(rows) ? shape(rows) : rows.then(shape);
}

builder.objectField(nodeRefs.get('LineItem')!, 'learningObjectiveSet', (t) => t.field({
  type: [LearningObjectiveSetType],
  description: 'Learning objectives this line item is aligned with, grouped by source.',
  resolve: (row, _args, ctx, info) => withObjectiveRows('LineItem', 'learningObjectives', row, ctx, info, (rows) =>
    groupBySource(rows, (r) => String(r.learningObjectiveId)).map(({ source, items }) => ({ source, learningObjectiveIds: items }))),
}));

builder.objectField(nodeRefs.get('Result')!, 'learningObjectiveSet', (t) => t.field({
  type: [LearningObjectiveScoreSetType],
  description: 'Per-objective mastery scores, grouped by source.',
  resolve: (row, _args, ctx, info) => withObjectiveRows('Result', 'learningObjectiveResults', row, ctx, info, (rows) =>
    groupBySource(rows, (r) => ({ learningObjectiveId: r.learningObjectiveId, score: r.score, textScore: r.textScore }))
      .map(({ source, items }) => ({ source, learningObjectiveResults: items }))),
}));
