import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type pg from 'pg';
import { ID, parseCell, QUOTED_EMPTY, shownValue, validDate } from './cells.js';
import { sqlType, tableAssignments, type FileSpec, type Mode } from './columns.js';
import { IssueList } from './report.js';
import { copyRows, copyValue, escapeText } from './stage.js';
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
export async function directEligible(client: pg.ClientBase, spec: FileSpec): Promise<boolean> {
  const types = directTypes(spec);
  if (!types) return false;
  const { rows } = await client.query<{ name: string; type: string }>(
    `select attname as name, format_type(atttypid, null) as type from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped`, [spec.table]);
  const actual = new Map(rows.map((r) => [r.name, r.type]));
  const same = (a: string | undefined, b: string) => a === b || (a === 'timestamp with time zone' && b === 'timestamptz');
  return [...types].every(([col, type]) => same(actual.get(col), type));
}

/** Streams the file into the table; returns the number of rows. `now` is the transaction's now() as ISO text. */
export async function copyDirect(client: pg.ClientBase, input: Readable, spec: FileSpec, mode: Mode, now: string,
  onProgress?: (rows: number, bytes: number) => void): Promise<number> {
  const file = `${spec.key}.csv`;
  // Table rows in the order of the file's columns, then metadata (tableAssignments' order, as load.ts writes them).
  const columns = tableAssignments(spec).map(([c]) => c);
  let write: ((fields: string[]) => string) | undefined;
  const decoder = new StringDecoder('utf8');
  let layout: HeaderLayout | undefined;
  let crlf: boolean | undefined;
  let carry = '';
  let bytes = 0;
  let rows = 0;
  const out = await copyRows(client, spec.table, columns);

  const record = async (text: string) => {
    if (text === '' || text.includes('\r')) throw new Declined();
    const fields = split(text);
    if (!layout) {
      if (text.includes('"')) throw new Declined();
      layout = checkHeader(file, fields, spec, new IssueList());
      if (!layout) throw new Declined();
      write = rowWriter(spec, mode, layout, now);
      return;
    }
    rows++;
    if (out.pushLine(write!(fields))) {
      onProgress?.(rows, bytes);
      await out.flush();
    }
  };

  try {
    let first = true;
    for await (const chunk of input as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      let text = carry + decoder.write(first && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? chunk.subarray(3) : chunk);
      first = false;
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) {
        let l = text.slice(start, end);
        crlf ??= l.endsWith('\r');
        if (crlf) {
          if (!l.endsWith('\r')) throw new Declined();
          l = l.slice(0, -1);
        }
        await record(l);
      }
      carry = text.slice(start);
      text = '';
    }
    carry += decoder.end();
    if (carry !== '') await record(carry);
    if (!layout || rows === 0) throw new Declined();
    await out.end();
  } catch (err) {
    input.destroy();
    await out.abort();
    throw err;
  }
  return rows;
}

/**
 * One line's fields as csv-parse (plus the `""` marking of stage-file.ts) reads them, for the
 * lines this path accepts: unquoted fields without quotes, or fully quoted fields with doubled
 * quotes inside. Anything else throws Declined.
 */
export function split(text: string): string[] {
  if (!text.includes('"')) return text.split(',');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 0x22) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new Declined(); // unterminated: a quoted line break, or broken CSV
        value += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 0x22) {
          value += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value === '' ? QUOTED_EMPTY : value);
      if (i === text.length) return fields;
      if (text.charCodeAt(i) !== 0x2c) throw new Declined();
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const value = text.slice(i, comma < 0 ? text.length : comma);
      if (value.includes('"')) throw new Declined();
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}

const NULL = '\\N';

/**
 * The table row of one record as a COPY text line, with exactly the checks and values of
 * checkRow + copyValue (the careful path's), written out per column kind for the common kinds so
 * that a row costs no intermediate objects; the other kinds go through parseCell itself.
 */
export function rowWriter(spec: FileSpec, mode: Mode, layout: HeaderLayout, now: string): (fields: string[]) => string {
  const cells = spec.columns.map((col, i) => {
    const required = col.required;
    const requiredBlank = mode === 'delta' && (i === 1 || i === 2);
    const empty = (raw: string) => {
      if (raw === '' ? required || requiredBlank : required && col.kind !== 'string') throw new Declined();
      return raw === QUOTED_EMPTY && col.kind === 'string' ? '' : i === 1 ? 'active' : i === 2 ? now : NULL;
    };
    const convert = ((): ((raw: string) => string) => {
      switch (col.kind) {
        case 'string': return escapeText;
        case 'id': return (raw) => { if (!ID.test(raw)) throw new Declined(); return raw; };
        case 'boolean': return (raw) => { if (raw === 'true') return 't'; if (raw === 'false') return 'f'; throw new Declined(); };
        case 'date': {
          // Dates repeat (a term's start, a score date): remember the valid ones (bounded) instead of re-parsing.
          const valid = new Set<string>();
          return (raw) => {
            if (valid.has(raw)) return raw;
            if (!validDate(raw)) throw new Declined();
            if (valid.size < 10_000) valid.add(raw);
            return raw;
          };
        }
        default: {
          const convert = (raw: string) => {
            const parsed = parseCell(raw, col);
            if (!parsed.ok) throw new Declined();
            return copyValue(parsed.value);
          };
          if (col.kind !== 'enum' && col.kind !== 'float' && col.kind !== 'year' && col.kind !== 'datetime' && col.kind !== 'dateOrDatetime') return convert;
          // Few distinct values (vocabularies, scores, dates): remember each one's COPY text (bounded).
          const seen = new Map<string, string>();
          return (raw) => {
            let text = seen.get(raw);
            if (text === undefined) {
              text = convert(raw);
              if (seen.size < 10_000) seen.set(raw, text);
            }
            return text;
          };
        }
      }
    })();
    return (raw: string) => (raw === '' || raw === QUOTED_EMPTY ? empty(raw) : convert(raw));
  });
  const width = layout.width;
  const metadata = layout.metadata;
  return (fields) => {
    if (fields.length !== width) throw new Declined();
    let line = cells[0](fields[0]);
    for (let i = 1; i < cells.length; i++) line += `\t${cells[i](fields[i])}`;
    let meta: Record<string, string> | null = null;
    for (const [i, key] of metadata) if (fields[i] !== '') (meta ??= {})[key] = shownValue(fields[i]);
    return `${line}\t${meta ? escapeText(JSON.stringify(meta)) : NULL}\n`;
  };
}
