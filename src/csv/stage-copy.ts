import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { joined, sql, type Sql, type SqlSession } from '../db/sql.js';
import { convertRawSql, rawColumn, rawSelectSql } from './cells-sql.js';
import { copyCsvIn } from './copy.js';
import { createTempTable, dropTable } from './ddl.js';
import { tableColumns } from './load.js';
import type { ColumnSpec, FileSpec, Mode } from './columns.js';
import { RawCsvScan } from './raw-scan.js';
import { IssueList } from './report.js';
import { stagingColumns, stagingTable } from './stage.js';
import { checkHeader, type HeaderLayout } from './validate.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const LF = 0x0a;
/** A header line longer than this is not worth the fast path. */
const MAX_HEADER = 1 << 20;

/** The fast path declined the file: the csv-parse path reads it again and names what is wrong. */
export class Declined extends Error {}

/** A file PostgreSQL has parsed: an all-text temporary table (`n` numbers the records) and the header. */
export interface RawFile { raw: string; layout: HeaderLayout; rows: number }

/**
 * COPYs the file's bytes unchanged (minus a BOM) through COPY ... (FORMAT csv, HEADER) into an
 * all-text table numbered in file order (dropped at commit). Throws Declined when the file is not
 * clean (a bad header, a CSV construct the two parsers read differently, a quoted line break, a
 * blank line, a row count that does not match); the caller undoes to its savepoint.
 */
export async function copyRaw(session: SqlSession, client: pg.ClientBase, input: Readable, spec: FileSpec): Promise<RawFile> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (head.indexOf(LF) < 0 && head.length < MAX_HEADER) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  if (head.subarray(0, 3).equals(BOM)) head = head.subarray(3);
  const layout = headerLayout(head, spec);
  if (!layout) throw new Declined();
  const raw = `raw_${spec.key.toLowerCase()}`;
  const scan = new RawCsvScan();
  async function* scanned() {
    scan.push(head);
    yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      scan.push(next.value);
      yield next.value;
    }
  }
  const cols = Array.from({ length: layout.width }, (_, i) => rawColumn(i));
  await createTempTable(session, raw, cols.map((c) => [c, 'text'] as const), true);
  const copy = copyCsvIn(client, raw, cols);
  await pipeline(Readable.from(scanned()), copy);
  const { ok, records } = scan.finish();
  const rows = copy.rowCount;
  if (!ok || rows === 0 || rows !== records - 1) throw new Declined();
  return { raw, layout, rows };
}

/** Runs an `insert ... select` and counts the rows it inserted (one row back, not one per record). */
export async function inserted(session: SqlSession, insert: Sql): Promise<number> {
  const [r] = await session.run(sql`with w as (${insert} returning 1) select count(*)::int as n from w`);
  return Number(r.n);
}

/**
 * A file COPYed raw and converted into `table` (in the columns of its own table) by one checked
 * INSERT ... SELECT: a row that fails a cell check is left out, and fewer rows than records declines.
 * The input is closed either way; the raw table stays for the caller's further reads (link lists).
 */
export async function copyConverted(session: SqlSession, client: pg.ClientBase, input: Readable, spec: FileSpec, mode: Mode, table: string,
  resolved?: (col: ColumnSpec) => boolean): Promise<RawFile> {
  let raw: RawFile;
  try {
    raw = await copyRaw(session, client, input, spec);
  } finally {
    input.destroy();
  }
  const { cols, exprs } = tableColumns(spec);
  const count = await inserted(session, sql`insert into ${sql.table(table)} (${joined(cols.map((c) => sql.id(c)))})
    select ${joined(exprs)} from (${rawSelectSql(spec, mode, raw.layout, raw.raw, { resolved })}) s`);
  if (count !== raw.rows) throw new Declined();
  return raw;
}

/** Whether a failure means "not this way": the file (or package) is read again the careful way. */
export const declines = (err: unknown) => err instanceof Declined || err instanceof pg.DatabaseError;

/**
 * Runs `work` after a savepoint named `name`: its result, or undefined when it declines (everything
 * since the savepoint undone, so the caller can take the careful way). Any other failure is thrown.
 */
export async function attempt<T>(session: SqlSession, name: string, work: () => Promise<T>): Promise<T | undefined> {
  await session.run(sql`savepoint ${sql.id(name)}`);
  try {
    const result = await work();
    await session.run(sql`release savepoint ${sql.id(name)}`);
    return result;
  } catch (err) {
    if (!declines(err)) throw err;
    await session.run(sql`rollback to savepoint ${sql.id(name)}`);
    await session.run(sql`release savepoint ${sql.id(name)}`);
    return undefined;
  }
}

/**
 * Server fast path for one file: PostgreSQL parses the CSV (copyRaw), and one set-based
 * INSERT ... SELECT checks and converts every cell into the staging table (cells-sql.ts).
 *
 * Errors stay exactly those of the csv-parse path: whenever the file is not clean (see copyRaw, or
 * any cell that fails a check), everything since a savepoint is undone and the function returns
 * undefined, so the caller stages the file through csv-parse, which then reports every problem by
 * file, line and column. Valid files, the usual case, never touch Node's CSV parser. Returns the
 * number of rows staged.
 */
export async function stageByCopy(session: SqlSession, client: pg.ClientBase, input: Readable, spec: FileSpec, mode: Mode): Promise<number | undefined> {
  // A cell PostgreSQL cannot convert (a float out of range, bad UTF-8, ...) is a data error like any other: it declines.
  return attempt(session, 'csv_copy', async () => {
    try {
      const { raw, layout, rows } = await copyRaw(session, client, input, spec);
      const count = await inserted(session, convertRawSql(spec, mode, layout, raw, stagingTable(spec), stagingColumns(spec)));
      if (count !== rows) throw new Declined();
      await dropTable(session, raw);
      return rows;
    } catch (err) {
      input.destroy();
      throw err;
    }
  });
}

/** The header from the first line, when csv-parse would read it the same way (no quotes) and it is right. */
function headerLayout(head: Buffer, spec: FileSpec) {
  const end = head.indexOf(LF);
  if (end < 0) return undefined;
  const line = head.subarray(0, end).toString('utf8').replace(/\r$/, '');
  if (/["\r]/.test(line)) return undefined;
  return checkHeader(`${spec.key}.csv`, line.split(','), spec, new IssueList());
}
