import { describe, expect, it } from 'vitest';
import { statusBody } from '../../src/rest/envelope.js';
import { RestError, type CodeMinor } from '../../src/rest/errors.js';

const ALL_CODE_MINORS: CodeMinor[] = [
  'invalid_filter_field',
  'invalid_selection_field',
  'invalid_sort_field',
  'invaliddata',
  'unauthorisedrequest',
  'forbidden',
  'unknownobject',
  'server_busy',
  'internal_server_error',
];

function codeMinorValue(body: ReturnType<typeof statusBody>): string {
  return body.imsx_CodeMinor.imsx_codeMinorField[0].imsx_codeMinorFieldValue;
}

describe('RestError', () => {
  it('carries status, codeMinor and description', () => {
    const error = new RestError(404, 'unknownobject', 'Unknown Object');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'RestError', status: 404, codeMinor: 'unknownobject', message: 'Unknown Object' });
    expect(error.description).toBe('Unknown Object');
  });
});

describe('statusBody v1p2', () => {
  it('matches the 404 example of rest.md §5 byte for byte', () => {
    const body = statusBody({ status: 404, codeMinor: 'unknownobject', description: 'Unknown Object' }, 'v1p2');
    expect(JSON.stringify(body)).toBe(
      '{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_description":"Unknown Object",' +
        '"imsx_CodeMinor":{"imsx_codeMinorField":[{"imsx_codeMinorFieldName":"TargetEndSystem","imsx_codeMinorFieldValue":"unknownobject"}]}}',
    );
  });

  it('accepts a RestError as it is', () => {
    const body = statusBody(new RestError(400, 'invalid_filter_field', 'filter: bad'), 'v1p2');
    expect(body).toMatchObject({ imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_description: 'filter: bad' });
    expect(codeMinorValue(body)).toBe('invalid_filter_field');
  });

  it.each(ALL_CODE_MINORS)('sends %s unchanged', (codeMinor) => {
    expect(codeMinorValue(statusBody({ status: 400, codeMinor, description: '' }, 'v1p2'))).toBe(codeMinor);
  });

  it.each([400, 401, 403, 404, 422, 429, 500])('reports HTTP %i as failure/error', (status) => {
    expect(statusBody({ status, codeMinor: 'invaliddata', description: 'x' }, 'v1p2')).toMatchObject({
      imsx_codeMajor: 'failure',
      imsx_severity: 'error',
    });
  });
});

describe('statusBody v1p1', () => {
  it.each([
    ['invalid_filter_field', 'invalid_filter_field'],
    ['invalid_selection_field', 'invalid_selection_field'],
    ['invalid_sort_field', 'invalid_sort_field'],
    ['invaliddata', 'invalid data'],
    ['unauthorisedrequest', 'unauthorized'],
    ['forbidden', 'unauthorized'],
    ['unknownobject', 'unknown object'],
    ['server_busy', 'server_busy'],
    ['internal_server_error', 'internal_server_error'],
  ] satisfies [CodeMinor, string][])('spells %s as %j', (codeMinor, v1p1) => {
    expect(codeMinorValue(statusBody({ status: 400, codeMinor, description: '' }, 'v1p1'))).toBe(v1p1);
  });

  it('uses the same body shape as 1.2', () => {
    expect(statusBody({ status: 404, codeMinor: 'unknownobject', description: 'Unknown Object' }, 'v1p1')).toEqual({
      imsx_codeMajor: 'failure',
      imsx_severity: 'error',
      imsx_description: 'Unknown Object',
      imsx_CodeMinor: {
        imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: 'unknown object' }],
      },
    });
  });
});
