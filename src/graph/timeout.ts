import { CodedError } from '../shared/errors.js';

/** PostgreSQL's query_canceled: statement_timeout fired (or the statement was cancelled). */
export const QUERY_CANCELED = '57014';

export const isStatementTimeout = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && 'code' in err && err.code === QUERY_CANCELED;

/**
 * The coded error for a cancelled statement: GraphQL `TIMEOUT`, REST 503 (rest/errors.ts). It is a
 * limit of the service, not a fault, and says which limit so that a client can narrow its request.
 */
export function timeoutError(statementTimeoutMs?: number): CodedError {
  const limit = statementTimeoutMs ? ` of ${statementTimeoutMs} ms` : '';
  return new CodedError('TIMEOUT', `the database cancelled a statement of this request: it ran past the statement timeout${limit} (STATEMENT_TIMEOUT_MS); narrow the request (a filter, smaller pages) or retry later`,
    { limit: 'STATEMENT_TIMEOUT_MS', ...(statementTimeoutMs ? { statementTimeoutMs } : {}) });
}
