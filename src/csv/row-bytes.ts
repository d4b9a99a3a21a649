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

/** Bytes a sourcedId may hold (cells.ts's ID). */
const ID_BYTE = new Uint8Array(256);
for (const c of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-_/@') ID_BYTE[c.charCodeAt(0)] = 1;
/** Bytes that send a line to the text form: non-ASCII, quotes, and what COPY text must escape. */
const SPECIAL = new Uint8Array(256).fill(1, 0x80);
for (const c of '"\\\t\r\n') SPECIAL[c.charCodeAt(0)] = 1;

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
  // Per column of another kind: the last cell's bytes and its COPY text (cells repeat: dates, vocabularies).
  const lastRaw = cells.map(() => Buffer.alloc(0));
  const lastOut = cells.map(() => Buffer.alloc(0));
  const other = (k: number, src: Buffer, a: number, b: number, out: CopyBytes) => {
    const raw = lastRaw[k];
    if (raw.length === b - a) {
      let same = true;
      for (let i = 0; i < raw.length; i++) if (raw[i] !== src[a + i]) { same = false; break; }
      if (same) return out.bytes(lastOut[k]);
    }
    const text = Buffer.from(cells[k](src.toString('latin1', a, b)));
    if (b - a <= 64) {
      lastRaw[k] = Buffer.from(src.subarray(a, b));
      lastOut[k] = text;
    }
    out.bytes(text);
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
  return (src, start, end, out) => {
    if (!fast) return slow(src, start, end, out);
    let n = 0;
    for (let i = start; i < end; i++) {
      const c = src[i];
      if (c === 0x2c) {
        if (n === width - 1) throw new Declined(); // too many cells
        ends[n++] = i;
      } else if (SPECIAL[c]) return slow(src, start, end, out);
    }
    if (n !== width - 1) throw new Declined(); // too few cells
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
      if (a === b) {
        const e = empties[k];
        if (!e) throw new Declined();
        out.bytes(e);
      } else if (kinds[k] === OTHER) {
        other(k, src, a, b, out);
      } else {
        if (kinds[k] === ID && b - a > 255) throw new Declined();
        const buf = out.buf;
        let p = out.pos;
        for (let i = a; i < b; i++) {
          const c = src[i];
          if (kinds[k] === ID && !ID_BYTE[c]) throw new Declined();
          buf[p++] = c;
        }
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
