/**
 * Telling "the database is unreachable" (restarting, connections terminated, pool exhausted by dead
 * sockets) apart from a fault of the service: the former answers 503 with a coded error and the
 * service recovers by itself once the database is back (the pool replaces dead connections), the
 * latter stays a 500.
 */
import { CodedError } from '../shared/errors.js';

// SQLSTATE class 08 (connection exception) and the shutdown / too-many-connections codes.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// pg and knex raise these without a code.
const UNAVAILABLE_MESSAGES = /Connection terminated|Connection ended unexpectedly|not queryable|Client was closed|not currently accepting connections|the database system is (starting up|shutting down|in recovery)|Timeout acquiring a connection|Unable to acquire a connection/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return true;
    if (name === 'KnexTimeoutError') return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    // MikroORM keeps the driver's error as `previous`, graphql-js as `originalError`, others as `cause`.
    const next = e as { cause?: unknown; previous?: unknown; originalError?: unknown };
    e = next.originalError ?? next.previous ?? next.cause;
  }
  return false;
}

export const DATABASE_UNAVAILABLE_MESSAGE = 'the database is unavailable; retry shortly';

/** GraphQL `DATABASE_UNAVAILABLE`, answered with HTTP 503 by yoga and mapped to 503 server_busy on REST. */
export const databaseUnavailableError = () =>
  new CodedError('DATABASE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE, { http: { status: 503, headers: { 'Retry-After': '5' } } });

/** The error to raise for `err`: the coded one when the database is unreachable, else `err` itself. */
export const unavailableOr = (err: unknown): unknown => (isDatabaseUnavailable(err) ? databaseUnavailableError() : err);
