import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import type { CsvIssue } from './report.js';

/**
 * A file the import refuses to read any further (a line too long, a blank line, bytes that are not
 * UTF-8): one issue naming the file, line and column, raised as soon as the bytes show it.
 */
export class CsvInputError extends Error {
  constructor(readonly issue: CsvIssue) {
    super(`${issue.file}:${issue.line}${issue.column ? `:${issue.column}` : ''}: ${issue.reason}`);
  }
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** How many bytes at the end of `buf` start a UTF-8 character that the next chunk completes. */
function incompleteTail(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Offset of the first byte of `buf` that does not begin a well-formed UTF-8 character (the slow path, on failure only). */
function firstInvalid(buf: Buffer): number {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < buf.length;) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > buf.length) return i;
    try {
      fatal.decode(buf.subarray(i, i + n)); // overlong forms, surrogates and bad continuations
    } catch {
      return i;
    }
    i += n;
  }
  return 0;
}

/**
 * Checks a CSV file's bytes as they stream past, without holding more than the current line's
 * pieces (references into the chunks, never copies): every physical line is at most `maxLineBytes`,
 * no line outside a quoted field is blank, and the bytes are UTF-8.
 */
export function csvGuard(file: string, maxLineBytes: number) {
  let line = 1;
  let lineBytes = 0;
  let lineParts: Buffer[] = [];
  let quoted = false;
  let carry: Buffer | undefined;
  let header: string[] | undefined;

  const fail = (lineNo: number, column: string, reason: string, value = '') => new CsvInputError({ file, line: lineNo, column, value, reason });

  /** The CSV column a byte offset of the current line falls in (commas outside quotes before it). */
  const columnAt = (prefix: Buffer): string => {
    let field = 0;
    let inQuotes = false;
    for (const b of prefix) {
      if (b === QUOTE) inQuotes = !inQuotes;
      else if (b === COMMA && !inQuotes) field++;
    }
    return header?.[field] ?? `column ${field + 1}`;
  };

  const endLine = (last: Buffer) => {
    const whole = lineParts.length ? Buffer.concat([...lineParts, last]) : last;
    if (line === 1 && !header) {
      header = whole.toString('utf8').replace(/^\uFEFF/, '').replace(/\r$/, '').split(',').map((h) => h.replace(/^"|"$/g, ''));
    }
  };

  /** Line and quote bookkeeping for a chunk that is known to be UTF-8. */
  const scan = (chunk: Buffer): CsvInputError | undefined => {
    let start = 0;
    // Both searches only move forward, so a chunk costs one pass however its quotes and lines fall.
    let q = chunk.indexOf(QUOTE);
    while (start <= chunk.length) {
      const nl = chunk.indexOf(LF, start);
      const end = nl < 0 ? chunk.length : nl;
      for (; q >= 0 && q < end; q = chunk.indexOf(QUOTE, q + 1)) quoted = !quoted;
      lineBytes += end - start;
      if (lineBytes > maxLineBytes) {
        return fail(line, '', `line longer than ${maxLineBytes} bytes (CSV_MAX_LINE_BYTES); the binding's records are one line each`);
      }
      if (nl < 0) {
        if (end > start) lineParts.push(chunk.subarray(start, end));
        return undefined;
      }
      const blank = lineBytes === 0 || (lineBytes === 1 && (end > start ? chunk[end - 1] : lineParts.at(-1)?.at(-1)) === CR);
      // Inside a quoted field a line break is data (RFC 4180), and so is an empty line.
      if (blank && !quoted) return fail(line, '', 'blank line; remove it (a record is never empty)');
      if (line === 1) endLine(chunk.subarray(start, end));
      line++;
      lineBytes = 0;
      lineParts = [];
      start = nl + 1;
    }
    return undefined;
  };

  const check = (bytes: Buffer): CsvInputError | undefined => {
    if (!isUtf8(bytes)) {
      const at = firstInvalid(bytes);
      const before = bytes.subarray(0, at);
      const err = scan(before);
      if (err) return err;
      const prefix = Buffer.concat([...lineParts]);
      return fail(line, columnAt(prefix), `not UTF-8: byte 0x${bytes[at].toString(16).padStart(2, '0')} at byte ${prefix.length + 1} of the line`);
    }
    return scan(bytes);
  };

  return {
    /** Checks the next chunk; a character split across chunks is checked once complete. */
    push(chunk: Buffer): CsvInputError | undefined {
      const bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
      const tail = incompleteTail(bytes);
      carry = tail ? bytes.subarray(bytes.length - tail) : undefined;
      return check(tail ? bytes.subarray(0, bytes.length - tail) : bytes);
    },
    end(): CsvInputError | undefined {
      return carry ? fail(line, columnAt(Buffer.concat(lineParts)), 'not UTF-8: the file ends inside a character') : undefined;
    },
  };
}

/**
 * `input` as read through the checks: lazy (nothing is read, so nothing can fail, before the
 * consumer reads), and an error ends the stream where the consumer is listening.
 */
export function guardedCsv(file: string, input: Readable, maxLineBytes: number): Readable {
  const guard = csvGuard(file, maxLineBytes);
  async function* checked() {
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        const err = guard.push(chunk);
        if (err) throw err;
        yield chunk;
      }
      const err = guard.end();
      if (err) throw err;
    } finally {
      input.destroy();
    }
  }
  return Readable.from(checked(), { objectMode: false });
}
