import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Database } from '../db/orm.js';
import { FILES_V12, type FileSpec } from './columns.js';
import { supportsCopy, withClient } from './connection.js';
import { exportFilter, exportQuery } from './export-sql.js';
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
  await withClient(db, async (client) => {
    await client.query('begin isolation level repeatable read read only');
    try {
      await client.query('set local statement_timeout = 0');
      const copy = opts.copy ?? (await supportsCopy(db, client));
      const present: FileSpec[] = [];
      for (const spec of FILES_V12) {
        const { rows } = await client.query(`select exists (select 1 from ${spec.table} t where ${exportFilter(since)}) as any`);
        if (rows[0].any) present.push(spec);
      }
      await sink.file('manifest.csv', async (out) => {
        out.write(manifest(present, since ? 'delta' : 'bulk'));
      });
      for (const spec of present) {
        const t0 = performance.now();
        const keys = await metadataKeys(client, spec, since);
        const query = exportQuery(spec, keys, since);
        let rows = 0;
        await sink.file(`${spec.key}.csv`, async (out) => {
          out.write(csvLine(query.header));
          rows = copy ? await copyRows(client, query.sql, out) : await cursorRows(client, query.sql, out);
        });
        const seconds = (performance.now() - t0) / 1000;
        report.files.push({ file: spec.key, rows, seconds, rowsPerSecond: seconds > 0 ? rows / seconds : 0 });
      }
    } finally {
      await client.query('rollback');
    }
  });
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
async function metadataKeys(client: pg.ClientBase, spec: FileSpec, since: string | undefined): Promise<string[]> {
  const { rows } = await client.query<{ k: string }>(
    `select distinct jsonb_object_keys(t.metadata) as k from ${spec.table} t where t.metadata is not null and jsonb_typeof(t.metadata) = 'object' and ${exportFilter(since)} order by 1`);
  return rows.map((r) => r.k);
}

/** Server path: PostgreSQL writes the CSV itself (RFC 4180 quoting, "" for an empty string). */
async function copyRows(client: pg.ClientBase, sql: string, out: Writable): Promise<number> {
  const stream = client.query(copyTo(`copy (${sql}) to stdout with (format csv)`));
  await pipeline(stream, out, { end: false });
  return stream.rowCount;
}

const FETCH = 5000;

/** Embedded path: cursor batches formatted in JS with the same quoting rules. */
async function cursorRows(client: pg.ClientBase, sql: string, out: Writable): Promise<number> {
  await client.query(`declare export_rows no scroll cursor for ${sql}`);
  let total = 0;
  for (;;) {
    const { rows } = await client.query<string[]>({ text: `fetch ${FETCH} from export_rows`, rowMode: 'array' });
    if (!rows.length) break;
    total += rows.length;
    if (!out.write(rows.map(csvLine).join(''))) await once(out, 'drain');
  }
  await client.query('close export_rows');
  return total;
}
