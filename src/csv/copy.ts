import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { compileForPg, joined, sql, type Sql } from '../db/sql.js';
import { loadConfig } from '../db/config.js';
import { logTiming } from './connection.js';

/**
 * Every COPY the CSV import and export run. COPY takes no bind parameters, so each statement here
 * is built by the SQL helper from identifiers (and, for COPY TO, a query whose values are read from
 * the session, see export-sql.ts) and refused if it would need one.
 */
function copyText(statement: Sql): string {
  const { text, values } = compileForPg(statement);
  if (values.length) throw new Error('a COPY statement cannot carry bound values');
  return text;
}

const columnList = (columns: readonly string[]) => joined(columns.map((c) => sql.id(c)));

/** `COPY <table> (<columns>) FROM STDIN (FORMAT csv, HEADER)`: the file's bytes as PostgreSQL's CSV parser reads them. */
export function copyCsvIn(client: pg.ClientBase, table: string, columns: readonly string[]) {
  return traced(client.query(copyFrom(copyText(sql`copy ${sql.table(table)} (${columnList(columns)}) from stdin (format csv, header true)`))), table);
}

export const COPY_CHUNK = 256 * 1024;

/** Rows streamed in COPY text format (stage.ts's Stager, plus rows already written as bytes). */
export interface CopyStager<R> {
  /** Buffers a row; true when the buffer is full and flush() should be awaited. */
  push(row: R): boolean;
  flush(): Promise<void>;
  /** Rows already in COPY text format as bytes (after any buffered lines). */
  flushBytes(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * `COPY <table> (<columns>) FROM STDIN` in text format, written in chunks with backpressure; `abort`
 * cancels the COPY (CopyFail) and waits for it. `line` renders one row (stage.ts's copyLine).
 */
export function copyRows<R>(client: pg.ClientBase, table: string, columns: readonly string[], line: (row: R) => string): CopyStager<R> {
  const stream = traced(client.query(copyFrom(copyText(sql`copy ${sql.table(table)} (${columnList(columns)}) from stdin`))), table);
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
      buffer += line(row);
      return buffer.length >= COPY_CHUNK;
    },
    flush: write,
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

/** `COPY (<query>) TO STDOUT (FORMAT csv)`: PostgreSQL writes the CSV itself (RFC 4180 quoting, "" for an empty string). */
export async function copyCsvOut(client: pg.ClientBase, query: Sql, out: Writable): Promise<number> {
  const stream = traced(client.query(copyTo(copyText(sql`copy (${query}) to stdout with (format csv)`))), 'export');
  await pipeline(stream, out, { end: false });
  return stream.rowCount;
}

/** CSV_TIMINGS: a COPY's duration, logged when its stream ends. */
function traced<S extends NodeJS.EventEmitter>(stream: S, what: string): S {
  if (!loadConfig().csvTimings) return stream;
  const t0 = performance.now();
  let logged = false;
  const done = () => {
    if (!logged) logTiming(t0, `copy ${what}`);
    logged = true;
  };
  stream.once('finish', done);
  stream.once('end', done);
  return stream;
}
