const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Watches the bytes PostgreSQL's CSV parser is given, for what it would read differently from
 * csv-parse (the embedded path, whose errors are the reference): PostgreSQL takes a quote anywhere
 * in a field as quoting, csv-parse only at the start of a field and rejects the rest. A file passes
 * when every quote opens a field, is doubled inside a quoted field, or closes one right before a
 * comma or a line end, and no quoted field holds a line break (so a record's line is its number
 * plus one). Counts the record ends outside quotes, to compare with the rows COPY stored.
 */
export class RawCsvScan {
  ok = true;
  lineEnds = 0;
  private inQuote = false;
  /** Inside a quoted field, the previous chunk ended on a quote: closing or the first of a pair. */
  private quoteAtEnd = false;
  private prev = LF;
  private last = LF;

  push(buf: Buffer) {
    if (!this.ok || buf.length === 0) return;
    let i = 0;
    if (this.quoteAtEnd) {
      this.quoteAtEnd = false;
      if (buf[0] === QUOTE) i = 1;
      else if (!this.closes(buf[0])) return this.fail();
      else this.inQuote = false;
    }
    while (i < buf.length) {
      if (!this.inQuote) {
        const q = buf.indexOf(QUOTE, i);
        const end = q < 0 ? buf.length : q;
        this.countLineEnds(buf, i, end);
        if (q < 0) break;
        const before = q > 0 ? buf[q - 1] : this.prev;
        if (before !== COMMA && before !== LF && before !== CR) return this.fail();
        this.inQuote = true;
        i = q + 1;
      } else {
        const q = buf.indexOf(QUOTE, i);
        const end = q < 0 ? buf.length : q;
        for (let p = i; p < end; p++) if (buf[p] === LF || buf[p] === CR) return this.fail();
        if (q < 0) break;
        if (q + 1 === buf.length) {
          this.quoteAtEnd = true;
          break;
        }
        if (buf[q + 1] === QUOTE) i = q + 2;
        else if (!this.closes(buf[q + 1])) return this.fail();
        else {
          this.inQuote = false;
          i = q + 1;
        }
      }
    }
    this.prev = buf[buf.length - 1];
    this.last = this.prev;
  }

  /** Whether the whole file passed; records = line ends outside quotes, plus an unterminated last line. */
  finish(): { ok: boolean; records: number } {
    if (this.inQuote && !this.quoteAtEnd) this.ok = false;
    return { ok: this.ok, records: this.lineEnds + (this.last === LF ? 0 : 1) };
  }

  private closes = (c: number) => c === COMMA || c === LF || c === CR;

  private countLineEnds(buf: Buffer, from: number, to: number) {
    for (let p = buf.indexOf(LF, from); p >= 0 && p < to; p = buf.indexOf(LF, p + 1)) this.lineEnds++;
  }

  private fail() {
    this.ok = false;
  }
}
