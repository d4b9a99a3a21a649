import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { QUOTED_EMPTY } from './cells.js';
import type { FileSpec, Mode } from './columns.js';
import type { IssueList } from './report.js';
import type { Stager } from './stage.js';
import { checkHeader, checkRow, type HeaderLayout } from './validate.js';

export interface StageProgress { rows: number; bytes: number }

interface ParsedRecord { record: string[]; raw: string }

/**
 * Marks the cells that were written `""` (an empty string) rather than left empty (no data).
 * csv-parse's per-cell `cast` hook could tell them apart but costs many times the whole parse, so the raw
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
  // No `info` (it costs more than the parse itself) and no async iteration (a promise per record):
  // lines are counted here, and 'data' events are paused while the stager flushes.
  const parser = parse({ bom: true, raw: true, relax_column_count: true });
  let bytes = 0;
  input.on('data', (chunk: Buffer) => (bytes += chunk.length));
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let layout: HeaderLayout | undefined;
  let first = true;
  let rows = 0;
  let nextLine = 1;
  let parsed = true;
  const onRecord = ({ record, raw }: ParsedRecord): boolean => {
    const line = nextLine;
    nextLine++;
    if (raw.indexOf('\n') < raw.length - 1) for (const cell of record) if (cell.includes('\n')) nextLine += cell.split('\n').length - 1;
    if (record.length === 1 && record[0] === '') return false; // a blank line
    if (raw.includes('""')) markQuotedEmpty(raw, record);
    if (first) {
      first = false;
      layout = checkHeader(file, record, spec, issues);
      if (!layout) parser.destroy();
      return false;
    }
    rows++;
    if ((rows & 8191) === 0) onProgress?.({ rows, bytes });
    const row = checkRow(file, line, record, spec, mode, layout!, issues);
    return row[1] !== null && stager.push(row);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('data', (r: ParsedRecord) => {
        if (!onRecord(r)) return;
        parser.pause();
        stager.flush().then(() => parser.resume(), (err) => parser.destroy(err));
      });
      parser.on('end', resolve);
      parser.on('close', resolve);
      parser.on('error', reject);
    });
    onProgress?.({ rows, bytes });
  } catch (err) {
    // csv-parse's syntax errors (codes like INVALID_OPENING_QUOTE) are findings about the file;
    // anything else (the input guard's refusal, a read error) ends the import, and a COPY must end first.
    if (!(err instanceof CsvError)) {
      await stager.abort?.();
      throw err;
    }
    const e = err as CsvError & { lines?: number };
    parsed = false;
    issues.add({ file, line: e.lines ?? 0, column: '', value: '', reason: `not valid CSV: ${e.message}` });
  } finally {
    input.unpipe(parser);
    input.destroy();
  }
  if (first) issues.add({ file, line: 1, column: '', value: '', reason: 'the file is empty; it needs a header row' });
  else if (parsed && layout && rows === 0) issues.add({ file, line: 2, column: '', value: '', reason: 'the file has no data rows; declare it absent in the manifest instead' });
  await stager.end();
  return { rows, readable: parsed && !!layout };
}
