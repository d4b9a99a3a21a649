import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { hideInvisible, noteCreated, requireDeletable, requireRefsWithinOrgs, requireReplaceable, requireWithinOrgs } from '../auth/sharing/writes.js';
import { at, tombstone, upsertRows } from '../db/bulk.js';
import { emSession, run, sql } from '../db/sql.js';
import type { Context } from '../graph/context.js';
import { columnOf, type EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { notFound, validationFailed } from '../shared/errors.js';
import { partSourcedId } from '../shared/sourced-id.js';
import { enqueueGradeWrites } from '../sync/outbox-enqueue.js';
import type { RecordInput } from './inputs.js';
import { foundKey, lookup, requireAll, type Found } from './references.js';
import { toRecord, type RefCheck, type Row, type WritableType, type WriteRecord } from './records.js';

/**
 * Grade write-back. Every write is one transaction on its own fork of the request's EntityManager;
 * every statement inside runs on the transaction (the embedded database has one session, so a
 * statement outside it would wait for the transaction forever). dateLastModified is the server's
 * clock at the write, so a consumer syncing by `dateLastModified > …` sees every change.
 */
const transaction = <T>(ctx: Context, work: (tx: EntityManager) => Promise<T>) => ctx.em.fork().transactional(work);

/** The request's loaders must not serve what they read before this write (a later mutation's payload reads it again). */
const forget = (ctx: Context, type: EntityName, sourcedIds: readonly string[]) => {
  for (const id of sourcedIds) ctx.loaders.invalidate(type, id);
};

const SIDE_TABLES: Partial<Record<WritableType, { scale: EntityName; objective: EntityName; owner: string }>> = {
  LineItem: { scale: 'LineItemScoreScale', objective: 'LineItemLearningObjective', owner: 'lineItem' },
  Result: { scale: 'ResultScoreScale', objective: 'ResultLearningObjective', owner: 'result' },
};

/** Insert or replace one record; the row lock it takes serialises concurrent writes to the same sourcedId. */
async function upsert(tx: EntityManager, record: WriteRecord): Promise<boolean> {
  const { created } = await upsertRows(emSession(tx), record.type, [record.row], 'update');
  return created === 1;
}

/** Score-scale link rows and learning-objective rows of line items/results; a replace drops the old ones first. */
async function writeSideRows(tx: EntityManager, records: WriteRecord[], replace: boolean) {
  const side = SIDE_TABLES[records[0]?.type];
  if (!side) return;
  if (replace) {
    const ids = records.map((r) => String(r.row.sourcedId));
    for (const name of [side.scale, side.objective]) {
      const def = entityDef(name);
      // Side rows are replaced with their owner, not tombstoned: they are parts of it, not records of their own.
      await run(tx, sql`delete from ${sql.table(def.table)} where ${sql.ref(columnOf(side.owner, def.fields[side.owner]))} = any(${ids}::text[])`);
    }
  }
  const scales = records.filter((r) => r.scoreScale).map((r) => ({
    sourcedId: partSourcedId(String(r.row.sourcedId), 'scoreScale'), status: 'active', dateLastModified: r.row.dateLastModified,
    [side.owner]: r.row.sourcedId, scoreScale: r.scoreScale,
  }));
  const objectives = records.flatMap((r) => r.objectives ?? []);
  if (scales.length) await upsertRows(emSession(tx), side.scale, scales);
  if (objectives.length) await upsertRows(emSession(tx), side.objective, objectives);
}

/**
 * Checks every reference and fills what follows from them. `extra` rows (a post mutation's parent)
 * are read in the same statement and handed to `parentCheck` first, so an unknown parent is
 * reported as such rather than as an unknown reference of the first record.
 */
async function resolveReferences(ctx: Context, tx: EntityManager, records: WriteRecord[], extra: RefCheck[] = [],
  parentCheck: (found: Found) => void = () => {}): Promise<Found> {
  const refs = records.flatMap((r) => r.refs);
  const found = await lookup(tx, [...refs, ...extra]);
  // To a client limited to some orgs, a path parent it may not see is absent (404); a body reference, 403.
  await hideInvisible(tx, ctx.sharing, found);
  parentCheck(found);
  requireRefsWithinOrgs(ctx.sharing, refs, found);
  requireAll(refs, found);
  for (const { type, row, prefix, defaulted } of records) {
    if (type === 'LineItem' && row.school == null) {
      row.school = found.get(foundKey('Class', String(row.class)))?.school_sourced_id;
    }
    if (type === 'Result' && row.class != null) {
      const lineItemClass = found.get(foundKey('LineItem', String(row.lineItem)))?.class_sourced_id;
      if (lineItemClass !== row.class) {
        // When the class came from the path, the line item is what the consumer got wrong.
        const field = defaulted.includes('class') ? 'lineItem' : 'class';
        throw validationFailed(`${prefix}.${field}`, `line item '${String(row.lineItem)}' belongs to class '${String(lineItemClass)}', not '${String(row.class)}'`);
      }
    }
  }
  return found;
}

export async function putRecord(ctx: Context, type: WritableType, sourcedId: string, input: RecordInput): Promise<{ created: boolean }> {
  if (!sourcedId.trim()) throw validationFailed('sourcedId', 'must not be empty');
  if (input.sourcedId != null && input.sourcedId !== sourcedId) {
    throw validationFailed('input.sourcedId', `'${input.sourcedId}' differs from the sourcedId '${sourcedId}' being written`);
  }
  const record = toRecord(type, sourcedId, input, 'input', new Date().toISOString());
  const created = await transaction(ctx, async (tx) => {
    await resolveReferences(ctx, tx, [record]);
    await requireReplaceable(tx, ctx.sharing, type, sourcedId, ctx.clientId);
    const isNew = await upsert(tx, record);
    if (isNew) await noteCreated(tx, ctx.sharing, type, sourcedId, ctx.clientId);
    await writeSideRows(tx, [record], true);
    await requireWithinOrgs(tx, ctx.sharing, type, [sourcedId]);
    // Grades of a --push-grades source's classes go back to it: the outbox row commits with the write.
    await enqueueGradeWrites(ctx, tx, [{ type, sourcedId, method: 'PUT' }]);
    return isNew;
  });
  forget(ctx, type, [sourcedId]);
  return { created };
}

/** Cascades of a tombstone: results of a deleted line item are deleted with it. */
const CASCADES: Partial<Record<WritableType, { type: WritableType; column: string }>> = {
  LineItem: { type: 'Result', column: 'line_item_sourced_id' },
  AssessmentLineItem: { type: 'AssessmentResult', column: 'assessment_line_item_sourced_id' },
};

export interface Tombstone { sourcedId: string; dateLastModified: string; deleted: boolean }

/**
 * Marks a record `tobedeleted` and moves its dateLastModified, so that delta consumers learn of the
 * deletion. Deleting a tombstone again changes nothing and reports `deleted: false` (a retried
 * DELETE succeeds); an unknown sourcedId is NOT_FOUND.
 */
export async function deleteRecord(ctx: Context, type: WritableType, sourcedId: string): Promise<Tombstone> {
  const { table } = entityDef(type);
  const now = new Date().toISOString();
  const cascaded: string[] = [];
  const result = await transaction(ctx, async (tx): Promise<Tombstone> => {
    await requireDeletable(tx, ctx.sharing, type, sourcedId, ctx.clientId);
    const session = emSession(tx);
    const marked = await tombstone(session, table, sql`t.sourced_id = ${sourcedId}`, at(now));
    if (marked.length) {
      const cascade = CASCADES[type];
      if (cascade) {
        cascaded.push(...await tombstone(session, entityDef(cascade.type).table, sql`${sql.ref(`t.${cascade.column}`)} = ${sourcedId}`, at(now)));
      }
      // The cascade is not sent: the upstream's own DELETE of a line item takes its results with it.
      await enqueueGradeWrites(ctx, tx, [{ type, sourcedId, method: 'DELETE' }]);
      return { sourcedId, dateLastModified: now, deleted: true };
    }
    const [existing] = await run(tx, sql`select date_last_modified from ${sql.table(table)} where sourced_id = ${sourcedId}`);
    if (!existing) throw notFound(type, sourcedId);
    return { sourcedId, dateLastModified: new Date(existing.date_last_modified as string).toISOString(), deleted: false };
  });
  forget(ctx, type, [sourcedId]);
  const cascade = CASCADES[type];
  if (cascade) forget(ctx, cascade.type, cascaded);
  return result;
}

interface SourcedIdPair { suppliedSourcedId: string; allocatedSourcedId: string }

/** Validates the batch of a post mutation and allocates a UUID per record. */
function prepareBatch(type: WritableType, argument: string, inputs: RecordInput[], defaults: Record<string, string>) {
  const now = new Date().toISOString();
  const seen = new Set<string>();
  return inputs.map((input, i) => {
    const prefix = `${argument}[${i}]`;
    const supplied = input.sourcedId;
    if (!supplied) throw validationFailed(`${prefix}.sourcedId`, 'is required: the response pairs it with the allocated sourcedId');
    if (seen.has(supplied)) throw validationFailed(`${prefix}.sourcedId`, `'${supplied}' is supplied twice`);
    seen.add(supplied);
    return { supplied, record: toRecord(type, randomUUID(), input, prefix, now, defaults) };
  });
}

/** A record naming another parent than the path's is refused (after the parent itself was found). */
function requireSameParent(records: WriteRecord[], defaults: Record<string, string>) {
  for (const { row, prefix } of records) {
    for (const [name, value] of Object.entries(defaults)) {
      if (row[name] !== value) throw validationFailed(`${prefix}.${name}`, `'${String(row[name])}' differs from '${value}' named in the path`);
    }
  }
}

/** The parent named in a post mutation's path must exist (and be alive): otherwise NOT_FOUND. */
function requireParent(found: Found, target: EntityName, sourcedId: string, label: string, accept: (row: Row) => boolean = () => true) {
  const row = found.get(foundKey(target, sourcedId));
  if (!row || !accept(row)) throw notFound(label, sourcedId);
}

async function insertBatch(ctx: Context, type: WritableType, batch: Array<{ supplied: string; record: WriteRecord }>,
  defaults: Record<string, string>, extra: RefCheck[], parentCheck: (found: Found) => void,
  check: (tx: EntityManager, found: Found) => Promise<void> = async () => {}): Promise<SourcedIdPair[]> {
  const records = batch.map((b) => b.record);
  await transaction(ctx, async (tx) => {
    const found = await resolveReferences(ctx, tx, records, extra, (f) => {
      parentCheck(f);
      requireSameParent(records, defaults);
    });
    await check(tx, found);
    await upsertRows(emSession(tx), type, records.map((r) => r.row));
    await writeSideRows(tx, records, false);
    await requireWithinOrgs(tx, ctx.sharing, type, records.map((r) => String(r.row.sourcedId)));
    await enqueueGradeWrites(ctx, tx, records.map((r) => ({ type, sourcedId: String(r.row.sourcedId), method: 'PUT' as const })));
  });
  forget(ctx, type, records.map((r) => String(r.row.sourcedId)));
  return batch.map((b) => ({ suppliedSourcedId: b.supplied, allocatedSourcedId: String(b.record.row.sourcedId) }));
}

const parentRef = (target: EntityName, sourcedId: string): RefCheck => ({ field: 'path', target, sourcedId });

export function postLineItems(ctx: Context, parent: { class: string } | { school: string }, inputs: RecordInput[]) {
  const batch = prepareBatch('LineItem', 'lineItems', inputs, parent);
  const extra = 'class' in parent ? parentRef('Class', parent.class) : parentRef('Org', parent.school);
  return insertBatch(ctx, 'LineItem', batch, parent, [extra], (found) => {
    if ('class' in parent) requireParent(found, 'Class', parent.class, 'Class');
    else requireParent(found, 'Org', parent.school, 'School', (org) => org.type === 'school');
  });
}

export function postResultsForLineItem(ctx: Context, lineItem: string, inputs: RecordInput[]) {
  const batch = prepareBatch('Result', 'results', inputs, { lineItem });
  return insertBatch(ctx, 'Result', batch, { lineItem }, [parentRef('LineItem', lineItem)], (found) => requireParent(found, 'LineItem', lineItem, 'LineItem'));
}

/**
 * Results for a class in an academic session: each line item must belong to the class, and a line
 * item that names sessions must name this one (directly or as the parent of its grading period).
 */
export function postResultsForClassSession(ctx: Context, classId: string, session: string, inputs: RecordInput[]) {
  const defaults = { class: classId };
  const batch = prepareBatch('Result', 'results', inputs, defaults);
  const extra = [parentRef('Class', classId), parentRef('AcademicSession', session)];
  const parentCheck = (found: Found) => {
    requireParent(found, 'Class', classId, 'Class');
    requireParent(found, 'AcademicSession', session, 'AcademicSession');
  };
  return insertBatch(ctx, 'Result', batch, defaults, extra, parentCheck, async (tx, found) => {
    const lineItems = batch.map((b) => found.get(foundKey('LineItem', String(b.record.row.lineItem)))!);
    const named = lineItems.flatMap((li) => [li.academic_session_sourced_id, li.grading_period_sourced_id]).filter((s) => s != null);
    const sessions = await lookup(tx, named.map((s) => ({ target: 'AcademicSession' as const, sourcedId: String(s) })));
    lineItems.forEach((li, i) => {
      const own = [li.academic_session_sourced_id, li.grading_period_sourced_id].filter((s) => s != null).map(String);
      const parents = own.map((s) => sessions.get(foundKey('AcademicSession', s))?.parent_sourced_id);
      if (own.length && !own.includes(session) && !parents.includes(session)) {
        throw validationFailed(`results[${i}].lineItem`, `line item '${String(li.sourced_id)}' is not in academic session '${session}'`);
      }
    });
  });
}
