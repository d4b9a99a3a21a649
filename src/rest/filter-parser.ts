/**
 * Parser for the OneRoster `filter` query parameter (rest.md §4.1).
 *
 *   expr      := andChain (OR andChain)*
 *   andChain  := predicate (AND predicate)*
 *   predicate := field op value
 *   field     := identifier ('.' identifier)*        identifier := [A-Za-z_][A-Za-z0-9_]*
 *   op        := = | != | > | >= | < | <= | ~
 *   value     := "'" (any character, with '' standing for one ') "'"
 *
 * Leniency beyond the standard, which only defines one predicate or two joined by one joiner:
 * any number of predicates may be chained and AND/OR may be mixed; AND binds tighter than OR
 * (there are no parentheses). Any amount of whitespace (space, tab, CR, LF) is accepted between
 * tokens, but not inside a dotted field path.
 * Joiners must be upper-case, as the standard writes them: `and`/`or` are rejected with a hint,
 * so that consumers do not come to rely on a dialect other providers refuse.
 *
 * Positions in errors are 0-based UTF-16 indexes into the decoded parameter string.
 */

export type FilterOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~';

export type FilterNode =
  | { kind: 'predicate'; path: string[]; op: FilterOp; value: string }
  | { kind: 'and' | 'or'; operands: FilterNode[] };

export class FilterSyntaxError extends Error {
  override name = 'FilterSyntaxError';

  constructor(
    expectation: string,
    public position: number,
    found?: string,
  ) {
    super(`${expectation} at position ${position}${found ? `, found ${found}` : ''}`);
  }
}

type Token =
  | { kind: 'path'; segments: string[]; text: string; start: number }
  | { kind: 'op'; op: FilterOp; start: number }
  | { kind: 'value'; value: string; start: number }
  | { kind: 'end'; start: number }
  // A character no token can start with; the parser reports it with what it expected instead.
  | { kind: 'stray'; text: string; start: number };

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const IDENTIFIER_START = /[A-Za-z_]/;
const IDENTIFIER_PART = /[A-Za-z0-9_]/;
// Longest first, so that `>=` is not read as `>` followed by a stray `=`.
const OPERATORS: FilterOp[] = ['!=', '>=', '<=', '=', '>', '<', '~'];

/** The whole code point, so that an error message never shows half of a surrogate pair. */
function codePointAt(input: string, index: number): string {
  return String.fromCodePoint(input.codePointAt(index)!);
}

/** Produces tokens on demand so that a syntax error is always reported at its leftmost position. */
class Lexer {
  private pos = 0;

  constructor(private readonly input: string) {}

  next(): Token {
    this.skipWhitespace();
    const start = this.pos;
    const char = this.input[start];
    if (char === undefined) return { kind: 'end', start };
    if (char === "'") return this.readValue();
    if (IDENTIFIER_START.test(char)) return this.readPath();
    const op = OPERATORS.find((candidate) => this.input.startsWith(candidate, start));
    if (op) {
      this.pos += op.length;
      return { kind: 'op', op, start };
    }
    const text = codePointAt(this.input, start);
    this.pos += text.length;
    return { kind: 'stray', text, start };
  }

  private skipWhitespace(): void {
    while (WHITESPACE.has(this.input[this.pos] ?? '')) this.pos += 1;
  }

  private readIdentifier(): string {
    const start = this.pos;
    if (!IDENTIFIER_START.test(this.input[start] ?? '')) {
      const found = start < this.input.length ? `"${codePointAt(this.input, start)}"` : 'the end of the filter';
      throw new FilterSyntaxError('expected a field name after "."', start, found);
    }
    while (IDENTIFIER_PART.test(this.input[this.pos] ?? '')) this.pos += 1;
    return this.input.slice(start, this.pos);
  }

  private readPath(): Token {
    const start = this.pos;
    const segments = [this.readIdentifier()];
    while (this.input[this.pos] === '.') {
      this.pos += 1;
      segments.push(this.readIdentifier());
    }
    return { kind: 'path', segments, text: this.input.slice(start, this.pos), start };
  }

  private readValue(): Token {
    const start = this.pos;
    let value = '';
    let cursor = start + 1;
    for (;;) {
      const close = this.input.indexOf("'", cursor);
      if (close === -1) throw new FilterSyntaxError('unterminated quoted value starting', start);
      value += this.input.slice(cursor, close);
      if (this.input[close + 1] !== "'") {
        this.pos = close + 1;
        return { kind: 'value', value, start };
      }
      value += "'";
      cursor = close + 2;
    }
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'path':
      return `"${token.text}"`;
    case 'op':
      return `"${token.op}"`;
    case 'value':
      return 'a quoted value';
    case 'end':
      return 'the end of the filter';
    case 'stray':
      return `"${token.text}"`;
  }
}

class Parser {
  private token: Token;

  constructor(private readonly lexer: Lexer) {
    this.token = lexer.next();
  }

  parse(): FilterNode {
    const node = this.parseOrChain();
    if (this.token.kind !== 'end') this.fail('expected AND, OR or the end of the filter');
    return node;
  }

  private parseOrChain(): FilterNode {
    const operands = [this.parseAndChain()];
    while (this.acceptJoiner('OR')) operands.push(this.parseAndChain());
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private parseAndChain(): FilterNode {
    const operands = [this.parsePredicate()];
    while (this.acceptJoiner('AND')) operands.push(this.parsePredicate());
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private parsePredicate(): FilterNode {
    const field = this.token;
    if (field.kind !== 'path') this.fail('expected a field name');
    this.advance();
    const op = this.token;
    if (op.kind !== 'op') this.fail('expected an operator (=, !=, >, >=, <, <=, ~)');
    this.advance();
    const value = this.token;
    if (value.kind !== 'value') this.fail('expected a quoted value');
    this.advance();
    return { kind: 'predicate', path: field.segments, op: op.op, value: value.value };
  }

  private acceptJoiner(joiner: 'AND' | 'OR'): boolean {
    const token = this.token;
    if (token.kind !== 'path') return false;
    if (token.text === joiner) {
      this.advance();
      return true;
    }
    if (token.text.toUpperCase() === joiner) this.fail(`joiners must be upper-case: expected ${joiner}`);
    return false;
  }

  private advance(): void {
    this.token = this.lexer.next();
  }

  private fail(expectation: string): never {
    throw new FilterSyntaxError(expectation, this.token.start, describe(this.token));
  }
}

export function parseFilter(input: string): FilterNode {
  return new Parser(new Lexer(input)).parse();
}
