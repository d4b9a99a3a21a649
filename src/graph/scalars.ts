import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from '../shared/errors.js';

/** An ISO 8601 date-time with a zone; the one pattern for date-time input (the REST filter reads it too). */
export const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * ISO 8601 date-time. Values come out of the database already formatted as the OneRoster binding
 * wants them (UTC, milliseconds, `Z`); input must carry a zone so that no server time zone leaks in.
 */
export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'An ISO 8601 date-time with a time zone, e.g. 2025-09-01T12:00:00.000Z.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => parseDateTime(value),
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

export function parseDateTime(value: unknown): string {
  if (typeof value !== 'string' || !ISO_DATETIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw badInput(`expected an ISO 8601 date-time with a time zone, got ${JSON.stringify(value)}`);
  }
  return new Date(value).toISOString();
}
