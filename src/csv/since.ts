import { InvalidArgumentError } from 'commander';

/** An ISO 8601 datetime with a zone (Z or ±hh:mm), normalised to UTC with milliseconds. */
export function parseSince(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('expected an ISO datetime such as 2025-01-31T00:00:00.000Z');
  }
  return new Date(value).toISOString();
}
