/**
 * CSV cell formatting shared by the exporter's cursor path and the benchmark's package generator:
 * RFC 4180 quoting, no data = an empty cell, an empty string = `""` (so it survives a round trip).
 */
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(v: string | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (v === '') return '""';
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export const csvLine = (cells: readonly (string | null | undefined)[]) => `${cells.map(csvCell).join(',')}\n`;
