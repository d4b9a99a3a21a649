import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RestError } from '../../src/rest/errors.js';
import { parseCollectionParams, parseFieldsParam } from '../../src/rest/params.js';

const opts = { maxLimit: 1000 };

function restErrorOf(action: () => unknown): RestError {
  try {
    action();
  } catch (error) {
    if (error instanceof RestError) return error;
    throw error;
  }
  throw new Error('expected a RestError');
}

function rejection(query: Record<string, string | string[] | undefined>, options = opts) {
  const error = restErrorOf(() => parseCollectionParams(query, options));
  return { status: error.status, codeMinor: error.codeMinor, description: error.description };
}

describe('parseCollectionParams: defaults', () => {
  it('applies the OAS defaults to an empty query', () => {
    expect(parseCollectionParams({}, opts)).toStrictEqual({
      limit: 100,
      offset: 0,
      sort: undefined,
      orderBy: 'asc',
      filter: undefined,
      fields: undefined,
    });
  });

  it('uses the configured default limit', () => {
    expect(parseCollectionParams({}, { maxLimit: 1000, defaultLimit: 25 }).limit).toBe(25);
  });

  it('lowers the default limit to the maximum when the maximum is smaller', () => {
    expect(parseCollectionParams({}, { maxLimit: 50 }).limit).toBe(50);
    expect(parseCollectionParams({}, { maxLimit: 50, defaultLimit: 80 }).limit).toBe(50);
  });

  it('ignores unknown and undefined parameters', () => {
    expect(parseCollectionParams({ foo: 'bar', page: ['1', '2'], limit: undefined }, opts).limit).toBe(100);
  });

  it('reads only own properties of the query object', () => {
    const query = JSON.parse('{"__proto__": {"limit": "oops"}}') as Record<string, string>;
    expect(parseCollectionParams(query, opts).limit).toBe(100);
    expect(parseCollectionParams(Object.create({ limit: 'oops' }), opts).limit).toBe(100);
  });
});

describe('parseCollectionParams: limit and offset', () => {
  it.each([
    ['1', 1],
    ['250', 250],
    ['1000', 1000],
    ['007', 7],
  ])('accepts limit=%s', (raw, limit) => {
    expect(parseCollectionParams({ limit: raw }, opts).limit).toBe(limit);
  });

  it('refuses a limit above the maximum instead of returning a short page', () => {
    expect(rejection({ limit: '1001' })).toEqual({
      status: 400,
      codeMinor: 'invaliddata',
      description: 'limit 1001 exceeds the maximum of 1000',
    });
  });

  it.each(['0', '-1', '1.5', '1e2', '+5', ' 5', '5 ', '0x10', 'abc', '', 'Infinity'])('rejects limit=%j', (raw) => {
    expect(rejection({ limit: raw })).toEqual({
      status: 400,
      codeMinor: 'invaliddata',
      description: `limit must be a whole number of at least 1, got ${JSON.stringify(raw)}`,
    });
  });

  it.each([
    ['0', 0],
    ['250', 250],
    ['2147483647', 2147483647],
  ])('accepts offset=%s', (raw, offset) => {
    expect(parseCollectionParams({ offset: raw }, opts).offset).toBe(offset);
  });

  it.each(['-1', '1.5', 'x', '', ' 0'])('rejects offset=%j', (raw) => {
    expect(rejection({ offset: raw })).toEqual({
      status: 400,
      codeMinor: 'invaliddata',
      description: `offset must be a whole number of at least 0, got ${JSON.stringify(raw)}`,
    });
  });

  it('rejects an offset beyond int32, the OAS type', () => {
    expect(rejection({ offset: '2147483648' })).toEqual({
      status: 400,
      codeMinor: 'invaliddata',
      description: 'offset 2147483648 exceeds the maximum of 2147483647',
    });
  });

  it('shortens long client input echoed in a message', () => {
    expect(rejection({ limit: 'x'.repeat(500) }).description).toBe(
      `limit must be a whole number of at least 1, got "${'x'.repeat(40)}…"`,
    );
  });
});

describe('parseCollectionParams: sort and orderBy', () => {
  it('passes sort through without checking the field name', () => {
    expect(parseCollectionParams({ sort: 'familyName' }, opts).sort).toBe('familyName');
  });

  it('rejects an empty sort', () => {
    expect(rejection({ sort: '' })).toEqual({ status: 400, codeMinor: 'invaliddata', description: 'sort must name a field' });
  });

  it.each(['asc', 'desc'] as const)('accepts orderBy=%s', (orderBy) => {
    expect(parseCollectionParams({ sort: 'familyName', orderBy }, opts).orderBy).toBe(orderBy);
  });

  it.each(['ASC', 'Desc', 'up', ''])('rejects orderBy=%j', (raw) => {
    expect(rejection({ orderBy: raw })).toEqual({
      status: 400,
      codeMinor: 'invaliddata',
      description: `orderBy must be "asc" or "desc", got ${JSON.stringify(raw)}`,
    });
  });
});

describe('parseCollectionParams: repeated parameters', () => {
  it.each(['limit', 'offset', 'sort', 'orderBy', 'filter'])('rejects %s given twice', (name) => {
    expect(rejection({ [name]: ['1', '2'] })).toEqual({
      status: 400,
      codeMinor: 'invaliddata',
      description: `query parameter ${name} was given 2 times; give it at most once`,
    });
  });

  it('treats a one-element array as the single value', () => {
    expect(parseCollectionParams({ limit: ['10'], orderBy: ['desc'] }, opts)).toMatchObject({ limit: 10, orderBy: 'desc' });
  });

  it('treats an empty array as an absent parameter', () => {
    expect(parseCollectionParams({ limit: [], fields: [] }, opts)).toMatchObject({ limit: 100, fields: undefined });
  });
});

describe('parseCollectionParams: filter', () => {
  it('parses the filter into a tree', () => {
    expect(parseCollectionParams({ filter: "role='student' AND status='active'" }, opts).filter).toEqual({
      kind: 'and',
      operands: [
        { kind: 'predicate', path: ['role'], op: '=', value: 'student' },
        { kind: 'predicate', path: ['status'], op: '=', value: 'active' },
      ],
    });
  });

  it('turns a syntax error into 400 invalid_filter_field with the position', () => {
    expect(rejection({ filter: 'givenName=Ann' })).toEqual({
      status: 400,
      codeMinor: 'invalid_filter_field',
      description: 'filter: expected a quoted value at position 10, found "Ann"',
    });
  });

  it('rejects an empty filter', () => {
    expect(rejection({ filter: '' })).toMatchObject({ status: 400, codeMinor: 'invalid_filter_field' });
  });
});

describe('parseFieldsParam', () => {
  it.each([
    ['sourcedId', ['sourcedId']],
    ['sourcedId,givenName,familyName', ['sourcedId', 'givenName', 'familyName']],
    [' sourcedId , , givenName ,', ['sourcedId', 'givenName']],
    [['sourcedId', 'givenName'], ['sourcedId', 'givenName']],
    [['sourcedId,givenName', ' familyName', ''], ['sourcedId', 'givenName', 'familyName']],
  ])('reads %j', (raw, fields) => {
    expect(parseFieldsParam(raw)).toEqual(fields);
  });

  it('returns undefined when fields is absent', () => {
    expect(parseFieldsParam(undefined)).toBeUndefined();
    expect(parseFieldsParam([])).toBeUndefined();
  });

  it.each(['', ' , ,', [',', '']])('rejects %j, which names no field', (raw) => {
    const error = restErrorOf(() => parseFieldsParam(raw));
    expect(error).toMatchObject({ status: 400, codeMinor: 'invalid_selection_field' });
    expect(error.description).toBe('fields must list at least one field name');
  });

  it('is used for the fields parameter of a collection', () => {
    expect(parseCollectionParams({ fields: ['a,b', 'c'] }, opts).fields).toEqual(['a', 'b', 'c']);
  });
});

describe('parseCollectionParams: properties', () => {
  const name = fc.oneof(
    fc.constantFrom('limit', 'offset', 'sort', 'orderBy', 'filter', 'fields', 'constructor', '__proto__', 'toString'),
    fc.string(),
  );
  const scalar = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.integer({ min: -5, max: 3000 }).map(String),
    fc.constantFrom('asc', 'desc', "a='1'", "a='1' AND b.c>'2'", '99999999999999999999999'),
  );
  const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.constant(undefined));
  const query = fc.dictionary(name, value);
  const options = fc.record(
    { maxLimit: fc.integer({ min: 1, max: 5000 }), defaultLimit: fc.integer({ min: 1, max: 5000 }) },
    { requiredKeys: ['maxLimit'] },
  );

  it('returns valid params or throws RestError 400, for any query', () => {
    fc.assert(
      fc.property(query, options, (q, o) => {
        try {
          const params = parseCollectionParams(q, o);
          expect(params.limit).toBeGreaterThanOrEqual(1);
          expect(params.limit).toBeLessThanOrEqual(o.maxLimit);
          expect(params.offset).toBeGreaterThanOrEqual(0);
          expect(['asc', 'desc']).toContain(params.orderBy);
        } catch (error) {
          if (!(error instanceof RestError)) throw error;
          expect(error.status).toBe(400);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
