import type pg from 'pg';
import { rawSelectSql } from './cells-sql.js';
import type { FileSpec, Mode } from './columns.js';
import { LINKS, linkTablesOf, tableColumns, type LoadCount } from './load.js';
import type { PackageSource } from './read-package.js';
import type { FileReport } from './report.js';
import { copyDirect, directEligible } from './copy-direct.js';
import { copyRaw, declines, Declined } from './stage-copy.js';
import type { ImportOptions } from './import-options.js';

interface Structure { table: string; name: string; def: string }

/**
 * The optimistic path for an initial load of a clean package on a PostgreSQL server: every table
 * the package writes is empty. Instead of staging, checking, then writing, each file is COPYed
 * into a text table and converted straight into its real table, which has no keys, indexes or
 * foreign keys while it fills; the keys and foreign keys are then rebuilt, and their builds are
 * the checks: the primary key build finds duplicate sourcedIds, the foreign-key validation finds
 * references that resolve nowhere (references without a foreign key get the usual anti-join).
 *
 * Everything happens after a savepoint inside the import's one transaction. Any failure (a file
 * that is not clean, a cell that fails a check, a duplicate, an unresolved reference) undoes it
 * all to the savepoint and returns undefined: the caller then runs the careful path, which finds
 * and names every error. So a package with errors costs both paths; a clean one costs only this.
 */
export async function importFast(client: pg.ClientBase, pkg: PackageSource, specs: readonly FileSpec[],
  modes: Map<string, Mode>, opts: ImportOptions): Promise<{ files: FileReport[]; written: Record<string, LoadCount> } | undefined> {
  const tables = specs.map((s) => s.table);
  const { rows: [empty] } = await client.query(`select ${tables.map((t) => `not exists (select 1 from ${t})`).join(' and ')} as yes`);
  if (!empty.yes) return undefined;
  await client.query('savepoint csv_fast');
  try {
    const result = await load(client, pkg, specs, modes, opts);
    await client.query('release savepoint csv_fast');
    return result;
  } catch (err) {
    if (!declines(err)) throw err;
    await client.query('rollback to savepoint csv_fast');
    await client.query('release savepoint csv_fast');
    return undefined;
  }
}

async function load(client: pg.ClientBase, pkg: PackageSource, specs: readonly FileSpec[], modes: Map<string, Mode>, opts: ImportOptions) {
  const tables = specs.map((s) => s.table);
  const links = specs.flatMap(linkTablesOf);
  const { fks, indexes, pks } = await structures(client, tables, links);
  const restoreKey = async (table: string) => {
    for (const k of pks.filter((p) => p.table === table)) await client.query(`alter table ${k.table} add constraint "${k.name}" ${k.def}`);
  };
  const direct = new Set<string>();
  for (const spec of specs) if (await directEligible(client, spec)) direct.add(spec.key);
  for (const k of fks) await client.query(`alter table ${k.table} drop constraint "${k.name}"`);
  for (const i of indexes) await client.query(`drop index ${i.name}`);
  for (const k of pks) await client.query(`alter table ${k.table} drop constraint "${k.name}"`);
  // Index and key builds sort; foreign-key validation runs its anti-join with maintenance_work_mem.
  await client.query(`set local maintenance_work_mem = '256MB'`);
  await client.query(`set local work_mem = '64MB'`);
  opts.onLoad?.({ checked: false });

  const inPackage = new Set(tables);
  // A reference into a table this package fills resolves (the foreign keys check that below) only
  // to a sourcedId that passed its own check, so its characters need none; references into other
  // tables may meet sourcedIds written by other means and keep the check.
  const resolved = (col: FileSpec['columns'][number]) => !!col.refTable && col.column !== 'sourced_id' && inPackage.has(col.refTable);
  const files: FileReport[] = [];
  const written: Record<string, LoadCount> = {};
  // now() as the careful path writes it into blank dateLastModified cells: the transaction's start.
  const { rows: [{ now }] } = await client.query(`select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as now`);
  for (const spec of specs) {
    const name = `${spec.key}.csv`;
    const mode = modes.get(spec.key)!;
    const t0 = performance.now();
    opts.onFile?.(name, pkg.size(name));
    const report = (rows: number, parsedBy: FileReport['parsedBy']) => {
      opts.onProgress?.(name, { rows, bytes: pkg.size(name) });
      const seconds = (performance.now() - t0) / 1000;
      files.push({ file: spec.key, mode, parsedBy, rows, seconds, rowsPerSecond: seconds > 0 ? rows / seconds : 0 });
      written[spec.table] = { upserted: rows, markedDeleted: 0 };
    };
    if (direct.has(spec.key)) {
      const rows = await copyDirect(client, await pkg.open(name), spec, mode, now, (n, bytes) => opts.onProgress?.(name, { rows: n, bytes }));
      await restoreKey(spec.table);
      report(rows, 'node');
      continue;
    }
    const input = await pkg.open(name);
    let raw;
    try {
      raw = await copyRaw(client, input, spec);
    } finally {
      input.destroy();
    }
    const source = `(${rawSelectSql(spec, mode, raw.layout, raw.raw, { resolved })}) s`;
    // The same values as load.ts writes into an empty table.
    const { cols, exprs } = tableColumns(spec);
    const inserted = await client.query(`insert into ${spec.table} (${cols.map((c) => `"${c}"`).join(', ')}) select ${exprs.join(', ')} from ${source}`);
    // A row that fails a cell check is left out: fewer rows than records means "not clean".
    if (inserted.rowCount !== raw.rows) throw new Declined();
    // The key right away: it finds duplicate sourcedIds, and later files' lookups use it.
    await restoreKey(spec.table);
    for (const e of spec.extra.filter((x) => x in LINKS)) {
      const l = LINKS[e];
      // Every row passed its checks above; only the two columns are needed (the planner computes no others).
      const rows = `(${rawSelectSql(spec, mode, raw.layout, raw.raw, { unchecked: true })}) s`;
      // distinct: a list may name an item twice (the careful path's "on conflict do nothing").
      await client.query(`insert into ${l.table} (${l.owner}, ${l.other}) select distinct s.sourced_id, r.id from ${rows} cross join unnest(s.${e}) r(id)`);
      await restoreKey(l.table);
    }
    await client.query(`drop table ${raw.raw}`);
    report(raw.rows, 'postgres');
  }

  for (const i of indexes) await client.query(i.def);
  // Re-adding a foreign key validates every row: this is the reference check for those columns.
  for (const k of fks) await client.query(`alter table ${k.table} add constraint "${k.name}" ${k.def}`);
  for (const spec of specs) {
    for (const col of spec.columns.filter((c) => c.refTable && c.column !== 'sourced_id')) {
      // Where the values landed: the table's column, or a link table's item column.
      const [table, column] = col.column in LINKS ? [LINKS[col.column].table, LINKS[col.column].other] : [spec.table, col.column];
      if (fks.some((k) => k.table === table && k.def.startsWith(`FOREIGN KEY (${column}) REFERENCES ${col.refTable}(sourced_id)`))) continue;
      const { rowCount } = await client.query(`select 1 from ${table} t where t.${column} is not null
        and not exists (select 1 from ${col.refTable} d where d.sourced_id = t.${column}) limit 1`);
      if (rowCount) throw new Declined();
    }
  }
  return { files, written };
}

/** Foreign keys on or into the tables and link tables, their secondary indexes, and their primary keys. */
async function structures(client: pg.ClientBase, tables: string[], links: string[]) {
  const all = [...tables, ...links];
  const { rows: fks } = await client.query<Structure>(
    `select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
     where contype = 'f' and (conrelid = any($1::text[]::regclass[]) or confrelid = any($1::text[]::regclass[])) order by oid`, [all]);
  const { rows: indexes } = await client.query<Structure>(
    `select indrelid::regclass::text as table, indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as def from pg_index
     where indrelid = any($1::text[]::regclass[]) and not indisprimary and not indisunique order by indexrelid`, [all]);
  const { rows: pks } = await client.query<Structure>(
    `select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
     where contype = 'p' and conrelid = any($1::text[]::regclass[])`, [all]);
  return { fks, indexes, pks };
}
