import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { filesFor, FILES_V12, type Mode, type Version } from './columns.js';
import { CsvInputError } from './input-guard.js';
import type { PackageSource } from './read-package.js';
import type { IssueList } from './report.js';

export interface Manifest {
  version: Version;
  /** Mode of every file the manifest declares bulk or delta, by file key. */
  modes: Map<string, Mode>;
}

const FILE = 'manifest.csv';
const OPTIONAL = new Set(['source.systemName', 'source.systemCode']);

/** Reads and checks manifest.csv (csv.md §3) and that the package holds exactly the files it declares. */
export async function readManifest(pkg: PackageSource, issues: IssueList): Promise<Manifest | undefined> {
  if (!pkg.names.includes(FILE)) {
    issues.add({ file: FILE, line: 0, column: '', value: '', reason: 'the package has no manifest.csv at its root' });
    return undefined;
  }
  let rows: string[][];
  try {
    rows = parse(await text(await pkg.open(FILE)), { bom: true, relax_column_count: true, skip_empty_lines: true });
  } catch (err) {
    if (err instanceof CsvInputError) throw err;
    issues.add({ file: FILE, line: (err as { lines?: number }).lines ?? 0, column: '', value: '', reason: `not valid CSV: ${(err as Error).message}` });
    return undefined;
  }
  const before = issues.count;
  const at = (line: number, column: string, value: string, reason: string) => issues.add({ file: FILE, line, column, value, reason });
  if (rows[0]?.join(',') !== 'propertyName,value') at(1, '', rows[0]?.join(',') ?? '', 'header must be propertyName,value');
  const props = new Map<string, { value: string; line: number }>();
  rows.slice(1).forEach((row, i) => {
    const line = i + 2;
    if (row.length !== 2) return at(line, '', row.join(','), `expected 2 cells, found ${row.length}`);
    if (props.has(row[0])) return at(line, 'propertyName', row[0], 'duplicate property');
    props.set(row[0], { value: row[1], line });
  });

  const version = props.get('oneroster.version');
  if (!version) at(0, 'oneroster.version', '', 'required property is missing');
  else if (version.value !== '1.2' && version.value !== '1.1') at(version.line, 'value', version.value, 'oneroster.version must be 1.2 or 1.1');
  const mv = props.get('manifest.version');
  if (!mv) at(0, 'manifest.version', '', 'required property is missing');
  else if (mv.value !== '1.0') at(mv.line, 'value', mv.value, 'manifest.version must be 1.0');
  const specs = filesFor(version?.value === '1.1' ? '1.1' : '1.2');
  const known = new Set(specs.map((s) => `file.${s.key}`));

  const modes = new Map<string, Mode>();
  for (const [name, { value, line }] of props) {
    if (name === 'oneroster.version' || name === 'manifest.version' || OPTIONAL.has(name)) continue;
    const key = name.replace(/\*$/, ''); // a typo some published tables carry (csv.md §3)
    if (!known.has(key)) {
      at(line, 'propertyName', name, FILES_V12.some((s) => `file.${s.key}` === key) ? `not a OneRoster ${version?.value} file` : 'unknown property');
      continue;
    }
    if (value === 'bulk' || value === 'delta') modes.set(key.slice('file.'.length), value);
    else if (value !== 'absent') at(line, 'value', value, 'must be absent, bulk or delta');
  }
  // Strict readers require every file.* row; a missing one is read as absent (csv.md §3 allows tolerant readers).
  const declared = new Set([...modes.keys()].map((k) => `${k}.csv`));
  for (const name of pkg.names.filter((n) => n !== FILE && n.endsWith('.csv'))) {
    if (!declared.has(name)) at(0, '', name, `${name} is in the package but the manifest does not declare it bulk or delta`);
  }
  for (const name of declared) {
    if (!pkg.names.includes(name)) issues.add({ file: name, line: 0, column: '', value: '', reason: 'the manifest declares this file but the package does not contain it' });
  }
  if (issues.count > before) return undefined;
  return { version: version!.value as Version, modes };
}
