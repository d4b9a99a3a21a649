import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from '../support/db.js';
import { exportTo, scratchDir } from './support.js';

/**
 * Every cell of every exported file against the binding's formats, as test/spec/csv.md states them
 * (parsed here, not restated): the next mismatch between export and binding fails this test.
 */
interface SpecColumn { name: string; required: boolean; format: string }

const SPEC = fs.readFileSync(path.resolve('test/spec/csv.md'), 'utf8');

/** The "Columns of every file" table: file → its columns 4 onwards, in order. */
function specFiles(): Map<string, SpecColumn[]> {
  const files = new Map<string, SpecColumn[]>();
  const table = SPEC.slice(SPEC.indexOf('| File | Column | Req | Format |'));
  for (const line of table.split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [file, name, req, format] = line.split('|').slice(1, -1).map((c) => c.trim());
    (files.get(file) ?? files.set(file, []).get(file)!).push({ name, required: req.startsWith('R'), format });
  }
  return files;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const validDate = (v: string) => DATE.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);
// §2.1: "YYYY-MM-DDTHH:MM:SS.sssZ (UTC, milliseconds) — strict validators require exactly this shape".
const DATETIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// §2.1: "1–255 chars from `0-9 A-Z a-z . - _ / @`".
const GUID = /^[0-9A-Za-z.\-_/@]{1,255}$/;
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const BRACED = /^\{[^{}:]+:[^{}]*\}(,\{[^{}:]+:[^{}]*\})*$/;

/** Why `value` does not have `format` (a Format cell of the spec table), or undefined when it does. */
function violation(format: string, value: string): string | undefined {
  const tokens = (list: string) => list.split(',').map((t) => t.replace(/\(no ext\)/, '').trim());
  const inVocabulary = (vocab: string[], v: string) => vocab.includes(v) || (vocab.includes('ext:') && /^ext:\S+$/.test(v));
  if (format.startsWith('DateTime')) return DATETIME.test(value) && validDate(value.slice(0, 10)) ? undefined : 'not a DateTime YYYY-MM-DDTHH:MM:SS.sssZ';
  if (format.startsWith('Date')) return validDate(value) ? undefined : 'not a Date YYYY-MM-DD';
  if (format === 'YYYY') return /^\d{4}$/.test(value) ? undefined : 'not a year YYYY';
  if (format === 'true/false') return value === 'true' || value === 'false' ? undefined : 'not true/false';
  if (format === 'float') return FLOAT.test(value) ? undefined : 'not a float';
  if (format.startsWith('GUID list')) return value.split(',').every((v) => GUID.test(v)) ? undefined : 'not a list of GUIDs';
  if (format.startsWith('GUID')) return GUID.test(value) ? undefined : 'not a GUID';
  if (format.startsWith('list of `{')) return BRACED.test(value) ? undefined : 'not a list of {a:b} items';
  if (format.startsWith('list of:')) {
    const vocab = tokens(format.slice('list of:'.length));
    return value.split(',').every((v) => inVocabulary(vocab, v)) ? undefined : 'an item is not in the vocabulary';
  }
  if (format.startsWith('list')) return value.split(',').every((v) => v !== '') ? undefined : 'a list with an empty item';
  if (format.startsWith('text')) return undefined;
  return inVocabulary(tokens(format), value) ? undefined : 'not in the vocabulary';
}

/** Every violating cell of the exported package in `dir` (`delta`: status and dateLastModified are populated). */
function violations(dir: string, delta: boolean): string[] {
  const spec = specFiles();
  const found: string[] = [];
  const base: SpecColumn[] = [
    { name: 'sourcedId', required: true, format: 'GUID' },
    { name: 'status', required: delta, format: 'active, tobedeleted' },
    { name: 'dateLastModified', required: delta, format: 'DateTime' },
  ];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.csv') && n !== 'manifest.csv')) {
    const columns = spec.get(name.replace(/\.csv$/, ''));
    if (!columns) {
      found.push(`${name}: not a file of the binding`);
      continue;
    }
    const expected = [...base, ...columns];
    const [header, ...rows]: string[][] = parse(fs.readFileSync(path.join(dir, name)), { bom: true });
    const standard = header.slice(0, expected.length);
    if (standard.join(',') !== expected.map((c) => c.name).join(',')) found.push(`${name}: header ${standard.join(',')}`);
    header.slice(expected.length).filter((h) => !h.startsWith('metadata.')).forEach((h) => found.push(`${name}: extra column ${h}`));
    rows.forEach((row, i) => expected.forEach((col, c) => {
      const value = row[c] ?? '';
      if (!delta && c > 0 && c < 3) {
        if (value !== '') found.push(`${name}:${i + 2}:${col.name}: "${value}" must be blank in bulk`);
        return;
      }
      const why = value === '' ? (col.required ? 'required value is blank' : undefined) : violation(col.format, value);
      if (why) found.push(`${name}:${i + 2}:${col.name}: "${value}" ${why} (${col.format})`);
    }));
  }
  return found;
}

let db: Database;
beforeAll(async () => {
  db = await testDatabase();
  // The demo district, as `npm start` loads it.
  await seedDistrict(db.orm.em, { schools: 3, students: 300, seed: 42 });
});
afterAll(async () => db?.close());

describe('every exported cell has the format the binding gives its column (test/spec/csv.md)', () => {
  it('the spec table is complete: 21 files, and the checker refuses what the binding refuses', () => {
    expect(specFiles().size).toBe(21);
    expect(violation('Date per validator (REST uses DateTime) [IMPL]', '2024-09-02T00:00:00.000Z')).toBeDefined();
    expect(violation('DateTime', '2024-09-02T00:00:00Z')).toBeDefined();
    expect(violation('true/false', 'True')).toBeDefined();
    expect(violation('primary, secondary (no ext)', 'ext:x')).toBeDefined();
    expect(violation('homeroom, scheduled, ext:', 'ext:lab')).toBeUndefined();
    expect(violation('list', '09,,10')).toBeDefined();
    expect(violation('GUID → orgs', 'a b')).toBeDefined();
  });

  for (const delta of [false, true]) {
    it(`${delta ? 'delta' : 'bulk'} export of the demo district: no violating cell`, async () => {
      const dir = scratchDir(`format-${delta ? 'delta' : 'bulk'}`);
      await exportTo(db, dir, delta ? { since: '1970-01-01T00:00:00.000Z' } : {});
      const found = violations(dir, delta);
      if (found.length) console.log(`${found.length} violating cells, e.g.\n${found.slice(0, 10).join('\n')}`);
      expect(found).toEqual([]);
    });
  }
});
