import type { GraphQLResolveInfo } from 'graphql';
import type { Row } from '../../data/queries.js';
import { relationsOf } from '../../model/relations.js';
import type { Context } from '../context.js';
import { defineNode, type RelationName } from '../node.js';
import { relationRows } from '../relation-fields.js';

/**
 * Line items and results keep their learning objectives as rows (as the CSV files carry them);
 * the REST shape groups them by source (`learningObjectiveSet` of line-item.ts and result.ts).
 */
export const LineItemLearningObjectiveNode = defineNode('LineItemLearningObjective', { relations: [] });
export const ResultLearningObjectiveNode = defineNode('ResultLearningObjective', { relations: [] });

export function groupBySource<T>(rows: Row[], item: (r: Row) => T) {
  const sets = new Map<string, T[]>();
  for (const r of rows) {
    const list = sets.get(String(r.source)) ?? [];
    list.push(item(r));
    sets.set(String(r.source), list);
  }
  return [...sets].map(([source, items]) => ({ source, items }));
}

type ObjectiveRelation = { LineItem: RelationName<'LineItem'>; Result: RelationName<'Result'> };

/** The objective rows of a line item or result, mapped by `shape` (synchronously when read along with the page). */
export function withObjectiveRows<O extends keyof ObjectiveRelation, T>(owner: O, name: ObjectiveRelation[O], row: Row, ctx: Context,
  info: GraphQLResolveInfo, shape: (rows: Row[]) => T): T | Promise<T> {
  const rel = relationsOf(owner).find((r) => r.name === name);
  if (!rel) throw new Error(`the model has no relation ${owner}.${name}`);
  const rows = relationRows(rel, row, ctx, info);
  return Array.isArray(rows) ? shape(rows) : rows.then(shape);
}
