import { joined, sql, type SqlSession } from '../db/sql.js';
import { rawSelectSql } from './cells-sql.js';
import type { FileSpec, Mode } from './columns.js';
import type { CsvSession } from './connection.js';
import { copyDirect, directEligible } from './copy-direct.js';
import { createTempLike, createTempTable, dropTable, structures } from './ddl.js';
import { unguardedReferences, unresolved } from './fast-import.js';
import type { ImportOptions } from './import-options.js';
import { comparedColumns, dropSecondaryStructures, isEmpty, LINKS, tableColumns, writeChanges, writeLinkChanges, type LoadCount } from './load.js';
import type { PackageSource } from './read-package.js';
import type { FileReport } from './report.js';
import { attempt, copyConverted, Declined } from './stage-copy.js';

/**
 * The optimistic path for a re-import on a PostgreSQL server (tables already hold records: the
 * nightly bulk package, mostly unchanged). Each file is read the optimistic path's way (Node's
 * one-pass COPY, or COPY into a text table and one checked INSERT ... SELECT) into a temporary
 * table shaped like its real table (`chg_<table>`: no line numbers, no keys), and compared with
 * the table set-based: only new and changed records are written (load.ts `writeChanges`, the
 * careful path's own write step), records the bulk file lacks are marked tobedeleted, and link
 * lists are rewritten only where they differ. An unchanged record is not written at all.
 *
 * Every file is read and compared before anything is written. The checks are the careful path's,
 * by other means: the cell checks as the optimistic path makes them; a duplicate sourcedId by the
 * comparison's count of pairs (see compare); a reference by the foreign keys the writes meet (only new and changed rows are written, and an unchanged row names a record its
 * foreign key already proved to exist; records are never removed), and the few references without
 * a foreign key by an anti-join over every row of the file. Everything runs after a savepoint
 * inside the import's one transaction; any failure undoes it to the savepoint and returns
 * undefined, and the careful path then stages the package again and names every error.
 *
 * `unchanged` (file key → its rows; unchanged-files.ts) names bulk files identical to the ones their
 * tables were last imported from, tables nothing wrote since: comparing them would find nothing, so
 * they are not read at all. Their references were checked when they were imported, and the records
 * they name still exist (records are never removed).
 */
export async function importChanges(session: CsvSession, pkg: PackageSource, specs: readonly FileSpec[],
  modes: Map<string, Mode>, opts: ImportOptions, unchanged: Map<string, number> = new Map()): Promise<{ files: FileReport[]; written: Record<string, LoadCount> } | undefined> {
  const copy = session.copy;
  if (!copy) return undefined;
  return attempt(session, 'csv_changes', () => load(session, copy, pkg, specs, modes, opts, unchanged));
}

/** The temporary table holding a file's (or its link list's) rows in the shape of `table`. */
const incoming = (table: string) => `chg_${table}`;

async function load(session: SqlSession, client: NonNullable<CsvSession['copy']>, pkg: PackageSource, specs: readonly FileSpec[],
  modes: Map<string, Mode>, opts: ImportOptions, unchanged: Map<string, number>) {
  const { fks } = await structures(session, specs.map((s) => s.table), { into: false });
  const linkFks = (await structures(session, specs.flatMap((s) => s.extra.filter((e) => e in LINKS).map((e) => LINKS[e].table)), { into: false })).fks;
  // The comparisons are hash joins of whole tables: give them memory enough not to spill in batches.
  await session.run(sql`set local work_mem = '64MB'`);
  // The foreign keys are the reference check: a violation must fail its statement, here, inside the
  // savepoint, and never wait for the commit (should a key ever be made deferrable).
  await session.run(sql`set constraints all immediate`);
  const [{ now }] = await session.run(sql`select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as now`);
  const files: FileReport[] = [];
  // Read and compare every file first (nothing is written while a file may still turn out unclean).
  const diffs = new Map<FileSpec, { diff: string; differing: number }>();
  for (const spec of specs) {
    const name = `${spec.key}.csv`;
    const mode = modes.get(spec.key)!;
    const t0 = performance.now();
    opts.onFile?.(name, pkg.size(name));
    const known = unchanged.get(spec.key);
    if (known !== undefined) {
      opts.onProgress?.(name, { rows: known, bytes: pkg.size(name) });
      files.push({ file: spec.key, mode, parsedBy: 'unchanged', rows: known, seconds: 0, rowsPerSecond: 0 });
      continue;
    }
    const temp = incoming(spec.table);
    await createTempLike(session, temp, spec.table);
    const { rows, parsedBy } = await readInto(session, client, pkg, spec, mode, String(now), temp, opts);
    opts.onProgress?.(name, { rows, bytes: pkg.size(name) });
    diffs.set(spec, await compare(session, spec, mode, temp));
    const seconds = (performance.now() - t0) / 1000;
    files.push({ file: spec.key, mode, parsedBy, rows, seconds, rowsPerSecond: seconds > 0 ? rows / seconds : 0 });
  }
  // Then write what differs, in file order (a file's references point to earlier files), with the
  // foreign keys checking the written rows' references.
  opts.onLoad?.({ checked: false, reimport: true });
  const written: Record<string, LoadCount> = {};
  for (const spec of specs) {
    const compared = diffs.get(spec);
    if (!compared) {
      written[spec.table] = { upserted: 0, markedDeleted: 0 };
      continue;
    }
    const { diff, differing } = compared;
    const temp = incoming(spec.table);
    const { cols } = tableColumns(spec);
    // A table this package fills for the first time loads as an initial load does (load.ts): its
    // secondary indexes and foreign keys rebuilt afterwards, not maintained row by row.
    const restore = differing > 0 && (await isEmpty(session, spec.table)) ? await dropSecondaryStructures(session, spec.table) : undefined;
    // The usual file of a nightly package: nothing differs, nothing to write.
    const count = differing === 0 ? { upserted: 0, markedDeleted: 0 } : await writeChanges(session, spec, modes.get(spec.key)!, {
      rows: sql`select ${joined(cols.map((c) => sql.ref(`s.${c}`)))} from ${sql.table(temp)} s
        where s.sourced_id in (select d.new_id from ${sql.table(diff)} d where d.new_id is not null)`,
      unlisted: sql`t.sourced_id in (select d.old_id from ${sql.table(diff)} d where d.new_id is null)`,
    }, !restore);
    await restore?.();
    let relinked = 0;
    for (const list of spec.extra.filter((e) => e in LINKS)) {
      const link = LINKS[list];
      relinked += await writeLinkChanges(session, spec, link, {
        owners: sql`select s.sourced_id, s.date_last_modified from ${sql.table(temp)} s`,
        pairs: sql`select ${sql.ref(`p.${link.owner}`)} as owner, ${sql.ref(`p.${link.other}`)} as other from ${sql.table(incoming(link.table))} p`,
      });
    }
    written[spec.table] = { upserted: count.upserted + relinked, markedDeleted: count.markedDeleted };
  }
  // Every record is written by now, so "in the package or in the database" is "in the table".
  for (const ref of unguardedReferences(specs.filter((s) => diffs.has(s)), [...fks, ...linkFks])) {
    if (await unresolved(session, incoming(ref.table), ref.column, ref.refTable)) throw new Declined();
  }
  return { files, written };
}

/**
 * Compares the file's rows (`temp`) with its table in one hash join and keeps the few that matter
 * in a temporary table: new and changed records (new_id), and for a bulk file the records it does
 * not list (old_id alone). Also the duplicate check: with unique sourcedIds in a bulk file, the full
 * join pairs each record of the table at most once, so more pairs than the table has records means
 * a sourcedId listed twice (a delta file, usually small, is joined only where it has rows and
 * counted by sourcedId). Two new records of one sourcedId are caught by the upsert, which cannot
 * write one record twice in one statement. Any of these: Declined.
 */
async function compare(session: SqlSession, spec: FileSpec, mode: Mode, temp: string): Promise<{ diff: string; differing: number }> {
  const diff = `${temp}_diff`;
  const [table, file] = [sql.table(spec.table), sql.table(temp)];
  await createTempTable(session, diff, [['new_id', 'text'], ['old_id', 'text']]);
  const values = (alias: string) => joined(comparedColumns(spec, mode).map((c) => sql.ref(`${alias}.${c}`)));
  const bulk = mode === 'bulk';
  // One pass, aggregated: the differing sourcedIds as two arrays (few, usually) and the number of pairs.
  const [r] = await session.run(sql`with found as (
      select count(t.sourced_id) as paired,
        array_agg(s.sourced_id) filter (where s.sourced_id is not null
          and (t.sourced_id is null or (${values('t')}) is distinct from (${values('s')}))) as changed,
        array_agg(t.sourced_id) filter (where s.sourced_id is null) as unlisted
      from ${file} s ${bulk ? sql`full join` : sql`left join`} ${table} t on t.sourced_id = s.sourced_id),
    kept as (insert into ${sql.table(diff)} (new_id, old_id)
      select id, null from found, unnest(found.changed) id union all select null, id from found, unnest(found.unlisted) id)
    select ${bulk ? sql`found.paired > (select count(*) from ${table})`
      : sql`exists (select 1 from ${file} group by sourced_id having count(*) > 1)`} as duplicated,
      coalesce(cardinality(found.changed), 0) + coalesce(cardinality(found.unlisted), 0) as differing from found`);
  if (r.duplicated) throw new Declined();
  return { diff, differing: Number(r.differing) };
}

/**
 * A file's rows into `temp`, checked as the optimistic path checks them: Node's one-pass COPY for
 * files that map one to one onto their table, else PostgreSQL's COPY into a text table and one
 * checked INSERT ... SELECT (link lists into `chg_<link table>`). Throws Declined when not clean.
 */
async function readInto(session: SqlSession, client: NonNullable<CsvSession['copy']>, pkg: PackageSource, spec: FileSpec, mode: Mode,
  now: string, temp: string, opts: ImportOptions): Promise<{ rows: number; parsedBy: FileReport['parsedBy'] }> {
  const name = `${spec.key}.csv`;
  if (await directEligible(session, spec)) {
    const rows = await copyDirect(session, client, await pkg.open(name), spec, mode, now, (n, bytes) => opts.onProgress?.(name, { rows: n, bytes }), temp);
    return { rows, parsedBy: 'node' };
  }
  const raw = await copyConverted(session, client, await pkg.open(name), spec, mode, temp);
  for (const list of spec.extra.filter((e) => e in LINKS)) {
    const link = LINKS[list];
    await createTempLike(session, incoming(link.table), link.table);
    const rows = rawSelectSql(spec, mode, raw.layout, raw.raw, { unchecked: true });
    await session.run(sql`insert into ${sql.table(incoming(link.table))} (${sql.id(link.owner)}, ${sql.id(link.other)})
      select s.sourced_id, r.id from (${rows}) s cross join unnest(${sql.ref(`s.${list}`)}) r(id)`);
  }
  await dropTable(session, raw.raw);
  return { rows: raw.rows, parsedBy: 'postgres' };
}
