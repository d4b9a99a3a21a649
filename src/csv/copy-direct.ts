import type { Readable } from 'node:stream';
import type pg from 'pg';
import { sql, type SqlSession } from '../db/sql.js';
import { sqlType, tableAssignments, type FileSpec, type Mode } from './columns.js';
import { COPY_CHUNK, copyRows } from './copy.js';
import { IssueList } from './report.js';
import { CopyBytes, lineWriter } from './row-bytes.js';
import { split } from './row-text.js';
import { copyLine } from './stage.js';
import { Declined } from './stage-copy.js';
import { checkHeader, type HeaderLayout } from './validate.js';

/**
 * The optimistic path's fastest form, for files whose rows map one to one onto their table (no
 * link lists, no derived columns, every column of the staging type): Node splits each line,
 * checks and converts every cell with the csv-parse path's own rules (rowWriter), and writes the
 * table row in COPY text format straight into the empty, key-less real table, while PostgreSQL
 * takes the COPY on the other core. One pass over the bytes instead of COPY into a text table
 * plus INSERT ... SELECT, and COPY's batched inserts instead of one WAL record per row.
 *
 * Strict on purpose: a line ending other than the first line's, a blank line, a quote anywhere but
 * around a whole field, a quoted line break, or any cell that fails its check throws Declined, and
 * the whole package goes the careful way, which names the error.
 */
export const directTypes = (spec: FileSpec) => (spec.extra.length === 0 && Object.keys(spec.assign).length === 0
  ? new Map([...spec.columns.map((c): [string, string] => [c.column, sqlType(c.kind)]), ['metadata', 'jsonb']]) : undefined);

/** Whether the table's columns have exactly the staging types (then COPY reads the values as staging would). */
export async function directEligible(session: SqlSession, spec: FileSpec): Promise<boolean> {
  const types = directTypes(spec);
  if (!types) return false;
  const rows = await session.run(sql`select attname::text as name, format_type(atttypid, null) as type from pg_attribute
    where attrelid = ${spec.table}::regclass and attnum > 0 and not attisdropped`);
  const actual = new Map(rows.map((r) => [String(r.name), String(r.type)]));
  const same = (a: string | undefined, b: string) => a === b || (a === 'timestamp with time zone' && b === 'timestamptz');
  return [...types].every(([col, type]) => same(actual.get(col), type));
}

/**
 * Whether a blank status and dateLastModified may be left to the table's defaults: they must write
 * exactly what blank means ('active', and now(), the transaction's start, as the careful path writes).
 */
async function blankDefaults(session: SqlSession, spec: FileSpec): Promise<boolean> {
  const rows = await session.run(sql`select a.attname::text as name, pg_get_expr(d.adbin, d.adrelid) as def
    from pg_attribute a join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = ${spec.table}::regclass and a.attname in ('status', 'date_last_modified')`);
  const def = new Map(rows.map((r) => [String(r.name), String(r.def)]));
  return spec.columns[1]?.column === 'status' && spec.columns[2]?.column === 'date_last_modified'
    && def.get('status') === "'active'::text" && def.get('date_last_modified') === 'now()';
}

/**
 * Streams the file into the table (or `into`, a table with the same columns and defaults); returns
 * the number of rows. `now` is the transaction's now() as ISO text.
 */
export async function copyDirect(session: SqlSession, client: pg.ClientBase, input: Readable, spec: FileSpec, mode: Mode, now: string,
  onProgress?: (rows: number, bytes: number) => void, into = spec.table): Promise<number> {
  const file = `${spec.key}.csv`;
  // Table rows in the order of the file's columns, then metadata (tableAssignments' order, as load.ts writes them).
  const columns = tableAssignments(spec).map(([c]) => c);
  // A bulk file's rows usually leave status and dateLastModified blank: while they do, the COPY
  // omits both and the table's defaults fill them (PostgreSQL parses two fewer values per row).
  // The first row that carries either ends that COPY; the rest of
  // the file goes through a COPY of every column.
  let short = mode === 'bulk' && await blankDefaults(session, spec);
  let layout: HeaderLayout | undefined;
  let write: ReturnType<typeof lineWriter> | undefined;
  let crlf: boolean | undefined;
  let bytes = 0;
  let rows = 0;
  let out = copyRows(client, into, short ? columns.filter((_, i) => i !== 1 && i !== 2) : columns, copyLine);
  const text = new CopyBytes(COPY_CHUNK + 64 * 1024);

  // Lines are found and converted as bytes (row-bytes.ts); a line's end never splits a UTF-8 character.
  // False when the line needs every column (then nothing was written).
  const record = (src: Buffer, start: number, end: number): boolean => {
    if (start === end) throw new Declined();
    if (write) {
      if (!write(src, start, end, text)) return false;
      rows++;
      return true;
    }
    const header = src.toString('utf8', start, end);
    if (header.includes('\r') || header.includes('"')) throw new Declined();
    layout = checkHeader(file, split(header), spec, new IssueList());
    if (!layout) throw new Declined();
    write = lineWriter(spec, mode, layout, now, short);
    return true;
  };
  const flush = async () => {
    onProgress?.(rows, bytes);
    await out.flushBytes(text.take());
  };
  const everyColumn = async () => {
    await flush();
    await out.end();
    short = false;
    write = lineWriter(spec, mode, layout!, now);
    out = copyRows(client, into, columns, copyLine);
  };

  try {
    let carry: Buffer | undefined;
    for await (let chunk of input as AsyncIterable<Buffer>) {
      const first = bytes === 0;
      bytes += chunk.length;
      if (first && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      const src = carry ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (let end = src.indexOf(0x0a); end >= 0; start = end + 1, end = src.indexOf(0x0a, start)) {
        const cr = end > start && src[end - 1] === 0x0d;
        crlf ??= cr;
        if (crlf && !cr) throw new Declined();
        const e = crlf ? end - 1 : end;
        if (!record(src, start, e)) {
          await everyColumn();
          record(src, start, e);
        }
        if (text.pos >= COPY_CHUNK) await flush();
      }
      carry = start < src.length ? src.subarray(start) : undefined;
    }
    if (carry && !record(carry, 0, carry.length)) {
      await everyColumn();
      record(carry, 0, carry.length);
    }
    if (!write || rows === 0) throw new Declined();
    await flush();
    await out.end();
  } catch (err) {
    input.destroy();
    await out.abort();
    throw err;
  }
  return rows;
}
