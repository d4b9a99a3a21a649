/** One problem found in a package: where it is and why it is wrong. */
export interface CsvIssue {
  file: string;
  /** 1-based physical line of the record (the header is line 1); 0 for the file as a whole. */
  line: number;
  column: string;
  value: string;
  reason: string;
}

export interface FileReport {
  file: string;
  mode: 'bulk' | 'delta';
  /**
   * Who parsed the CSV: PostgreSQL's COPY (server, clean files), csv-parse (embedded database, or a
   * file with errors), or `node`: the optimistic path's strict line splitter (copy-direct.ts).
   * `unchanged`: not parsed at all, a re-import's bulk file identical to the one its table was last
   * imported from, the table not written since (unchanged-files.ts); `rows` is that import's count.
   */
  parsedBy: 'postgres' | 'csv-parse' | 'node' | 'unchanged';
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

export interface ImportReport {
  ok: boolean;
  dryRun: boolean;
  version?: string;
  /**
   * How the package was loaded: `optimistic` (initial load on a server: converted straight into
   * the tables, checked by the key and foreign-key builds) or `careful` (staged, checked, written;
   * also every package the optimistic path gave up on), or `changes` (a re-import on a server: read
   * into temporary tables, compared with the tables, only new and changed records written; see
   * reimport.ts). Absent when the manifest could not be read.
   */
  path?: 'optimistic' | 'careful' | 'changes';
  files: FileReport[];
  /** Records per table that the load inserted or changed, and records a bulk file marked tobedeleted. */
  written: Record<string, { upserted: number; markedDeleted: number }>;
  errorCount: number;
  /** The first MAX_REPORTED_ERRORS errors (errorCount counts them all). */
  errors: CsvIssue[];
  seconds: number;
}

export const MAX_REPORTED_ERRORS = 1000;

/** Collects issues, keeping the first MAX_REPORTED_ERRORS and counting the rest. */
export class IssueList {
  readonly items: CsvIssue[] = [];
  count = 0;
  add(issue: CsvIssue) {
    this.count++;
    if (this.items.length < MAX_REPORTED_ERRORS) this.items.push(issue);
  }
}

export const formatIssue = (i: CsvIssue) =>
  `${i.file}:${i.line}${i.column ? `:${i.column}` : ''}: ${i.reason}${i.value !== '' ? ` (value "${i.value.length > 80 ? `${i.value.slice(0, 77)}...` : i.value}")` : ''}`;

/** The plain-text summary printed when stdout is not a terminal and --json is off. */
export function formatReport(r: ImportReport): string {
  const lines = r.files.map((f) => `  ${`${f.file}.csv`.padEnd(36)} ${f.mode.padEnd(5)} ${String(f.rows).padStart(9)} rows  ${
    f.parsedBy === 'unchanged' ? 'unchanged, not read' : `${Math.round(f.rowsPerSecond).toLocaleString('en-US').padStart(10)} rows/s`}`);
  const head = r.ok
    ? `${r.dryRun ? 'dry run: package is valid, nothing written' : 'imported'} (OneRoster ${r.version}, ${r.seconds.toFixed(1)} s)`
    : `import failed: ${r.errorCount} error${r.errorCount === 1 ? '' : 's'}, nothing written`;
  const errs = r.errors.map((e) => `  ${formatIssue(e)}`);
  if (r.errorCount > r.errors.length) errs.push(`  ... and ${r.errorCount - r.errors.length} more`);
  return [head, ...lines, ...errs].join('\n');
}
