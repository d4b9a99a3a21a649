import { parseCell, shownValue, type CellValue } from './cells.js';
import { METADATA_PREFIX, type FileSpec, type Mode } from './columns.js';
import type { IssueList } from './report.js';
import type { StagedRow } from './stage.js';

/** How a file's header maps onto its spec: the standard columns in order, then metadata.* columns. */
export interface HeaderLayout {
  width: number;
  /** Cell index → metadata key, for the metadata.* columns. */
  metadata: [number, string][];
}

/** Checks names, order and uniqueness of a header (csv.md §2); undefined when rows cannot be read by it. */
export function checkHeader(file: string, header: string[], spec: FileSpec, issues: IssueList): HeaderLayout | undefined {
  const before = issues.count;
  const at = (i: number, value: string, reason: string) => issues.add({ file, line: 1, column: value || `column ${i + 1}`, value, reason });
  spec.columns.forEach((col, i) => {
    if (header[i] === undefined) at(i, '', `missing column ${col.name} (column ${i + 1})`);
    else if (header[i] !== col.name) at(i, header[i], `column ${i + 1} must be ${col.name}`);
  });
  const metadata: [number, string][] = [];
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (seen.has(name)) at(i, name, 'duplicate column name');
    seen.add(name);
    if (i < spec.columns.length) return;
    if (name.startsWith(METADATA_PREFIX) && name.length > METADATA_PREFIX.length) metadata.push([i, name.slice(METADATA_PREFIX.length)]);
    else at(i, name, 'unknown column; extension columns must be named metadata.<name> and come after the standard columns');
  });
  return issues.count > before ? undefined : { width: header.length, metadata };
}

/** Checks one record and turns it into a staging row; every problem becomes an issue naming the cell. */
export function checkRow(file: string, line: number, record: string[], spec: FileSpec, mode: Mode, layout: HeaderLayout, issues: IssueList): StagedRow {
  if (record.length !== layout.width) {
    issues.add({ file, line, column: '', value: '', reason: `expected ${layout.width} cells, found ${record.length}` });
    // Still stage the sourcedId, so that references to this record do not pile up more errors.
    const id = parseCell(record[0] ?? '', spec.columns[0]);
    return [line, id.ok ? id.value : null, ...spec.columns.slice(1).map(() => null), null];
  }
  const row: StagedRow = [line];
  for (let i = 0; i < spec.columns.length; i++) {
    const col = spec.columns[i];
    const raw = record[i];
    let value: CellValue = null;
    if (i > 0 && i < 3 && mode === 'delta' && raw === '') {
      // status and dateLastModified are required in delta files and blank in bulk ones (csv.md §4).
      issues.add({ file, line, column: col.name, value: '', reason: 'required in a delta file' });
    } else {
      const parsed = parseCell(raw, col);
      if (parsed.ok) value = parsed.value;
      else issues.add({ file, line, column: col.name, value: shownValue(raw), reason: parsed.reason });
    }
    row.push(value);
  }
  let metadata: Record<string, string> | null = null;
  for (const [i, key] of layout.metadata) {
    const raw = record[i];
    if (raw === '') continue;
    (metadata ??= {})[key] = shownValue(raw);
  }
  row.push(metadata);
  return row;
}
