import { GraphQLError } from 'graphql';

/**
 * Every error a client can cause carries a code in `extensions.code`; the REST layer maps these
 * codes to OneRoster statuses in one place (rest/errors.ts) and yoga does not mask them.
 * UNAUTHENTICATED is answered before any resolver runs (src/app.ts), never thrown as a CodedError.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'INVALID_FILTER_FIELD'
  | 'INVALID_SORT_FIELD' | 'QUERY_TOO_COMPLEX' | 'VALIDATION_FAILED' | 'FILTER_TOO_COMPLEX' | 'TIMEOUT' | 'DATABASE_UNAVAILABLE';

export class CodedError extends GraphQLError {
  constructor(readonly code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

export const badInput = (message: string, extra?: Record<string, unknown>) => new CodedError('BAD_USER_INPUT', message, extra);
export const notFound = (type: string, sourcedId: string) =>
  new CodedError('NOT_FOUND', `${type} ${sourcedId} does not exist`, { type, sourcedId });
export const forbidden = (message: string) => new CodedError('FORBIDDEN', message);
export const validationFailed = (field: string, message: string) =>
  new CodedError('VALIDATION_FAILED', `${field}: ${message}`, { field });
