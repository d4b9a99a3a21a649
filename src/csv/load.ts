import type pg from 'pg';
import { tableAssignments, type FileSpec, type Mode } from './columns.js';
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
export async function loadFile(client: pg.ClientBase, spec: FileSpec, mode: Mode): Promise<LoadCount> {
  const { rows: [empty] } = await client.query(`select not exists (select 1 from ${spec.table}) as yes`);
  if (!empty.yes) return upsertFile(client, spec, mode, true);
  const restore = await dropSecondaryStructures(client, spec.table);
  const count = await upsertFile(client, spec, mode, false);
  for (const statement of restore) await client.query(statement);
  return count;
}

/**
 * An initial load into an empty table is much faster without per-row index maintenance and
 * foreign-key triggers: drop the secondary indexes and outgoing foreign keys, load, then rebuild
 * them (each key is then validated by one set-based query). All inside the import's transaction,
 * so a failure or a kill restores them untouched; the table is locked until commit, but it was empty.
 */
async function dropSecondaryStructures(client: pg.ClientBase, table: string): Promise<string[]> {
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
     where i.indrelid = $1::regclass and not i.indisprimary and not i.indisunique`, [table]);
  const { rows: keys } = await client.query<{ name: string; def: string }>(
    `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = $1::regclass and contype = 'f'`, [table]);
  for (const k of keys) await client.query(`alter table ${table} drop constraint "${k.name}"`);
  for (const i of indexes) await client.query(`drop index ${i.name}`);
  await client.query(`set local maintenance_work_mem = '256MB'`);
  return [...indexes.map((i) => i.def), ...keys.map((k) => `alter table ${table} add constraint "${k.name}" ${k.def}`)];
}

/**
 * The table's columns and the expressions that fill them from a source row `s` of the file (staged
 * or raw): blank status is active, blank dateLastModified is the transaction's now().
 */
export function tableColumns(spec: FileSpec): { cols: string[]; exprs: string[] } {
  const assigned = tableAssignments(spec).filter(([c]) => c !== 'sourced_id' && c !== 'status' && c !== 'date_last_modified');
  return {
    cols: ['sourced_id', 'status', 'date_last_modified', ...assigned.map(([c]) => c)],
    exprs: ['s.sourced_id', `coalesce(s.status, 'active')`, 'coalesce(s.date_last_modified, now())', ...assigned.map(([, e]) => e)],
  };
}

async function upsertFile(client: pg.ClientBase, spec: FileSpec, mode: Mode, hadRows: boolean): Promise<LoadCount> {
  const stg = stagingTable(spec);
  const { cols, exprs } = tableColumns(spec);
  const compared = cols.filter((c) => c !== 'sourced_id' && (mode === 'delta' || c !== 'date_last_modified'));
  const q = (c: string) => `"${c}"`;
  // Into an empty table (staged sourcedIds already known unique) a plain insert is enough.
  const conflict = hadRows ? `on conflict (sourced_id) do update set ${cols.slice(1).map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}
    where (${compared.map((c) => `${spec.table}.${q(c)}`).join(', ')}) is distinct from (${compared.map((c) => `excluded.${q(c)}`).join(', ')})` : '';
  const upsert = await client.query(`insert into ${spec.table} (${cols.map(q).join(', ')}) select ${exprs.join(', ')} from ${stg} s ${conflict}`);
  let markedDeleted = 0;
  if (mode === 'bulk' && hadRows) {
    const del = await client.query(`update ${spec.table} t set status = 'tobedeleted', date_last_modified = now()
      where t.status <> 'tobedeleted' and not exists (select 1 from ${stg} s where s.sourced_id = t.sourced_id)`);
    markedDeleted = del.rowCount ?? 0;
  }
  const relinked = await loadLinks(client, spec);
  return { upserted: (upsert.rowCount ?? 0) + relinked, markedDeleted };
}

/**
 * List columns that live in link tables: each listed record's links are replaced by the file's
 * list, and a record whose links changed counts as changed (its dateLastModified moves).
 */
async function loadLinks(client: pg.ClientBase, spec: FileSpec): Promise<number> {
  const stg = stagingTable(spec);
  let changed = 0;
  const replace = async (table: string, owner: string, other: string, list: string) => {
    const { rows: [empty] } = await client.query(`select not exists (select 1 from ${table}) as yes`);
    const restore = empty.yes ? await dropSecondaryStructures(client, table) : [];
    const res = await client.query(`with gone as (
        delete from ${table} l using ${stg} s where l.${owner} = s.sourced_id and not (l.${other} = any(coalesce(s.${list}, '{}')))
        returning l.${owner} as id),
      added as (
        insert into ${table} (${owner}, ${other}) select s.sourced_id, r.id from ${stg} s cross join unnest(s.${list}) r(id)
        on conflict do nothing returning ${owner} as id)
      update ${spec.table} t set date_last_modified = coalesce(s.date_last_modified, now()) from ${stg} s
      where s.sourced_id = t.sourced_id and t.date_last_modified is distinct from coalesce(s.date_last_modified, now())
        and t.sourced_id in (select id from gone union select id from added)`);
    for (const statement of restore) await client.query(statement);
    changed += res.rowCount ?? 0;
  };
  for (const list of spec.extra.filter((e) => e in LINKS)) await replace(LINKS[list].table, LINKS[list].owner, LINKS[list].other, list);
  if (spec.extra.includes('role_v11')) {
    // 1.1 users carry one role for a list of orgs: one primary role per org, with a derived sourcedId.
    // 1.1 "administrator" is no longer a user role in 1.2; siteAdministrator is its closest match.
    await client.query(`insert into user_roles (sourced_id, status, date_last_modified, user_sourced_id, role_type, role, org_sourced_id)
      select s.sourced_id || '-role-' || r.org, coalesce(s.status, 'active'), coalesce(s.date_last_modified, now()), s.sourced_id, 'primary',
        case s.role_v11 when 'administrator' then 'siteAdministrator' else s.role_v11 end, r.org
      from ${stg} s cross join unnest(s.org_ids) r(org)
      on conflict (sourced_id) do update set status = excluded.status, role = excluded.role,
        date_last_modified = case when user_roles.role is distinct from excluded.role or user_roles.status is distinct from excluded.status
          then excluded.date_last_modified else user_roles.date_last_modified end`);
  }
  return changed;
}
