import { SOURCED_ID } from '../shared/sourced-id.js';
import { CELL_RULES, REQUIRED_MESSAGE, type CellValue, type Parsed } from './cell-rules.js';
import type { ColumnSpec } from './columns.js';

export { validDate, type CellValue, type Parsed } from './cell-rules.js';

/** csv-parse hands us this for a quoted empty field (`""`): an empty string, as opposed to no data. */
export const QUOTED_EMPTY = '\u0000""';

/** The sourcedId rule every entry point shares (shared/sourced-id.ts). */
export const ID = SOURCED_ID;

const present = (value: CellValue): Parsed => ({ ok: true, value });
const missing: Parsed = { ok: false, reason: REQUIRED_MESSAGE };

/** Checks one cell against its column and converts it to the staging value (the rules: cell-rules.ts). */
export function parseCell(raw: string, col: ColumnSpec): Parsed {
  if (raw === '') return col.required ? missing : present(null);
  if (raw === QUOTED_EMPTY) {
    // `""` is an explicit empty string: kept for text columns (round-trips '' exactly), no data otherwise.
    if (col.kind === 'string') return present('');
    return col.required ? missing : present(null);
  }
  return CELL_RULES[col.kind].node(raw, col);
}

/** What an error message shows of a cell. */
export const shownValue = (raw: string) => (raw === QUOTED_EMPTY ? '' : raw);
