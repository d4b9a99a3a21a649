import { isValidToken } from '../model/dsl.js';
import { SOURCED_ID, SOURCED_ID_RULE } from '../shared/sourced-id.js';
import type { ColumnSpec } from './columns.js';

/** csv-parse hands us this for a quoted empty field (`""`): an empty string, as opposed to no data. */
export const QUOTED_EMPTY = '\u0000""';

export type CellValue = string | number | boolean | string[] | Record<string, string>[] | null;
/** A parsed cell, or the reason it is invalid. */
export type Parsed = { ok: true; value: CellValue } | { ok: false; reason: string };

const ok = (value: CellValue): Parsed => ({ ok: true, value });
const bad = (reason: string): Parsed => ({ ok: false, reason });

/** The sourcedId rule every entry point shares (shared/sourced-id.ts). */
export const ID = SOURCED_ID;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,3})?Z$/;
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

export function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function parseBraced(text: string, what: string, keys: [string, string]): Parsed {
  if (!text.startsWith('{') || !text.endsWith('}')) return bad(`expected ${what} items like {a:b}, comma-separated`);
  const items: Record<string, string>[] = [];
  for (const part of text.slice(1, -1).split('},{')) {
    const colon = part.indexOf(':');
    if (colon <= 0 || part.includes('{') || part.includes('}')) return bad(`malformed ${what} item "{${part}}"; expected {a:b}`);
    items.push({ [keys[0]]: part.slice(0, colon), [keys[1]]: part.slice(colon + 1) });
  }
  return ok(items);
}

function parseList(text: string, col: ColumnSpec): Parsed {
  const items = text.split(',');
  if (items.some((i) => i === '')) return bad('list has an empty item');
  if (col.kind === 'idList') {
    const wrong = items.find((i) => !ID.test(i));
    if (wrong !== undefined) return bad(`"${wrong}" is not a valid sourcedId`);
  } else if (col.vocab) {
    const wrong = items.find((i) => !isValidToken(col.vocab!, i));
    if (wrong !== undefined) return bad(`"${wrong}" is not one of ${col.vocab.values.join(', ')} or ext:<token>`);
  }
  return ok(items);
}

/** Checks one cell against its column and converts it to the staging value. */
export function parseCell(raw: string, col: ColumnSpec): Parsed {
  if (raw === '') return col.required ? bad('required value is missing') : ok(null);
  if (raw === QUOTED_EMPTY) {
    // `""` is an explicit empty string: kept for text columns (round-trips '' exactly), no data otherwise.
    if (col.kind === 'string') return ok('');
    return col.required ? bad('required value is missing') : ok(null);
  }
  switch (col.kind) {
    case 'string': return ok(raw);
    case 'id': return ID.test(raw) ? ok(raw) : bad(`not a valid sourcedId (${SOURCED_ID_RULE})`);
    case 'enum':
      if (col.name === 'status' && raw === 'inactive') return ok('tobedeleted'); // 1.0 value, model.md §0.1
      return isValidToken(col.vocab!, raw) ? ok(raw)
        : bad(`not one of ${col.vocab!.values.join(', ')}${col.vocab!.ext ? ' or ext:<token>' : ''}`);
    case 'date': return validDate(raw) ? ok(raw) : bad('not a date YYYY-MM-DD');
    case 'datetime': {
      const m = DATETIME.exec(raw);
      return m && validDate(m[1]) ? ok(raw) : bad('not a datetime YYYY-MM-DDTHH:MM:SS.sssZ');
    }
    case 'dateOrDatetime': {
      if (validDate(raw)) return ok(`${raw}T00:00:00.000Z`);
      const m = DATETIME.exec(raw);
      return m && validDate(m[1]) ? ok(raw) : bad('not a date YYYY-MM-DD or datetime YYYY-MM-DDTHH:MM:SS.sssZ');
    }
    case 'year': return /^\d{4}$/.test(raw) ? ok(raw) : bad('not a year YYYY');
    case 'float': {
      const n = Number(raw);
      return FLOAT.test(raw) && Number.isFinite(n) ? ok(n) : bad('not a number');
    }
    case 'boolean':
      if (raw === 'true') return ok(true);
      if (raw === 'false') return ok(false);
      return bad('not true or false (lower case)');
    case 'list': case 'idList': return parseList(raw, col);
    case 'userIds': return parseBraced(raw, 'userIds', ['type', 'identifier']);
    case 'scoreScaleValue': return parseBraced(raw, 'scoreScaleValue', ['itemValueLHS', 'itemValueRHS']);
  }
}

/** What an error message shows of a cell. */
export const shownValue = (raw: string) => (raw === QUOTED_EMPTY ? '' : raw);
