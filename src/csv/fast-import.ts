import { sql, type SqlSession } from '../db/sql.js';
import { rawSelectSql } from './cells-sql.js';
import type { FileSpec, Mode } from './columns.js';
import type { CsvSession } from './connection.js';
import { dropForLoad, dropTable, tablesEmpty, type Structure } from './ddl.js';
import { LINKS, linkTablesOf, type LoadCount } from './load.js';
import type { PackageSource } from './read-package.js';
import type { FileReport } from './report.js';
import { copyDirect, directEligible } from './copy-direct.js';
import { attempt, copyConverted, Declined } from './stage-copy.js';
import type { ImportOptions } from './import-options.js';

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
export async function importFast(session: CsvSession, pkg: PackageSource, specs: readonly FileSpec[],
  modes: Map<string, Mode>, opts: ImportOptions): Promise<{ files: FileReport[]; written: Record<string, LoadCount> } | undefined> {
  const copy = session.copy;
  if (!copy || !(await tablesEmpty(session, specs.map((s) => s.table)))) return undefined;
  return attempt(session, 'csv_fast', () => load(session, copy, pkg, specs, modes, opts));
}

async function load(session: SqlSession, client: NonNullable<CsvSession['copy']>, pkg: PackageSource, specs: readonly FileSpec[],
  modes: Map<string, Mode>, opts: ImportOptions) {
  const tables = specs.map((s) => s.table);
  const links = specs.flatMap(linkTablesOf);
  const direct = new Set<string>();
  for (const spec of specs) if (await directEligible(session, spec)) direct.add(spec.key);
  const { fks, restoreKey, restore } = await dropForLoad(session, [...tables, ...links]);
  opts.onLoad?.({ checked: false });

  const inPackage = new Set(tables);
  // A reference into a table this package fills resolves (the foreign keys check that below) only
  // to a sourcedId that passed its own check, so its characters need none; references into other
  // tables may meet sourcedIds written by other means and keep the check.
  const resolved = (col: FileSpec['columns'][number]) => !!col.refTable && col.column !== 'sourced_id' && inPackage.has(col.refTable);
  const files: FileReport[] = [];
  const written: Record<string, LoadCount> = {};
  // now() as the careful path writes it into blank dateLastModified cells: the transaction's start.
  const [{ now }] = await session.run(sql`select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as now`);
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
      const rows = await copyDirect(session, client, await pkg.open(name), spec, mode, String(now), (n, bytes) => opts.onProgress?.(name, { rows: n, bytes }));
      await restoreKey(spec.table);
      report(rows, 'node');
      continue;
    }
    // The same values as load.ts writes into an empty table.
    const raw = await copyConverted(session, client, await pkg.open(name), spec, mode, spec.table, resolved);
    // The key right away: it finds duplicate sourcedIds, and later files' lookups use it.
    await restoreKey(spec.table);
    for (const e of spec.extra.filter((x) => x in LINKS)) {
      const l = LINKS[e];
      // Every row passed its checks above; only the two columns are needed (the planner computes no others).
      const rows = rawSelectSql(spec, mode, raw.layout, raw.raw, { unchecked: true });
      // distinct: a list may name an item twice (the careful path's "on conflict do nothing").
      await session.run(sql`insert into ${sql.table(l.table)} (${sql.id(l.owner)}, ${sql.id(l.other)})
        select distinct s.sourced_id, r.id from (${rows}) s cross join unnest(${sql.ref(`s.${e}`)}) r(id)`);
      await restoreKey(l.table);
    }
    await dropTable(session, raw.raw);
    report(raw.rows, 'postgres');
  }

  // Re-adding a foreign key validates every row: this is the reference check for those columns.
  await restore();
  for (const ref of unguardedReferences(specs, fks)) {
    if (await unresolved(session, ref.table, ref.column, ref.refTable)) throw new Declined();
  }
  return { files, written };
}

/**
 * The reference columns of the files that no foreign key checks: where the values land (the
 * table's column, or a link table's item column) and the table they must name.
 */
export function unguardedReferences(specs: readonly FileSpec[], fks: readonly Structure[]) {
  return specs.flatMap((spec) => spec.columns.filter((c) => c.refTable && c.column !== 'sourced_id').flatMap((col) => {
    const [table, column] = col.column in LINKS ? [LINKS[col.column].table, LINKS[col.column].other] : [spec.table, col.column];
    const guarded = fks.some((k) => k.table === table && k.def.startsWith(`FOREIGN KEY (${column}) REFERENCES ${col.refTable}(sourced_id)`));
    return guarded ? [] : [{ spec, col, table, column, refTable: col.refTable! }];
  }));
}

/** Whether some value of `table.column` names no record of `refTable`. */
export async function unresolved(session: SqlSession, table: string, column: string, refTable: string): Promise<boolean> {
  const rows = await session.run(sql`select 1 from ${sql.table(table)} t where ${sql.ref(`t.${column}`)} is not null
    and not exists (select 1 from ${sql.table(refTable)} d where d.sourced_id = ${sql.ref(`t.${column}`)}) limit 1`);
  return rows.length > 0;
}
