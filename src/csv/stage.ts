import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { CellValue } from './cells.js';
import { sqlType, type FileSpec } from './columns.js';

/**
 * Staging: every file's rows land, already type-checked, in a temporary table (dropped at commit)
 * that carries each record's line number. Duplicate and reference checks and the final upserts are
 * then set-based SQL over these tables, so no id set ever has to sit in JS memory.
 */
export const stagingTable = (spec: FileSpec) => `stg_${spec.key.toLowerCase()}`;

/** Staging columns in the order a Stager row supplies them. */
export const stagingColumns = (spec: FileSpec) => ['line', ...spec.columns.map((c) => c.column), 'metadata'];

export async function createStagingTable(client: pg.ClientBase, spec: FileSpec) {
  const cols = ['line integer', ...spec.columns.map((c) => `"${c.column}" ${sqlType(c.kind)}`), 'metadata jsonb'];
  await client.query(`create temp table ${stagingTable(spec)} (${cols.join(', ')}) on commit drop`);
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

export const COPY_CHUNK = 256 * 1024;

/** Server path: COPY ... FROM STDIN in text format, written in chunks with backpressure. */
export async function copyStager(client: pg.ClientBase, spec: FileSpec): Promise<Stager> {
  return copyRows(client, stagingTable(spec), stagingColumns(spec));
}

/** COPY ... FROM STDIN of rows into any table's columns; `abort` cancels the COPY (CopyFail) and waits for it. */
export async function copyRows(client: pg.ClientBase, table: string, columns: string[]):
  Promise<Stager & { flushBytes(chunk: Buffer): Promise<void>; abort(): Promise<void> }> {
  const stream = client.query(copyFrom(`copy ${table} (${columns.map((c) => `"${c}"`).join(', ')}) from stdin`));
  let failed: Error | undefined;
  let closed = false;
  stream.on('error', (err) => (failed = err));
  const closing = once(stream, 'close').catch(() => undefined).then(() => (closed = true));
  let buffer = '';
  // drain or error, whichever comes first, leaving no listener behind (once() would leave the other).
  const drained = () => new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
  });
  const send = async (chunk: string | Buffer) => {
    if (failed) throw failed;
    if (chunk.length && !stream.write(chunk)) await drained();
    if (failed) throw failed;
  };
  const write = async () => {
    const chunk = buffer;
    buffer = '';
    await send(chunk);
  };
  return {
    push(row) {
      let line = '';
      for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + copyValue(row[i]);
      buffer += `${line}\n`;
      return buffer.length >= COPY_CHUNK;
    },
    flush: write,
    /** Rows already in COPY text format as bytes (after any buffered lines). */
    async flushBytes(chunk) {
      await write();
      await send(chunk);
    },
    async end() {
      await write();
      const done = once(stream, 'finish');
      stream.end();
      await Promise.race([done, once(stream, 'error').then(([e]) => { throw e; })]);
    },
    async abort() {
      // CopyFail; the stream closes (with the server's error) once PostgreSQL has ended the COPY.
      if (!closed && !failed) stream.destroy();
      await closing;
    },
  };
}

const INSERT_BATCH = 5000;

/** Embedded path: batched multi-row inserts through jsonb_populate_recordset (PGlite cannot COPY from a socket client). */
export function insertStager(client: pg.ClientBase, spec: FileSpec): Stager {
  const cols = stagingColumns(spec);
  const table = stagingTable(spec);
  let rows: Record<string, unknown>[] = [];
  const flush = async () => {
    if (!rows.length) return;
    const batch = rows;
    rows = [];
    await client.query(`insert into ${table} select * from jsonb_populate_recordset(null::${table}, $1::jsonb)`, [JSON.stringify(batch)]);
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
