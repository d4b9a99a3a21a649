import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { QUOTED_EMPTY } from './cells.js';
import type { FileSpec, Mode } from './columns.js';
import type { IssueList } from './report.js';
import type { Stager } from './stage.js';
import { checkHeader, checkRow } from './validate.js';

export interface StageProgress { rows: number; bytes: number }

interface ParsedRecord { record: string[]; raw: string; info: { lines: number; bytes: number } }

/**
 * Marks the cells that were written `""` (an empty string) rather than left empty (no data).
 * csv-parse's per-cell `cast` hook could tell them apart but costs 10x the whole parse, so the raw
 * record text is scanned instead, and only when it can hold a quoted empty cell at all.
 */
function markQuotedEmpty(raw: string, record: string[]) {
  let field = 0;
  let i = 0;
  const end = (c: string | undefined) => c === undefined || c === ',' || c === '\n' || c === '\r';
  while (i < raw.length) {
    if (raw[i] === '"') {
      if (raw[i + 1] === '"' && end(raw[i + 2])) {
        if (record[field] === '') record[field] = QUOTED_EMPTY;
        i += 2;
      } else {
        i++;
        while (i < raw.length) {
          if (raw[i] !== '"') i++;
          else if (raw[i + 1] === '"') i += 2;
          else { i++; break; }
        }
      }
    } else {
      while (!end(raw[i])) i++;
    }
    if (raw[i] !== ',') break;
    field++;
    i++;
  }
}

/**
 * Streams one CSV file through csv-parse, checks every cell and feeds valid rows to the stager.
 * Quoted line breaks are accepted (RFC 4180) although the binding forbids them; lines are physical
 * lines, so a record's line is where it starts. `readable` is false when the header or the CSV
 * syntax made the rest of the file unreadable.
 */
export async function stageFile(input: Readable, spec: FileSpec, mode: Mode, stager: Stager, issues: IssueList,
  onProgress?: (p: StageProgress) => void): Promise<{ rows: number; readable: boolean }> {
  const file = `${spec.key}.csv`;
  const parser = parse({
    bom: true, info: true, raw: true, relax_column_count: true, skip_empty_lines: true,
  });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let layout: ReturnType<typeof checkHeader>;
  let first = true;
  let rows = 0;
  let parsed = true;
  try {
    for await (const { record, raw, info } of parser as AsyncIterable<ParsedRecord>) {
      if (raw.includes('""')) markQuotedEmpty(raw, record);
      if (first) {
        first = false;
        layout = checkHeader(file, record, spec, issues);
        if (!layout) break;
        continue;
      }
      let line = info.lines;
      for (const cell of record) if (cell.includes('\n')) line -= cell.split('\n').length - 1;
      rows++;
      const row = checkRow(file, line, record, spec, mode, layout!, issues);
      if (row && row[1] !== null && stager.push(row)) await stager.flush();
      if ((rows & 4095) === 0) onProgress?.({ rows, bytes: info.bytes });
    }
    onProgress?.({ rows, bytes: parser.info.bytes });
  } catch (err) {
    const e = err as Error & { lines?: number; code?: string };
    if (!e.code?.startsWith('CSV_')) throw err;
    parsed = false;
    issues.add({ file, line: e.lines ?? 0, column: '', value: '', reason: `not valid CSV: ${e.message}` });
  } finally {
    input.unpipe(parser);
    input.destroy();
  }
  if (first) issues.add({ file, line: 1, column: '', value: '', reason: 'the file is empty; it needs a header row' });
  else if (layout && rows === 0) issues.add({ file, line: 2, column: '', value: '', reason: 'the file has no data rows; declare it absent in the manifest instead' });
  await stager.end();
  return { rows, readable: parsed && !!layout };
}
