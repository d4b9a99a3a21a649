import { at, tombstoneCount, upsert } from '../db/bulk.js';
import { joined, sql, type Sql, type SqlSession } from '../db/sql.js';
import { tableAssignments, type FileSpec, type Mode } from './columns.js';
import { addConstraint, createIndex, dropConstraint, dropIndex, structures } from './ddl.js';
import { stagingTable } from './stage.js';

export interface LoadCount { upserted: number; markedDeleted: number }

/** List columns (staging) held in link tables: the table, its owner column and its item column. */
export const LINKS: Record<string, { table: string; owner: string; other: string }> = {
  terms: { table: 'class_terms', owner: 'class_sourced_id', other: 'term_sourced_id' },
  agents: { table: 'user_agents', owner: 'user_sourced_id', other: 'agent_sourced_id' },
};

/** The link tables a file fills. */
export const linkTablesOf = (spec: FileSpec) => spec.extra.filter((e) => e in LINKS).map((e) => LINKS[e].table);

/**
 * Writes one staged file into its table, set-based. Upserts by sourcedId and changes a record only
 * when a value differs, so an unchanged record keeps its dateLastModified (and stays out of delta
 * exports). Bulk: every record of the table that the file does not list becomes tobedeleted
 * ("complete" = all records of that type in the database). Delta: status and dateLastModified
 * come from the file.
 */
export async function loadFile(session: SqlSession, spec: FileSpec, mode: Mode): Promise<LoadCount> {
  if (!(await isEmpty(session, spec.table))) return upsertFile(session, spec, mode, true);
  const restore = await dropSecondaryStructures(session, spec.table);
  const count = await upsertFile(session, spec, mode, false);
  await restore();
  return count;
}

export const isEmpty = async (session: SqlSession, table: string) =>
  !!(await session.run(sql`select not exists (select 1 from ${sql.table(table)}) as yes`))[0].yes;

/**
 * An initial load into an empty table is much faster without per-row index maintenance and
 * foreign-key triggers: drop the secondary indexes and outgoing foreign keys, load, then rebuild
 * them (each key is then validated by one set-based query). All inside the import's transaction,
 * so a failure or a kill restores them untouched; the table is locked until commit, but it was empty.
 */
export async function dropSecondaryStructures(session: SqlSession, table: string): Promise<() => Promise<void>> {
  const { fks, indexes } = await structures(session, [table], { into: false });
  for (const k of fks) await dropConstraint(session, k);
  for (const i of indexes) await dropIndex(session, i);
  await session.run(sql`set local maintenance_work_mem = '256MB'`);
  return async () => {
    for (const i of indexes) await createIndex(session, i);
    for (const k of fks) await addConstraint(session, k);
  };
}

/**
 * The table's columns and the expressions that fill them from a source row `s` of the file (staged
 * or raw): blank status is active, blank dateLastModified is the transaction's now().
 */
export function tableColumns(spec: FileSpec): { cols: string[]; exprs: Sql[] } {
  const assigned = tableAssignments(spec).filter(([c]) => c !== 'sourced_id' && c !== 'status' && c !== 'date_last_modified');
  return {
    cols: ['sourced_id', 'status', 'date_last_modified', ...assigned.map(([c]) => c)],
    exprs: [sql`s.sourced_id`, sql`coalesce(s.status, 'active')`, sql`coalesce(s.date_last_modified, now())`, ...assigned.map(([, e]) => e)],
  };
}

/**
 * The staged file through the one write path (src/db/bulk.ts): its new and changed records, then
 * the bulk file's deletion marks, then its link lists.
 */
async function upsertFile(session: SqlSession, spec: FileSpec, mode: Mode, hadRows: boolean): Promise<LoadCount> {
  const stg = sql.table(stagingTable(spec));
  const { cols, exprs } = tableColumns(spec);
  const rows = sql`select ${joined(exprs.map((e, i) => sql`${e} as ${sql.id(cols[i])}`))} from ${stg} s`;
  const values = (alias: string) => joined(comparedColumns(spec, mode).map((c) => sql.ref(`${alias}.${c}`)));
  // Only records that are new or differ from the table go to the upsert (one hash anti-join), so
  // an unchanged record is neither written nor locked.
  const changed = hadRows
    ? sql`select * from (${rows}) s where not exists (select 1 from ${sql.table(spec.table)} t where t.sourced_id = s.sourced_id
        and (${values('t')}) is not distinct from (${values('s')}))`
    : rows;
  const count = await writeChanges(session, spec, mode, { rows: changed, unlisted: sql`not exists (select 1 from ${stg} s where s.sourced_id = t.sourced_id)` }, hadRows);
  const relinked = await loadLinks(session, spec);
  return { ...count, upserted: count.upserted + relinked };
}

/** The columns whose values make a record changed. A bulk file's blank dateLastModified is "now", which is no change by itself. */
export const comparedColumns = (spec: FileSpec, mode: Mode) =>
  tableColumns(spec).cols.filter((c) => c !== 'sourced_id' && (mode === 'delta' || c !== 'date_last_modified'));

/**
 * The write step of both paths: `changes.rows` (table rows, columns named as tableColumns' `cols`,
 * one per sourcedId: the file's new and changed records, or any superset of them) are upserted,
 * and an existing record is updated only where a value differs, so an unchanged record keeps its
 * dateLastModified (and stays out of delta exports). Bulk: the records `changes.unlisted` (a
 * condition over the table, alias t) names, those the file does not list, become tobedeleted.
 */
export async function writeChanges(session: SqlSession, spec: FileSpec, mode: Mode, changes: { rows: Sql; unlisted: Sql },
  hadRows: boolean): Promise<LoadCount> {
  // Into an empty table (staged sourcedIds already known unique) a plain insert is enough.
  const { written } = await upsert(session, {
    table: spec.table, columns: tableColumns(spec).cols, rows: changes.rows, key: ['sourced_id'],
    onConflict: hadRows ? 'update' : 'fail', onlyWhenChanged: comparedColumns(spec, mode),
  });
  const markedDeleted = mode === 'bulk' && hadRows ? await tombstoneCount(session, spec.table, changes.unlisted, at()) : 0;
  return { upserted: written, markedDeleted };
}

/**
 * List columns that live in link tables: each listed record's links are replaced by the file's
 * list, and a record whose links changed counts as changed (its dateLastModified moves).
 */
async function loadLinks(session: SqlSession, spec: FileSpec): Promise<number> {
  const stg = sql.table(stagingTable(spec));
  let changed = 0;
  for (const list of spec.extra.filter((e) => e in LINKS)) {
    const link = LINKS[list];
    const restore = (await isEmpty(session, link.table)) ? await dropSecondaryStructures(session, link.table) : undefined;
    changed += await writeLinkChanges(session, spec, link, {
      owners: sql`select s.sourced_id, coalesce(s.date_last_modified, now()) as date_last_modified from ${stg} s`,
      pairs: sql`select s.sourced_id as owner, r.id as other from ${stg} s cross join unnest(${sql.ref(`s.${list}`)}) r(id)`,
    });
    await restore?.();
  }
  if (spec.extra.includes('role_v11')) {
    // 1.1 users carry one role for a list of orgs: one primary role per org, with a derived sourcedId.
    // 1.1 "administrator" is no longer a user role in 1.2; siteAdministrator is its closest match.
    // An unchanged role keeps its dateLastModified, like any other record.
    await upsert(session, {
      table: 'user_roles', columns: ['sourced_id', 'status', 'date_last_modified', 'user_sourced_id', 'role_type', 'role', 'org_sourced_id'],
      rows: sql`select s.sourced_id || '-role-' || r.org, coalesce(s.status, 'active'), coalesce(s.date_last_modified, now()), s.sourced_id, 'primary',
          case s.role_v11 when 'administrator' then 'siteAdministrator' else s.role_v11 end, r.org
        from ${stg} s cross join unnest(s.org_ids) r(org)`,
      key: ['sourced_id'], onConflict: 'update', onlyWhenChanged: ['status', 'role'],
    });
  }
  return changed;
}

/**
 * Replaces the links of the listed owners (`owners`: sourced_id, date_last_modified) by `pairs`
 * (owner, other), touching only the links that differ: one full join of the owners' links with the
 * pairs finds them (as arrays: few, usually), removed ones are deleted, missing ones inserted, and
 * an owner whose links changed takes its row's dateLastModified. Counts those owners.
 */
export async function writeLinkChanges(session: SqlSession, spec: FileSpec, link: (typeof LINKS)[string],
  source: { owners: Sql; pairs: Sql }): Promise<number> {
  const [l, owner, other] = [sql.table(link.table), sql.id(link.owner), sql.id(link.other)];
  const [lOwner, lOther] = [sql.ref(`l.${link.owner}`), sql.ref(`l.${link.other}`)];
  const [res] = await session.run(sql`with found as (
        select array_agg(l.owner) filter (where p.owner is null) as gone_owner, array_agg(l.other) filter (where p.owner is null) as gone_other,
          array_agg(p.owner) filter (where l.owner is null) as new_owner, array_agg(p.other) filter (where l.owner is null) as new_other
        from (select ${lOwner} as owner, ${lOther} as other from ${l} l where ${lOwner} in (select o.sourced_id from (${source.owners}) o)) l
        full join (select distinct q.owner, q.other from (${source.pairs}) q) p on p.owner = l.owner and p.other = l.other),
      gone as (
        delete from ${l} l using found, unnest(found.gone_owner, found.gone_other) x(owner, other)
        where ${lOwner} = x.owner and ${lOther} = x.other returning ${lOwner} as id),
      added as (
        insert into ${l} (${owner}, ${other}) select x.owner, x.other from found, unnest(found.new_owner, found.new_other) x(owner, other)
        returning ${owner} as id),
      touched as (
        update ${sql.table(spec.table)} t set date_last_modified = o.date_last_modified from (${source.owners}) o
        where o.sourced_id = t.sourced_id and t.date_last_modified is distinct from o.date_last_modified
          and t.sourced_id in (select id from gone union select id from added)
        returning 1)
    select count(*)::int as n from touched`);
  return Number(res.n);
}
