import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Row } from '../db/bulk.js';
import type { EntityName } from '../model/dsl.js';
import { generateDistrict, type DistrictOptions } from '../seed/district.js';
import { FILES_V12, type ColumnSpec, type FileSpec } from './columns.js';
import { csvCell, csvLine } from './format.js';

/** Formats one model value as its CSV cell text (the JS twin of export-sql.ts). */
function cellText(col: ColumnSpec, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (col.kind) {
    case 'boolean': return v ? 'true' : 'false';
    case 'float': return String(v);
    case 'dateOrDatetime': return String(v).slice(0, 10); // the binding's Date, as export-sql.ts writes it
    case 'list': case 'idList': return (v as string[]).join(',');
    case 'userIds': return (v as { type: string; identifier: string }[]).map((u) => `{${u.type}:${u.identifier}}`).join(',');
    case 'scoreScaleValue': return (v as { itemValueLHS: string; itemValueRHS: string }[]).map((u) => `{${u.itemValueLHS}:${u.itemValueRHS}}`).join(',');
    default: return String(v);
  }
}

/** The cells of one generated row (rows keyed by model property), links passed in separately. */
export function rowCells(spec: FileSpec, row: Row, links: string[] | undefined, metadataKeys: string[]): (string | null)[] {
  const cells = spec.columns.map((col) => {
    if (col.name === 'status' || col.name === 'dateLastModified') return null; // bulk: blank (csv.md §4)
    if (col.column === 'terms' || col.column === 'agents') return links?.length ? links.join(',') : null;
    if (col.column.startsWith('credential_')) {
      const cred = (row.credentials as Record<string, string>[] | undefined)?.[0];
      return cred?.[col.column.slice('credential_'.length)] ?? null;
    }
    return col.prop ? cellText(col, row[col.prop]) : null;
  });
  const meta = row.metadata as Record<string, unknown> | undefined;
  return [...cells, ...metadataKeys.map((k) => (meta?.[k] === undefined ? null : String(meta[k])))];
}

const byEntity = new Map<EntityName, FileSpec>(FILES_V12.map((s) => [s.entity.name, s]));

/**
 * Writes a bulk 1.2 package folder straight from the district generator (no database), streaming
 * file by file. Class terms and user agents arrive as separate batches right after their owners,
 * so owners wait in a small per-school buffer until their links are known.
 */
export async function writeDistrictPackage(dir: string, opts: DistrictOptions): Promise<Record<string, number>> {
  await fs.promises.mkdir(dir, { recursive: true });
  const metadata = new Map<string, Set<string>>();
  if (opts.hostile) {
    for (const b of generateDistrict(opts)) {
      const spec = byEntity.get(b.entity);
      for (const r of b.rows) if (spec && r.metadata) for (const k of Object.keys(r.metadata as object)) (metadata.get(spec.key) ?? metadata.set(spec.key, new Set()).get(spec.key)!).add(k);
    }
  }
  const outs = new Map<string, fs.WriteStream>();
  const counts: Record<string, number> = {};
  const write = async (spec: FileSpec, rows: Row[], links?: Map<string, string[]>) => {
    if (!rows.length) return;
    const keys = [...(metadata.get(spec.key) ?? [])].sort();
    let out = outs.get(spec.key);
    if (!out) {
      out = fs.createWriteStream(path.join(dir, `${spec.key}.csv`), { highWaterMark: 1024 * 1024 });
      outs.set(spec.key, out);
      out.write(csvLine([...spec.columns.map((c) => c.name), ...keys.map((k) => `metadata.${k}`)]));
    }
    let text = '';
    for (const r of rows) text += csvLine(rowCells(spec, r, links?.get(r.sourcedId as string), keys));
    counts[spec.key] = (counts[spec.key] ?? 0) + rows.length;
    if (!out.write(text)) await once(out, 'drain');
  };
  const linksOf = (rows: Row[], owner: string, other: string) => {
    const m = new Map<string, string[]>();
    for (const r of rows) (m.get(r[owner] as string) ?? m.set(r[owner] as string, []).get(r[owner] as string)!).push(r[other] as string);
    return m;
  };
  let classes: Row[] = [];
  let users: Row[] = [];
  for (const batch of generateDistrict(opts)) {
    if (batch.entity === 'Class') classes.push(...batch.rows);
    else if (batch.entity === 'ClassTerm') {
      await write(byEntity.get('Class')!, classes, linksOf(batch.rows, 'class', 'term'));
      classes = [];
    } else if (batch.entity === 'User') users.push(...batch.rows);
    else if (batch.entity === 'UserAgent') {
      await write(byEntity.get('User')!, users, linksOf(batch.rows, 'user', 'agent'));
      users = [];
    } else if (byEntity.has(batch.entity)) await write(byEntity.get(batch.entity)!, batch.rows);
  }
  await write(byEntity.get('Class')!, classes);
  await write(byEntity.get('User')!, users);
  for (const out of outs.values()) {
    out.end();
    await once(out, 'finish');
  }
  const manifest = ['propertyName,value', 'manifest.version,1.0', 'oneroster.version,1.2',
    ...FILES_V12.map((s) => `file.${s.key},${outs.has(s.key) ? 'bulk' : 'absent'}`), 'source.systemName,oneroster-graph generator'];
  await fs.promises.writeFile(path.join(dir, 'manifest.csv'), `${manifest.join('\n')}\n`);
  return counts;
}

/** The records a changed copy (writeChangedPackage) changed, added and removed, per file. */
export type PackageChanges = Record<string, { changed: string[]; added: string[]; removed: string[] }>;

/**
 * A copy of a package folder with about 1 % of the records of users, classes and enrollments
 * changed (the nightly re-import of benchmarks and tests): every 100th record gets a few fields
 * changed (every 200th user also loses its agents, a link-table change), every 250th is removed
 * (a bulk file: it becomes tobedeleted), and every 250th, another one, gains a twin under a new
 * sourcedId. Other lines stay byte for byte. Expects lines without quoted line breaks.
 */
export function writeChangedPackage(from: string, to: string): PackageChanges {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
  const edits: Record<string, Record<string, (cell: string, i: number) => string | null>> = {
    users: { givenName: (c) => `${unquote(c)}x`, email: () => 'changed@example.org', agentSourcedIds: (c, i) => (i % 200 === 0 ? null : unquote(c)) },
    classes: { title: (c) => `${unquote(c)} (moved)`, location: () => 'Room 101' },
    enrollments: { endDate: () => '2026-01-31', primary: (c) => (unquote(c) === 'true' ? 'false' : 'true') },
  };
  const changes: PackageChanges = {};
  for (const [file, edit] of Object.entries(edits)) {
    const name = path.join(to, `${file}.csv`);
    const [header, ...lines] = fs.readFileSync(name, 'utf8').split('\n').filter((l) => l.length > 0);
    const columns = header.split(',');
    const at = (c: string) => columns.indexOf(c);
    const done = (changes[file] = { changed: [] as string[], added: [] as string[], removed: [] as string[] });
    const out = [header];
    lines.forEach((line, index) => {
      const i = index + 1;
      const cells = splitCells(line);
      const id = unquote(cells[at('sourcedId')]);
      if (i % 250 === 0) {
        done.removed.push(id);
        return;
      }
      if (i % 100 !== 0) out.push(line);
      else {
        for (const [col, f] of Object.entries(edit)) cells[at(col)] = csvCell(f(cells[at(col)], i));
        out.push(cells.join(','));
        done.changed.push(id);
      }
      if (i % 250 === 125) {
        const twin = splitCells(line);
        twin[at('sourcedId')] = csvCell(`${id}-new`);
        if (file === 'users') twin[at('username')] = csvCell(`${unquote(twin[at('username')])}-new`);
        out.push(twin.join(','));
        done.added.push(`${id}-new`);
      }
    });
    fs.writeFileSync(name, `${out.join('\n')}\n`);
  }
  return changes;
}

/** A line's cells as their raw CSV text (quotes kept). */
function splitCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

const unquote = (cell: string) => (cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell);
