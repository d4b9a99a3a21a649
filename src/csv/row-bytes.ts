import { SOURCED_ID_MAX_LENGTH } from '../shared/sourced-id.js';
import { ID_CHARACTERS } from './cell-rules.js';
import type { FileSpec, Mode } from './columns.js';
import { cellWriters, rowWriter, split } from './row-text.js';
import { Declined } from './stage-copy.js';
import type { HeaderLayout } from './validate.js';

/** COPY text being written, grown (rarely) when a row would not fit. */
export class CopyBytes {
  buf: Buffer;
  pos = 0;
  constructor(private readonly size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
  text(s: string) {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  /** Short byte runs: a loop beats Buffer#copy's call overhead. */
  bytes(b: Uint8Array) {
    this.ensure(b.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) buf[p++] = b[i];
    this.pos = p;
  }
  /** The bytes written so far (handed to the stream, which keeps them); starts a fresh buffer. */
  take(): Buffer {
    const full = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return full;
  }
}

/**
 * What each byte is to the fast form: part of a sourcedId (cell-rules.ts's ID characters), the comma
 * between cells, a byte that sends the line to the text form (non-ASCII, quotes, what COPY text
 * must escape), or any other plain byte (fine in a string, not in a sourcedId).
 */
const ID_BYTE = 0;
const COMMA = 1;
const SPECIAL = 2;
const PLAIN = 3;
const BYTE_CLASS = new Uint8Array(256).fill(PLAIN).fill(SPECIAL, 0x80);
for (const c of ID_CHARACTERS) BYTE_CLASS[c.charCodeAt(0)] = ID_BYTE;
for (const c of '"\\\t\r\n') BYTE_CLASS[c.charCodeAt(0)] = SPECIAL;
BYTE_CLASS[0x2c] = COMMA;

const ID = 1;
const STRING = 2;
const OTHER = 3;

/**
 * The table row of one line as COPY text, written from the file's bytes. The common line (ASCII,
 * no quotes, no byte COPY text escapes, no metadata columns) is split on its comma bytes; a
 * sourcedId is checked byte by byte against cells.ts's ID characters and copied, a string copied
 * as it is, an empty cell written as cellWriters writes it; the other kinds go through
 * cellWriters on the cell's text. Any other line is decoded and goes through rowWriter, so every
 * line gets exactly the text form's checks and values (the tests compare both forms).
 * `short` as rowWriter's; then a line whose status or dateLastModified is not blank returns false
 * and writes nothing (the caller switches to a COPY with every column).
 */
export function lineWriter(spec: FileSpec, mode: Mode, layout: HeaderLayout, now: string, short = false):
  (src: Buffer, start: number, end: number, out: CopyBytes) => boolean {
  const textRow = rowWriter(spec, mode, layout, now, short);
  const cells = cellWriters(spec, mode, now);
  const kinds = spec.columns.map((c) => (c.kind === 'id' ? ID : c.kind === 'string' ? STRING : OTHER));
  const empties = cells.map((cell) => {
    try {
      return Buffer.from(cell(''));
    } catch (err) {
      if (err instanceof Declined) return undefined; // a required cell
      throw err;
    }
  });
  // Per column of another kind, the COPY text of each value seen (cells repeat: dates, vocabularies,
  // scores), bounded; and the last one, compared byte by byte before any string is made.
  interface Known { raw: Buffer; text: Buffer }
  const known = cells.map(() => new Map<string, Known>());
  const last = cells.map((): Known => ({ raw: Buffer.alloc(0), text: Buffer.alloc(0) }));
  const other = (k: number, src: Buffer, a: number, b: number, out: CopyBytes) => {
    const raw = last[k].raw;
    if (raw.length === b - a) {
      let same = true;
      for (let i = 0; i < raw.length; i++) if (raw[i] !== src[a + i]) { same = false; break; }
      if (same) return out.bytes(last[k].text);
    }
    const cell = src.toString('latin1', a, b);
    let entry = known[k].get(cell);
    if (!entry) {
      entry = { raw: Buffer.from(src.subarray(a, b)), text: Buffer.from(cells[k](cell)) };
      if (b - a <= 64 && known[k].size < 10_000) known[k].set(cell, entry);
    }
    last[k] = entry;
    out.bytes(entry.text);
  };
  const width = layout.width;
  const fast = layout.metadata.length === 0 && width === cells.length;
  const ends = new Int32Array(width);
  const slow = (src: Buffer, start: number, end: number, out: CopyBytes) => {
    const text = src.toString('utf8', start, end);
    if (text.includes('\r')) throw new Declined();
    const fields = split(text);
    if (short && (fields[1] !== '' || fields[2] !== '')) return false;
    out.text(textRow(fields));
    return true;
  };
  // Per cell of the current line: whether it holds a byte a sourcedId may not.
  const notId = new Uint8Array(width);
  return (src, start, end, out) => {
    if (!fast) return slow(src, start, end, out);
    let n = 0;
    let plain = 0;
    for (let i = start; i < end; i++) {
      const c = BYTE_CLASS[src[i]];
      if (c === ID_BYTE) continue;
      if (c === COMMA) {
        if (n === width - 1) throw new Declined(); // too many cells
        notId[n] = plain;
        ends[n++] = i;
        plain = 0;
      } else if (c === SPECIAL) return slow(src, start, end, out);
      else plain = 1;
    }
    if (n !== width - 1) throw new Declined(); // too few cells
    notId[n] = plain;
    ends[n] = end;
    if (short && (ends[1] !== ends[0] + 1 || ends[2] !== ends[1] + 1)) return false;
    out.ensure(end - start + width * 40 + 8);
    let a = start;
    for (let k = 0; k < width; k++) {
      const b = ends[k];
      if (short && (k === 1 || k === 2)) {
        a = b + 1;
        continue;
      }
      if (k > 0) out.buf[out.pos++] = 0x09;
      const kind = kinds[k];
      if (a === b) {
        const e = empties[k];
        if (!e) throw new Declined();
        out.bytes(e);
      } else if (kind === OTHER) {
        other(k, src, a, b, out);
      } else {
        if (kind === ID && (notId[k] || b - a > SOURCED_ID_MAX_LENGTH)) throw new Declined();
        const buf = out.buf;
        let p = out.pos;
        for (let i = a; i < b; i++) buf[p++] = src[i];
        out.pos = p;
      }
      a = b + 1;
    }
    // No metadata columns: metadata is NULL.
    out.ensure(4);
    out.buf[out.pos++] = 0x09;
    out.buf[out.pos++] = 0x5c;
    out.buf[out.pos++] = 0x4e;
    out.buf[out.pos++] = 0x0a;
    return true;
  };
}
