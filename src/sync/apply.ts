/**
 * Writes one run's staged records (stage.ts) inside the caller's transaction, set-based: checks
 * ownership and references first, then upserts only the records whose values differ (they take the
 * run's time as dateLastModified; unchanged ones keep theirs, so this server's own delta consumers
 * see only real changes), replaces link lists, and on a full run marks what the source no longer
 * lists tobedeleted. Owners whose parts or links changed take the run's time too. Grades written here
 * that still wait to be pushed to the source are left as they are (`awaitingPush`, src/sync/outbox-pending.ts).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { entityColumns, upsertStatement } from '../db/bulk.js';
import { createTempTable, dropForLoad, tablesEmpty } from '../csv/ddl.js';
import { emSession, joined, run, sql, type Sql } from '../db/sql.js';
import { columnOf, type EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { quoteId } from '../shared/sourced-id.js';
import type { Service } from '../rest/openapi.js';
import { awaitingPush } from './outbox-pending.js';
import { collectionsOf, PART_OWNERS, PARTS, type Batch, type Link, type SyncIssue } from './records.js';
import type { SyncStage } from './stage.js';

/** Entities in the order their references allow (parts after their owners). */
export const WRITE_ORDER: readonly EntityName[] = [
  'Org', 'AcademicSession', 'Category', 'Resource', 'Course', 'Class', 'User', 'UserRole', 'UserProfile', 'Enrollment', 'Demographics',
  'ScoreScale', 'LineItem', 'LineItemScoreScale', 'LineItemLearningObjective', 'Result', 'ResultScoreScale', 'ResultLearningObjective',
  'AssessmentLineItem', 'AssessmentResult', 'CourseResource', 'ClassResource', 'UserResource',
];

const MAX_REPORTED = 100;
/** A table that took this many rows gets fresh statistics before the statements that join it (a first run fills empty tables). */
const ANALYZE_AFTER = 10_000;
/** Owners whose parts or links changed during the apply (a temporary table, dropped at commit). */
const TOUCHED = 'sync_touched';
/** Every sourcedId the run's records reference, by target entity (a temporary table, dropped at commit). */
const REFERENCES = 'sync_references';
const REFERENCE_CHUNK = 50_000;

/**
 * A list of sourcedIds as one bound JSON parameter, expanded in the database: the ORM's knex pool
 * would spread a bound JS array into separate placeholders.
 */
const textArray = (ids: readonly string[]): Sql => sql`array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

export interface TableCount { changed: number; deleted: number }
export interface ApplyResult { issues: SyncIssue[]; tables: Record<string, TableCount>; changed: number; deleted: number; adopted: number }

export interface StagedRun {
  source: string;
  stage: SyncStage;
  /** Links and references the reader kept (rows and tombstones are in the stage). */
  batch: Batch;
  /** The services whose parts the reader read (PARTS[].service). */
  services: readonly Service[];
  full: boolean;
  /** Entities whose collection the upstream did not list in this run (not offered): never marked tobedeleted for it. */
  unlisted?: ReadonlySet<EntityName>;
  /** Records here that belong to no source and that the run delivers become the source's (checkOwnership). */
  adopt?: boolean;
}

const count1 = async (em: EntityManager, statement: Sql) => Number((await run(em, statement))[0]!.n);

/**
 * Every sourcedId must be this source's or new: another source's record is never overwritten. One that
 * belongs to no source (loaded by CSV or written through the API) is refused too, unless the run adopts
 * such records (`--adopt`, a district moving from nightly CSV files to syncing its SIS): they become this
 * source's and are updated like its own. Returns the issues and how many records were adopted.
 */
async function checkOwnership(em: EntityManager, r: StagedRun): Promise<{ issues: SyncIssue[]; adopted: number }> {
  const issues: SyncIssue[] = [];
  let adopted = 0;
  for (const entity of WRITE_ORDER) {
    const table = entityDef(entity).table;
    const others = (where: Sql, limit: Sql) => sql`select x.sourced_id as id, r.source_name from (${r.stage.idsOf(entity)}) x
      join ${sql.table(table)} t on t.sourced_id = x.sourced_id
      left join source_records r on r.table_name = ${table} and r.sourced_id = x.sourced_id
      where ${where} and not ${awaitingPush(r.source, table, 't')} ${limit}`;
    const foreign = r.adopt ? sql`r.source_name <> ${r.source}` : sql`r.source_name is distinct from ${r.source}`;
    for (const row of await run(em, others(foreign, sql`limit ${MAX_REPORTED}`))) {
      const owner = row.source_name ? `belongs to source ${String(row.source_name)}` : 'exists here and was not delivered by this source (CSV import or API)';
      const remedy = row.source_name ? 'give this source a --prefix' : 'give this source a --prefix, or sync with --adopt to make such records its own';
      issues.push({ url: '', sourcedId: String(row.id), field: 'sourcedId', reason: `${table} record ${quoteId(String(row.id))} ${owner}; ${remedy}` });
    }
    if (r.adopt) adopted += await count1(em, sql`select count(*)::int as n from (${others(sql`r.source_name is null`, sql``)}) a`);
  }
  return { issues, adopted };
}

/** References must resolve within the run or to a record already here. */
async function checkReferences(em: EntityManager, r: StagedRun): Promise<SyncIssue[]> {
  const issues: SyncIssue[] = [];
  await createTempTable(emSession(em), REFERENCES, [['entity', 'text'], ['sourced_id', 'text']]);
  for (const [target, refs] of r.batch.references) {
    const ids = [...refs.keys()];
    for (let i = 0; i < ids.length; i += REFERENCE_CHUNK) {
      await run(em, sql`insert into ${sql.table(REFERENCES)} select ${target}, x from unnest(${textArray(ids.slice(i, i + REFERENCE_CHUNK))}) x`);
    }
  }
  await run(em, sql`analyze ${sql.table(REFERENCES)}`);
  for (const [target, refs] of r.batch.references) {
    const staged = r.stage.tableOf(target);
    const rows = await run(em, sql`select x.sourced_id as id from ${sql.table(REFERENCES)} x where x.entity = ${target}
      and not exists (select 1 from ${sql.table(entityDef(target).table)} t where t.sourced_id = x.sourced_id)
      ${staged ? sql`and not exists (select 1 from ${sql.table(staged)} s where s.sourced_id = x.sourced_id)` : sql``}
      and not exists (select 1 from (${r.stage.tombstonesOf(target)}) d where d.sourced_id = x.sourced_id) limit ${MAX_REPORTED}`);
    for (const row of rows) issues.push(refs.get(String(row.id))!);
  }
  return issues;
}

/**
 * A first load: when every table the run writes is empty, their keys, indexes and foreign keys are
 * dropped while they fill and rebuilt once at the end (as the CSV import's first load does), instead
 * of being maintained and checked row by row. The references were checked above; the rebuilt foreign
 * keys check them again. Returns what to restore, or undefined when some table holds rows.
 */
async function dropStructuresIfEmpty(em: EntityManager, tables: string[]) {
  if (!tables.length) return undefined;
  const session = emSession(em);
  if (!(await tablesEmpty(session, tables))) return undefined;
  // Again under a lock, so that nobody adds a row before the keys are back (readers still may read).
  await run(em, sql`lock table ${joined(tables.map((t) => sql.table(t)))} in exclusive mode`);
  if (!(await tablesEmpty(session, tables))) return undefined;
  return (await dropForLoad(session, tables)).restore;
}

/** The part's owner column, when `entity` is kept as parts of an owner. */
function partOf(entity: EntityName) {
  const part = PART_OWNERS.get(entity);
  return part && { owner: part.owner, column: columnOf(part.ownerField, entityDef(entity).fields[part.ownerField]!) };
}

/** A statement's changed rows (`w`, with `sourced_id`, and `owner` for parts) counted, their owners noted as touched. */
function countedTouching(entity: EntityName, changes: Sql): Sql {
  const part = partOf(entity);
  return part
    ? sql`with w as (${changes}), t as (insert into ${sql.table(TOUCHED)} select distinct ${part.owner}, w.owner from w) select count(*)::int as n from w`
    : sql`with w as (${changes}) select count(*)::int as n from w`;
}

/** Upserts the staged rows whose values differ from the stored ones (new rows inserted, changed ones updated, unchanged ones left as they are). */
function upsertChanged(source: string, entity: EntityName, staged: string, runTime: string, fresh: boolean): Sql {
  const def = entityDef(entity);
  const columns = entityColumns(entity);
  const compared = ['status', 'metadata', ...Object.entries(def.fields).map(([name, f]) => columnOf(name, f))];
  const values = columns.map((c) => (c === 'date_last_modified' ? sql`${runTime}::timestamptz` : sql.ref(`s.${c}`)));
  const part = partOf(entity);
  return countedTouching(entity, upsertStatement({
    table: def.table, columns, key: ['sourced_id'], onConflict: fresh ? 'fail' : 'update', onlyWhenChanged: compared,
    rows: sql`select ${joined(values)} from ${sql.table(staged)} s where not ${awaitingPush(source, def.table, 's')}`,
  }, part ? sql`sourced_id, ${sql.ref(part.column)} as owner` : sql`sourced_id`));
}

/** Marks the live records matching `where` (alias `t`) tobedeleted at the run's time; counts them and touches their owners. */
function markDeleted(source: string, entity: EntityName, where: Sql, runTime: string): Sql {
  const part = partOf(entity);
  const table = entityDef(entity).table;
  return countedTouching(entity, sql`update ${sql.table(table)} t set status = 'tobedeleted', date_last_modified = ${runTime}::timestamptz
    where t.status <> 'tobedeleted' and ${where} and not ${awaitingPush(source, table, 't')} returning t.sourced_id${part ? sql`, ${sql.ref(`t.${part.column}`)} as owner` : sql``}`);
}

/** Replaces the link lists of the staged owners; returns the owners whose list changed. */
async function replaceLinks(em: EntityManager, table: string, ownerCol: string, otherCol: string, owners: string | undefined, links: Link[]): Promise<string[]> {
  if (!owners) return [];
  const rows = await run(em, sql`with wanted as (select * from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as w(owner text, other text)),
    gone as (delete from ${sql.table(table)} l where l.${sql.ref(ownerCol)} in (select sourced_id from ${sql.table(owners)})
      and not exists (select 1 from wanted w where w.owner = l.${sql.ref(ownerCol)} and w.other = l.${sql.ref(otherCol)})
      returning l.${sql.ref(ownerCol)} as id),
    added as (insert into ${sql.table(table)} (${sql.ref(ownerCol)}, ${sql.ref(otherCol)}) select distinct owner, other from wanted
      on conflict do nothing returning ${sql.ref(ownerCol)} as id)
    select id from gone union select id from added`);
  return rows.map((row) => String(row.id));
}

export async function applyStaged(em: EntityManager, r: StagedRun): Promise<ApplyResult> {
  const result: ApplyResult = { issues: [], tables: {}, changed: 0, deleted: 0, adopted: 0 };
  const ownership = await checkOwnership(em, r);
  result.adopted = ownership.adopted;
  result.issues = [...ownership.issues, ...(await checkReferences(em, r))];
  if (result.issues.length) return result;

  const [{ now }] = await run(em, sql`select now() as now`);
  const runTime = new Date(now as string | Date).toISOString();
  await createTempTable(emSession(em), TOUCHED, [['entity', 'text'], ['sourced_id', 'text']]);
  const count = (table: string, changed: number, deleted: number) => {
    const t = (result.tables[table] ??= { changed: 0, deleted: 0 });
    t.changed += changed;
    t.deleted += deleted;
    result.changed += changed;
    result.deleted += deleted;
  };
  const readParts = new Set<EntityName>(['UserRole', 'UserProfile',
    ...PARTS.filter((p) => !p.service || r.services.includes(p.service)).map((p) => p.entity)]);
  // What a full run lists whole: the collections of its services and their parts. Anything else the source owns
  // (line items and results it took from --push-grades while its gradebook is not read) is not up for deletion.
  const read = new Set<EntityName>(collectionsOf(r.services).map((c) => c.entity).filter((e) => !r.unlisted?.has(e)));
  const listedWhole = (entity: EntityName) => read.has(entity) || (readParts.has(entity) && read.has(PART_OWNERS.get(entity)!.owner));
  // Which source delivered each record; a first load of an empty gateway builds this table's keys once, too.
  const restoreRecords = await dropStructuresIfEmpty(em, ['source_records']);
  let owned = 0;
  for (const entity of WRITE_ORDER) {
    owned += await count1(em, sql`with w as (insert into source_records (table_name, sourced_id, source_name)
      select distinct ${entityDef(entity).table}, x.sourced_id, ${r.source} from (${r.stage.idsOf(entity)}) x
      ${restoreRecords ? sql`` : sql`on conflict do nothing`} returning 1) select count(*)::int as n from w`);
  }
  await restoreRecords?.();
  // The joins below are planned on statistics: these rows are new in this transaction, which ANALYZE counts.
  if (owned >= ANALYZE_AFTER) await run(em, sql`analyze source_records`);
  const written = WRITE_ORDER.filter((e) => r.stage.tableOf(e)).map((e) => entityDef(e).table);
  const links = [...(r.stage.tableOf('Class') ? ['class_terms'] : []), ...(r.stage.tableOf('User') ? ['user_agents'] : [])];
  const restore = await dropStructuresIfEmpty(em, [...written, ...links]);
  for (const entity of WRITE_ORDER) {
    const table = entityDef(entity).table;
    const staged = r.stage.tableOf(entity);
    const notStaged = staged ? sql`not exists (select 1 from ${sql.table(staged)} s where s.sourced_id = t.sourced_id)` : sql`true`;
    // A table this first load found empty holds only what it staged: nothing there to mark tobedeleted.
    const fresh = !!restore && !!staged;
    const changed = staged ? await count1(em, upsertChanged(r.source, entity, staged, runTime, fresh)) : 0;
    if (changed >= ANALYZE_AFTER) await run(em, sql`analyze ${sql.table(table)}`);
    count(table, changed, 0);
    if (fresh) continue;
    let deleted = await count1(em, markDeleted(r.source, entity, sql`t.sourced_id in (${r.stage.tombstonesOf(entity)})`, runTime));
    if (r.full && listedWhole(entity)) {
      deleted += await count1(em, markDeleted(r.source, entity, sql`t.sourced_id in (select sr.sourced_id from source_records sr
        where sr.source_name = ${r.source} and sr.table_name = ${table}) and ${notStaged}
        and t.sourced_id not in (${r.stage.tombstonesOf(entity)})`, runTime));
    }
    const part = partOf(entity);
    const owners = part && readParts.has(entity) ? r.stage.tableOf(part.owner) : undefined;
    // Parts a delivered owner no longer has.
    if (part && owners) {
      deleted += await count1(em, markDeleted(r.source, entity, sql`${sql.ref(`t.${part.column}`)} in (select sourced_id from ${sql.table(owners)}) and ${notStaged}`, runTime));
    }
    count(table, 0, deleted);
  }
  const touch = async (entity: EntityName, ids: string[]) => {
    if (ids.length) await run(em, sql`insert into ${sql.table(TOUCHED)} select ${entity}, x from unnest(${textArray(ids)}) x`);
  };
  await touch('Class', await replaceLinks(em, 'class_terms', 'class_sourced_id', 'term_sourced_id', r.stage.tableOf('Class'), r.batch.classTerms));
  await touch('User', await replaceLinks(em, 'user_agents', 'user_sourced_id', 'agent_sourced_id', r.stage.tableOf('User'), r.batch.userAgents));
  await restore?.();
  for (const entity of new Set([...PART_OWNERS.values()].map((p) => p.owner).concat(['Class', 'User']))) {
    const table = entityDef(entity).table;
    const bumped = await count1(em, sql`with b as (update ${sql.table(table)} t set date_last_modified = ${runTime}::timestamptz
      from (select distinct sourced_id from ${sql.table(TOUCHED)} where entity = ${entity}) x
      where t.sourced_id = x.sourced_id and t.date_last_modified <> ${runTime}::timestamptz returning 1) select count(*)::int as n from b`);
    if (bumped) count(table, bumped, 0);
  }
  return result;
}
