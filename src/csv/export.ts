import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Database } from '../db/orm.js';
import { sql, type Sql, type SqlSession } from '../db/sql.js';
import { FILES_V12, type FileSpec } from './columns.js';
import { inTransaction } from './connection.js';
import { copyCsvOut } from './copy.js';
import { exportFilter, exportQuery, exportSettings } from './export-sql.js';
import { csvLine } from './format.js';
import type { PackageSink } from './sinks.js';

export interface ExportOptions {
  /** Delta export: records changed after this instant (ISO datetime), tobedeleted ones included. */
  since?: string;
  /** Stream through COPY ... TO STDOUT (default on a server) instead of cursor batches. */
  copy?: boolean;
}

export interface ExportReport {
  mode: 'bulk' | 'delta';
  files: { file: string; rows: number; seconds: number; rowsPerSecond: number }[];
  seconds: number;
}

/**
 * Writes a OneRoster 1.2 package: manifest.csv and every non-empty file, read in one read-only
 * repeatable-read transaction so that all files show the same moment.
 */
export async function exportPackage(db: Database, sink: PackageSink, opts: ExportOptions = {}): Promise<ExportReport> {
  const started = performance.now();
  const since = opts.since;
  const report: ExportReport = { mode: since ? 'delta' : 'bulk', files: [], seconds: 0 };
  await inTransaction(db, async (session) => {
    await session.run(sql`set local statement_timeout = 0`);
    await session.run(exportSettings(since, []));
    const copy = opts.copy !== false ? session.copy : undefined;
    const present: FileSpec[] = [];
    for (const spec of FILES_V12) {
      const [row] = await session.run(sql`select exists (select 1 from ${sql.table(spec.table)} t where ${exportFilter(!!since)}) as any`);
      if (row.any) present.push(spec);
    }
    await sink.file('manifest.csv', async (out) => {
      out.write(manifest(present, since ? 'delta' : 'bulk'));
    });
    for (const spec of present) {
      const t0 = performance.now();
      const keys = await metadataKeys(session, spec, !!since);
      await session.run(exportSettings(since, keys));
      const { header, query } = exportQuery(spec, keys, !!since);
      let rows = 0;
      await sink.file(`${spec.key}.csv`, async (out) => {
        out.write(csvLine(header));
        rows = copy ? await copyCsvOut(copy, query, out) : await cursorRows(session, query, out);
      });
      const seconds = (performance.now() - t0) / 1000;
      report.files.push({ file: spec.key, rows, seconds, rowsPerSecond: seconds > 0 ? rows / seconds : 0 });
    }
    return 'rollback';
  }, sql`set transaction isolation level repeatable read, read only`);
  await sink.close();
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

function manifest(present: FileSpec[], mode: 'bulk' | 'delta'): string {
  const names = new Set(present.map((s) => s.key));
  return [
    'propertyName,value', 'manifest.version,1.0', 'oneroster.version,1.2',
    ...FILES_V12.map((s) => s.key).sort().map((k) => `file.${k},${names.has(k) ? mode : 'absent'}`),
    'source.systemName,oneroster-graph', '',
  ].join('\n');
}

/** The metadata keys in use, one metadata.<key> column each (csv.md §2). */
async function metadataKeys(session: SqlSession, spec: FileSpec, delta: boolean): Promise<string[]> {
  const rows = await session.run(sql`select distinct jsonb_object_keys(t.metadata) as k from ${sql.table(spec.table)} t
    where t.metadata is not null and jsonb_typeof(t.metadata) = 'object' and ${exportFilter(delta)} order by 1`);
  return rows.map((r) => String(r.k));
}

const FETCH = 5000;

/** Embedded path: cursor batches formatted in JS with the same quoting rules. */
async function cursorRows(session: SqlSession, query: Sql, out: Writable): Promise<number> {
  await session.run(sql`declare export_rows no scroll cursor for ${query}`);
  let total = 0;
  for (;;) {
    const rows = await session.run(sql`fetch ${sql.lit(FETCH)} from export_rows`);
    if (!rows.length) break;
    total += rows.length;
    // Columns are named c0, c1, ... in order (export-sql.ts), so a row's values are its cells.
    if (!out.write(rows.map((r) => csvLine(Object.values(r) as (string | null)[])).join(''))) await once(out, 'drain');
  }
  await session.run(sql`close export_rows`);
  return total;
}
