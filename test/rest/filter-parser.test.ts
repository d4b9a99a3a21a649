import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, parseFilter, type FilterNode, type FilterOp } from '../../src/rest/filter-parser.js';

const OPS: FilterOp[] = ['=', '!=', '>', '>=', '<', '<=', '~'];

function predicate(path: string, op: FilterOp, value: string): FilterNode {
  return { kind: 'predicate', path: path.split('.'), op, value };
}

function syntaxErrorOf(input: string): FilterSyntaxError {
  try {
    parseFilter(input);
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('parseFilter: predicates', () => {
  it.each(OPS)('parses the %s operator', (op) => {
    expect(parseFilter(`givenName${op}'Ann'`)).toEqual(predicate('givenName', op, 'Ann'));
  });

  it.each(OPS)('parses the %s operator with spaces around it', (op) => {
    expect(parseFilter(`givenName ${op} 'Ann'`)).toEqual(predicate('givenName', op, 'Ann'));
  });

  it('parses a typical delta query', () => {
    expect(parseFilter("dateLastModified>'2024-09-01T00:00:00Z'")).toEqual(
      predicate('dateLastModified', '>', '2024-09-01T00:00:00Z'),
    );
  });

  it.each(['class.sourcedId', 'roles.org.sourcedId', 'roles.role', 'metadata.ext_1.x2'])(
    'parses the dotted field %s',
    (field) => {
      expect(parseFilter(`${field}='v'`)).toEqual(predicate(field, '=', 'v'));
    },
  );

  it('tolerates any amount of whitespace between tokens, including tabs and newlines', () => {
    expect(parseFilter("  \t class.sourcedId \n  !=\t\t'c1'   ")).toEqual(predicate('class.sourcedId', '!=', 'c1'));
  });

  it.each([
    ['spaces', "title='Algebra I Honors'", 'Algebra I Honors'],
    ['commas', "title='a,b, c'", 'a,b, c'],
    ['joiner keywords', "title='Math AND Science OR Art'", 'Math AND Science OR Art'],
    ['operators', "title='a>=b != c ~ d'", 'a>=b != c ~ d'],
    ['double quotes and brackets', `title='"quoted" (x) [y]'`, '"quoted" (x) [y]'],
    ['surrounding whitespace', "title='  padded  '", '  padded  '],
    ['a newline', "title='line1\nline2'", 'line1\nline2'],
    ['unicode', "givenName='Zoë 日本 🎓'", 'Zoë 日本 🎓'],
  ])('keeps %s inside a value', (_label, input, value) => {
    expect(parseFilter(input)).toEqual(predicate(input.slice(0, input.indexOf('=')), '=', value));
  });

  it.each([
    ["familyName='O''Brien'", "O'Brien"],
    ["familyName=''''", "'"],
    ["familyName=''''''", "''"],
    ["familyName='a'''", "a'"],
    ["familyName='''a'", "'a"],
  ])('reads doubled quotes in %s as one quote', (input, value) => {
    expect(parseFilter(input)).toEqual(predicate('familyName', '=', value));
  });

  it("parses the empty value ''", () => {
    expect(parseFilter("middleName=''")).toEqual(predicate('middleName', '=', ''));
  });

  it('accepts field names that spell a joiner, since a field position cannot hold a joiner', () => {
    expect(parseFilter("AND='x' AND OR='y'")).toEqual({
      kind: 'and',
      operands: [predicate('AND', '=', 'x'), predicate('OR', '=', 'y')],
    });
  });
});

describe('parseFilter: joiners', () => {
  const a = predicate('a', '=', '1');
  const b = predicate('b', '=', '2');
  const c = predicate('c', '=', '3');
  const d = predicate('d', '=', '4');

  it('parses two predicates joined by AND', () => {
    expect(parseFilter("a='1' AND b='2'")).toEqual({ kind: 'and', operands: [a, b] });
  });

  it('parses two predicates joined by OR', () => {
    expect(parseFilter("a='1' OR b='2'")).toEqual({ kind: 'or', operands: [a, b] });
  });

  it('flattens three predicates joined by the same joiner', () => {
    expect(parseFilter("a='1' AND b='2' AND c='3'")).toEqual({ kind: 'and', operands: [a, b, c] });
    expect(parseFilter("a='1' OR b='2' OR c='3'")).toEqual({ kind: 'or', operands: [a, b, c] });
  });

  it('binds AND tighter than OR', () => {
    expect(parseFilter("a='1' OR b='2' AND c='3'")).toEqual({
      kind: 'or',
      operands: [a, { kind: 'and', operands: [b, c] }],
    });
    expect(parseFilter("a='1' AND b='2' OR c='3'")).toEqual({
      kind: 'or',
      operands: [{ kind: 'and', operands: [a, b] }, c],
    });
    expect(parseFilter("a='1' AND b='2' OR c='3' AND d='4'")).toEqual({
      kind: 'or',
      operands: [
        { kind: 'and', operands: [a, b] },
        { kind: 'and', operands: [c, d] },
      ],
    });
  });

  it('tolerates several spaces around joiners', () => {
    expect(parseFilter("a='1'    AND\t\tb='2'")).toEqual({ kind: 'and', operands: [a, b] });
  });

  it('accepts a joiner right after a closing quote', () => {
    expect(parseFilter("a='1'AND b='2'")).toEqual({ kind: 'and', operands: [a, b] });
  });

  it('parses joiners between dotted fields with quoted joiners inside values', () => {
    expect(parseFilter("class.sourcedId='x AND y' OR roles.role='teacher'")).toEqual({
      kind: 'or',
      operands: [predicate('class.sourcedId', '=', 'x AND y'), predicate('roles.role', '=', 'teacher')],
    });
  });
});

describe('parseFilter: errors', () => {
  it.each([
    ['', 0, 'expected a field name at position 0, found the end of the filter'],
    ['   ', 3, 'expected a field name at position 3, found the end of the filter'],
    ["='x'", 0, 'expected a field name at position 0, found "="'],
    ["(a='x')", 0, 'expected a field name at position 0, found "("'],
    ["1a='x'", 0, 'expected a field name at position 0, found "1"'],
    ["é='x'", 0, 'expected a field name at position 0, found "é"'],
    ["🎓='x'", 0, 'expected a field name at position 0, found "🎓"'],
    ['givenName', 9, 'expected an operator (=, !=, >, >=, <, <=, ~) at position 9, found the end of the filter'],
    ["givenName 'x'", 10, 'expected an operator (=, !=, >, >=, <, <=, ~) at position 10, found a quoted value'],
    ["a!'x'", 1, 'expected an operator (=, !=, >, >=, <, <=, ~) at position 1, found "!"'],
    ["a == 'x'", 3, 'expected a quoted value at position 3, found "="'],
    ["a=>'x'", 2, 'expected a quoted value at position 2, found ">"'],
    ["a<>'x'", 2, 'expected a quoted value at position 2, found ">"'],
    ['givenName=x', 10, 'expected a quoted value at position 10, found "x"'],
    ['givenName="x"', 10, 'expected a quoted value at position 10, found """'],
    ['givenName=', 10, 'expected a quoted value at position 10, found the end of the filter'],
    ['givenName=12', 10, 'expected a quoted value at position 10, found "1"'],
    ["givenName='x", 10, 'unterminated quoted value starting at position 10'],
    ["givenName='x''", 10, 'unterminated quoted value starting at position 10'],
    ["a='1' AND b='x", 12, 'unterminated quoted value starting at position 12'],
    ["class.='x'", 6, 'expected a field name after "." at position 6, found "="'],
    ['class.', 6, 'expected a field name after "." at position 6, found the end of the filter'],
    ["class..x='y'", 6, 'expected a field name after "." at position 6, found "."'],
    ["class .sourcedId='x'", 6, 'expected an operator (=, !=, >, >=, <, <=, ~) at position 6, found "."'],
    ["a='x' b='y'", 6, 'expected AND, OR or the end of the filter at position 6, found "b"'],
    ["a='x' 'y'", 6, 'expected AND, OR or the end of the filter at position 6, found a quoted value'],
    ["a='x'🎓", 5, 'expected AND, OR or the end of the filter at position 5, found "🎓"'],
    ["a='x' AND b='y' extra", 16, 'expected AND, OR or the end of the filter at position 16, found "extra"'],
    ["a='x' and b='y'", 6, 'joiners must be upper-case: expected AND at position 6, found "and"'],
    ["a='x' Or b='y'", 6, 'joiners must be upper-case: expected OR at position 6, found "Or"'],
    ["a='x' AND", 9, 'expected a field name at position 9, found the end of the filter'],
    ["a='x' OR ", 9, 'expected a field name at position 9, found the end of the filter'],
    ["a='x' AND AND", 13, 'expected an operator (=, !=, >, >=, <, <=, ~) at position 13, found the end of the filter'],
    ["a='x' AND (b='y')", 10, 'expected a field name at position 10, found "("'],
    ["a='x',b='y'", 5, 'expected AND, OR or the end of the filter at position 5, found ","'],
  ])('rejects %j at position %i', (input, position, message) => {
    const error = syntaxErrorOf(input);
    expect(error.message).toBe(message);
    expect(error.position).toBe(position);
    expect(error.name).toBe('FilterSyntaxError');
    expect(error).toBeInstanceOf(Error);
  });

  it('reports the leftmost problem when there are several', () => {
    expect(syntaxErrorOf("a x='unterminated").position).toBe(2);
  });
});

describe('parseFilter: properties', () => {
  const grammarFragment = fc.constantFrom(
    'a', 'roles.org.sourcedId', 'x.', '.', "'", "''", "'v'", ' ', '\t', '=', '!=', '!', '>', '>=', '<', '<=', '~',
    ' AND ', ' OR ', 'and', 'AND', '(', '"', ',', '🎓', '\uD800',
  );
  const filterLike = fc.array(grammarFragment, { maxLength: 12 }).map((parts) => parts.join(''));

  it('returns a node or throws FilterSyntaxError with a position inside the input, for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), filterLike), (input) => {
        try {
          expect(['predicate', 'and', 'or']).toContain(parseFilter(input).kind);
        } catch (error) {
          if (!(error instanceof FilterSyntaxError)) throw error;
          expect(error.position).toBeGreaterThanOrEqual(0);
          expect(error.position).toBeLessThanOrEqual(input.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
  const predicateNode = fc.record({
    kind: fc.constant('predicate' as const),
    path: fc.array(identifier, { minLength: 1, maxLength: 3 }),
    op: fc.constantFrom(...OPS),
    value: fc.string({ unit: 'binary' }),
  });
  // The parser's normal form: AND chains hold predicates only, OR chains hold AND chains or
  // predicates, and a chain of one is the operand itself.
  const chain = (kind: 'and' | 'or') => (operands: FilterNode[]): FilterNode =>
    operands.length === 1 ? operands[0]! : { kind, operands };
  const andChain = fc.array(predicateNode, { minLength: 1, maxLength: 4 }).map(chain('and'));
  const filterTree = fc.array(andChain, { minLength: 1, maxLength: 4 }).map(chain('or'));

  const spacing = fc.record({
    aroundOp: fc.constantFrom('', ' ', '  ', '\t'),
    aroundJoiner: fc.constantFrom(' ', '   ', '\n'),
  });
  type Spacing = { aroundOp: string; aroundJoiner: string };

  function print(node: FilterNode, space: Spacing): string {
    if (node.kind === 'predicate') {
      const quoted = `'${node.value.replaceAll("'", "''")}'`;
      return `${node.path.join('.')}${space.aroundOp}${node.op}${space.aroundOp}${quoted}`;
    }
    const joiner = `${space.aroundJoiner}${node.kind.toUpperCase()}${space.aroundJoiner}`;
    return node.operands.map((operand) => print(operand, space)).join(joiner);
  }

  it('parses a printed tree back to the same tree', () => {
    fc.assert(
      fc.property(filterTree, spacing, (tree, space) => {
        expect(parseFilter(print(tree, space))).toEqual(tree);
      }),
      { numRuns: 1000 },
    );
  });
});
