import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonBytes } from '../../src/rest/json-bytes.js';

const whole = (body: unknown) => Buffer.from(JSON.stringify(body), 'utf8');

describe('jsonBytes (REST bodies encoded record by record)', () => {
  it('gives the bytes of JSON.stringify for any body of records and other values', () => {
    const record = fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue());
    const body = fc.dictionary(fc.string({ unit: 'binary' }), fc.oneof(fc.array(record), record, fc.jsonValue()));
    fc.assert(fc.property(body, (b) => {
      expect(jsonBytes(b).equals(whole(b))).toBe(true);
    }), { numRuns: 500 });
  });

  it('handles a page mixing one-byte, two-byte, astral and lone-surrogate text', () => {
    const users = [
      { sourcedId: 'u1', givenName: 'Ana' },
      { sourcedId: 'u2', givenName: 'Zoë', familyName: 'Ωμέγα 王 😀' },
      { sourcedId: 'u3', givenName: 'lone \ud800 surrogate', note: 'quote " backslash \\ newline \n' },
    ];
    const bytes = jsonBytes({ users });
    expect(bytes.equals(whole({ users }))).toBe(true);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ users });
  });

  it('leaves out undefined properties and writes undefined list items as null, as JSON.stringify does', () => {
    const body = { users: [{ a: 1 }, undefined], skipped: undefined, n: 2 };
    expect(jsonBytes(body).toString('utf8')).toBe('{"users":[{"a":1},null],"n":2}');
  });
});
