/**
 * Writes one run's records inside the caller's transaction: checks ownership and references first,
 * then upserts only the records whose values differ (they take the run's time as dateLastModified;
 * unchanged ones keep theirs, so this server's own delta consumers see only real changes), replaces
 * link lists, and on a full run marks what the source no longer lists tobedeleted.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { entityColumns, jsonRows, toColumns, upsertWritten } from '../db/bulk.js';
import { emSession, run, sql, type Sql } from '../db/sql.js';
import { columnOf, isRef, type EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { quoteId } from '../shared/sourced-id.js';
import { PART_OWNERS, type Batch, type Link, type Row, type SyncIssue } from './records.js';

/** Entities in the order their references allow (parts after their owners). */
export const WRITE_ORDER: readonly EntityName[] = [
  'Org', 'AcademicSession', 'Category', 'Resource', 'Course', 'Class', 'User', 'UserRole', 'UserProfile', 'Enrollment', 'Demographics',
  'ScoreScale', 'LineItem', 'LineItemScoreScale', 'LineItemLearningObjective', 'Result', 'ResultScoreScale', 'ResultLearningObjective',
  'AssessmentLineItem', 'AssessmentResult', 'CourseResource', 'ClassResource', 'UserResource',
];

const MAX_REPORTED = 100;

/**
 * A list of sourcedIds as one bound JSON parameter, expanded in the database: the ORM's knex pool
 * would spread a bound JS array into separate placeholders.
 */
const textArray = (ids: readonly string[]): Sql => sql`array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

export interface TableCount { changed: number; deleted: number }
export interface ApplyResult { issues: SyncIssue[]; tables: Record<string, TableCount>; changed: number; deleted: number }

const idsOf = (batch: Batch, entity: EntityName) =>
  [...(batch.rows.get(entity) ?? []).map((r) => String(r.sourcedId)), ...(batch.tombstones.get(entity) ?? [])];

/** Every sourcedId must be this source's or new: another source's record, or one loaded by CSV or the API, is never overwritten. */
async function checkOwnership(em: EntityManager, source: string, batch: Batch): Promise<SyncIssue[]> {
  const issues: SyncIssue[] = [];
  for (const entity of WRITE_ORDER) {
    const table = entityDef(entity).table;
    const ids = idsOf(batch, entity);
    if (!ids.length) continue;
    const rows = await run(em, sql`select x.id, r.source_name from unnest(${textArray(ids)}) x(id)
      join ${sql.table(table)} t on t.sourced_id = x.id
      left join source_records r on r.table_name = ${table} and r.sourced_id = x.id
      where r.source_name is distinct from ${source} limit ${MAX_REPORTED}`);
    for (const r of rows) {
      const owner = r.source_name ? `belongs to source ${String(r.source_name)}` : 'exists here and was not delivered by this source (CSV import or API)';
      issues.push({ url: '', sourcedId: String(r.id), field: 'sourcedId', reason: `${table} record ${quoteId(String(r.id))} ${owner}; give this source a --prefix` });
    }
  }
  return issues;
}

/** References must resolve within the run or to a record already here. */
async function checkReferences(em: EntityManager, batch: Batch): Promise<SyncIssue[]> {
  const issues: SyncIssue[] = [];
  for (const [target, refs] of batch.references) {
    const inRun = new Set(idsOf(batch, target));
    const outside = [...refs.keys()].filter((id) => !inRun.has(id));
    if (!outside.length) continue;
    const rows = await run(em, sql`select x.id from unnest(${textArray(outside)}) x(id)
      where not exists (select 1 from ${sql.table(entityDef(target).table)} t where t.sourced_id = x.id) limit ${MAX_REPORTED}`);
    for (const r of rows) issues.push(refs.get(String(r.id))!);
  }
  return issues;
}

/** Parents before children for the self-referencing tables (a reference to its own entity), so that every insert batch finds its parents. */
function parentsFirst(entity: EntityName, rows: Row[]): Row[] {
  const parentField = Object.entries(entityDef(entity).fields).find(([, f]) => isRef(f) && f.target === entity)?.[0];
  if (!parentField) return rows;
  const byId = new Map(rows.map((r) => [String(r.sourcedId), r]));
  const placed = new Set<string>();
  const out: Row[] = [];
  const place = (row: Row, depth: number) => {
    const id = String(row.sourcedId);
    if (placed.has(id) || depth > rows.length) return;
    const parent = row[parentField] == null ? undefined : byId.get(String(row[parentField]));
    if (parent) place(parent, depth + 1);
    placed.add(id);
    out.push(row);
  };
  for (const row of rows) place(row, 0);
  return out;
}

/**
 * Upserts the rows whose values differ from the stored ones (one statement per chunk: new rows are
 * inserted, changed ones updated, unchanged ones left with their dateLastModified); returns their sourcedIds.
 */
async function upsertChanged(em: EntityManager, entity: EntityName, rows: Row[], runTime: string): Promise<string[]> {
  if (!rows.length) return [];
  const def = entityDef(entity);
  const columns = entityColumns(entity);
  const compared = ['status', 'metadata', ...Object.entries(def.fields).map(([name, f]) => columnOf(name, f))];
  const changed: string[] = [];
  const CHUNK = 5000;
  const ordered = parentsFirst(entity, rows);
  for (let i = 0; i < ordered.length; i += CHUNK) {
    const chunk = ordered.slice(i, i + CHUNK).map((r) => toColumns(entity, { ...r, dateLastModified: runTime }));
    changed.push(...await upsertWritten(emSession(em), {
      table: def.table, columns, rows: jsonRows(def.table, columns, chunk), key: ['sourced_id'], onConflict: 'update', onlyWhenChanged: compared,
    }));
  }
  return changed;
}

async function markDeleted(em: EntityManager, table: string, where: Sql, runTime: string): Promise<string[]> {
  const rows = await run(em, sql`update ${sql.table(table)} t set status = 'tobedeleted', date_last_modified = ${runTime}::timestamptz
    where t.status <> 'tobedeleted' and ${where} returning t.sourced_id`);
  return rows.map((r) => String(r.sourced_id));
}

/** Replaces the link lists of the batch's owners; returns the owners whose list changed. */
async function replaceLinks(em: EntityManager, table: string, ownerCol: string, otherCol: string, owners: string[], links: Link[]): Promise<string[]> {
  if (!owners.length) return [];
  const wanted = JSON.stringify(links);
  const rows = await run(em, sql`with wanted as (select * from jsonb_to_recordset(${wanted}::jsonb) as w(owner text, other text)),
    gone as (delete from ${sql.table(table)} l where l.${sql.ref(ownerCol)} in (select unnest(${textArray(owners)}))
      and not exists (select 1 from wanted w where w.owner = l.${sql.ref(ownerCol)} and w.other = l.${sql.ref(otherCol)})
      returning l.${sql.ref(ownerCol)} as id),
    added as (insert into ${sql.table(table)} (${sql.ref(ownerCol)}, ${sql.ref(otherCol)}) select owner, other from wanted
      on conflict do nothing returning ${sql.ref(ownerCol)} as id)
    select id from gone union select id from added`);
  return rows.map((r) => String(r.id));
}

export async function applyBatch(em: EntityManager, source: string, batch: Batch, full: boolean): Promise<ApplyResult> {
  const result: ApplyResult = { issues: [], tables: {}, changed: 0, deleted: 0 };
  result.issues = [...(await checkOwnership(em, source, batch)), ...(await checkReferences(em, batch))];
  if (result.issues.length) return result;

  const [{ now }] = await run(em, sql`select now() as now`);
  const runTime = new Date(now as string | Date).toISOString();
  const count = (table: string, changed: number, deleted: number) => {
    const t = (result.tables[table] ??= { changed: 0, deleted: 0 });
    t.changed += changed;
    t.deleted += deleted;
    result.changed += changed;
    result.deleted += deleted;
  };
  // Owners whose parts (roles, profiles, score-scale links, objectives, resource links) or agents changed: the owner itself changed.
  const touched = new Map<EntityName, Set<string>>();
  const touch = (entity: EntityName, id: string) => {
    const set = touched.get(entity) ?? new Set<string>();
    set.add(id);
    touched.set(entity, set);
  };
  for (const entity of WRITE_ORDER) {
    const table = entityDef(entity).table;
    const rows = batch.rows.get(entity) ?? [];
    const changed = await upsertChanged(em, entity, rows, runTime);
    const tombstones = batch.tombstones.get(entity) ?? [];
    const deleted = tombstones.length ? await markDeleted(em, table, sql`t.sourced_id in (select unnest(${textArray(tombstones)}))`, runTime) : [];
    const ids = idsOf(batch, entity);
    if (ids.length) {
      await run(em, sql`insert into source_records (table_name, sourced_id, source_name)
        select ${table}, x.id, ${source} from unnest(${textArray(ids)}) x(id) on conflict do nothing`);
    }
    if (full) {
      deleted.push(...await markDeleted(em, table, sql`t.sourced_id in (select r.sourced_id from source_records r
        where r.source_name = ${source} and r.table_name = ${table}) and t.sourced_id not in (select unnest(${textArray(ids)}))`, runTime));
    }
    const part = PART_OWNERS.get(entity);
    if (part) {
      const ownerColumn = sql.ref(`t.${columnOf(part.ownerField, entityDef(entity).fields[part.ownerField]!)}`);
      const owners = batch.partOwners.get(entity) ?? [];
      // Parts a delivered owner no longer has.
      if (owners.length) {
        deleted.push(...await markDeleted(em, table, sql`${ownerColumn} in (select unnest(${textArray(owners)}))
          and t.sourced_id not in (select unnest(${textArray(ids)}))`, runTime));
      }
      const changedIds = [...changed, ...deleted];
      if (changedIds.length) {
        const rows = await run(em, sql`select distinct ${ownerColumn} as id from ${sql.table(table)} t where t.sourced_id in (select unnest(${textArray(changedIds)}))`);
        for (const o of rows) touch(part.owner, String(o.id));
      }
    }
    count(table, changed.length, deleted.length);
  }
  const termsChanged = await replaceLinks(em, 'class_terms', 'class_sourced_id', 'term_sourced_id', batch.classes, batch.classTerms);
  for (const id of await replaceLinks(em, 'user_agents', 'user_sourced_id', 'agent_sourced_id', batch.users, batch.userAgents)) touch('User', id);
  for (const id of termsChanged) touch('Class', id);
  const bump = async (table: string, ids: string[]) => {
    if (!ids.length) return;
    const rows = await run(em, sql`update ${sql.table(table)} set date_last_modified = ${runTime}::timestamptz
      where sourced_id in (select unnest(${textArray(ids)})) and date_last_modified <> ${runTime}::timestamptz returning sourced_id`);
    count(table, rows.length, 0);
  };
  for (const [entity, ids] of touched) await bump(entityDef(entity).table, [...ids]);
  return result;
}

