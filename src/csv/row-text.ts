import { ID, parseCell, QUOTED_EMPTY, shownValue, validDate } from './cells.js';
import type { CellKind, FileSpec, Mode } from './columns.js';
import { copyValue, escapeText } from './stage.js';
import { Declined } from './stage-copy.js';
import type { HeaderLayout } from './validate.js';

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
/** Kinds whose cells repeat a few values: their COPY text is remembered per value rather than recomputed. */
const FEW_VALUES = new Set<CellKind>(['enum', 'float', 'year', 'datetime', 'dateOrDatetime', 'boolean']);

/**
 * The table row of one record as a COPY text line, with exactly the checks and values of
 * checkRow + copyValue (the careful path's), written out per column kind for the common kinds so
 * that a row costs no intermediate objects; the other kinds go through parseCell itself.
 * `short`: a row whose status and dateLastModified are blank, without those two columns (the
 * table's defaults write what blank means; see copyDirect). The caller checks they are blank.
 */
export function rowWriter(spec: FileSpec, mode: Mode, layout: HeaderLayout, now: string, short = false): (fields: string[]) => string {
  const cells = cellWriters(spec, mode, now);
  const width = layout.width;
  const metadata = layout.metadata;
  return (fields) => {
    if (fields.length !== width) throw new Declined();
    let line = cells[0](fields[0]);
    for (let i = short ? 3 : 1; i < cells.length; i++) line += `\t${cells[i](fields[i])}`;
    let meta: Record<string, string> | null = null;
    for (const [i, key] of metadata) if (fields[i] !== '') (meta ??= {})[key] = shownValue(fields[i]);
    return `${line}\t${meta ? escapeText(JSON.stringify(meta)) : NULL}\n`;
  };
}

/** Per column of the spec: the cell's COPY text, or Declined when the cell fails its check. */
export function cellWriters(spec: FileSpec, mode: Mode, now: string): ((raw: string) => string)[] {
  return spec.columns.map((col, i) => {
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
          if (!FEW_VALUES.has(col.kind)) return convert;
          // Few distinct values (vocabularies, scores, dates, booleans): remember each one's COPY text (bounded).
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
}
