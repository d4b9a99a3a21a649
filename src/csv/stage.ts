import type pg from 'pg';
import { joined, sql, type SqlSession } from '../db/sql.js';
import type { CellValue } from './cells.js';
import { sqlType, type FileSpec } from './columns.js';
import { copyRows, type CopyStager } from './copy.js';
import { createTempTable } from './ddl.js';

/**
 * Staging: every file's rows land, already type-checked, in a temporary table (dropped at commit)
 * that carries each record's line number. Duplicate and reference checks and the final upserts are
 * then set-based SQL over these tables, so no id set ever has to sit in JS memory.
 */
export const stagingTable = (spec: FileSpec) => `stg_${spec.key.toLowerCase()}`;

/** Staging columns in the order a Stager row supplies them. */
export const stagingColumns = (spec: FileSpec) => ['line', ...spec.columns.map((c) => c.column), 'metadata'];

export async function createStagingTable(session: SqlSession, spec: FileSpec) {
  const cols: [string, string][] = [['line', 'integer'], ...spec.columns.map((c): [string, string] => [c.column, sqlType(c.kind)]), ['metadata', 'jsonb']];
  await createTempTable(session, stagingTable(spec), cols);
}

export type StagedRow = (CellValue | Record<string, string>)[];

export interface Stager {
  /** Buffers a row; true when the buffer is full and flush() should be awaited. */
  push(row: StagedRow): boolean;
  flush(): Promise<void>;
  end(): Promise<void>;
  /** Cancels a COPY in progress (the connection must leave COPY mode before it can roll back). */
  abort?(): Promise<void>;
}

const ESCAPE = /[\\\n\r\t]/;
export const escapeText = (s: string) => (ESCAPE.test(s)
  ? s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') : s);
const arrayItem = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** One value in COPY text format. */
export function copyValue(v: CellValue | Record<string, string>): string {
  if (v === null || v === undefined) return '\\N';
  switch (typeof v) {
    case 'string': return escapeText(v);
    case 'number': return String(v);
    case 'boolean': return v ? 't' : 'f';
    default:
      if (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'string')) return escapeText(`{${(v as string[]).map(arrayItem).join(',')}}`);
      return escapeText(JSON.stringify(v));
  }
}

/** One staged row as a COPY text line. */
export function copyLine(row: StagedRow): string {
  let line = '';
  for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + copyValue(row[i]);
  return `${line}\n`;
}

/** Server path: COPY ... FROM STDIN in text format, written in chunks with backpressure. */
export const copyStager = (client: pg.ClientBase, spec: FileSpec): CopyStager<StagedRow> =>
  copyRows(client, stagingTable(spec), stagingColumns(spec), copyLine);

const INSERT_BATCH = 5000;

/** Embedded path: batched multi-row inserts through jsonb_populate_recordset (PGlite cannot COPY from a socket client). */
export function insertStager(session: SqlSession, spec: FileSpec): Stager {
  const cols = stagingColumns(spec);
  const table = stagingTable(spec);
  let rows: Record<string, unknown>[] = [];
  const flush = async () => {
    if (!rows.length) return;
    const batch = rows;
    rows = [];
    await session.run(sql`insert into ${sql.table(table)} (${joined(cols.map((c) => sql.id(c)))})
      select ${joined(cols.map((c) => sql.ref(`r.${c}`)))} from jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(batch)}::jsonb) r`);
  };
  return {
    push(row) {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < cols.length; i++) o[cols[i]] = row[i];
      rows.push(o);
      return rows.length >= INSERT_BATCH;
    },
    flush,
    end: flush,
  };
}
