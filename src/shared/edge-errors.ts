import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TOKEN_PATH } from '../auth/token-route.js';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../ops/db-unavailable.js';
import { statusBody } from '../rest/envelope.js';
import { clientFault, FRAMEWORK_MESSAGES } from './client-fault.js';

/**
 * Errors detected before any route runs (bad percent-encoding, an over-long URL or header block, a
 * body too large, malformed or too deep) answered in the error format of the API the path belongs to:
 * the OneRoster imsx_StatusInfo body under /ims/, RFC 6749 §5.2 on the token endpoint, a GraphQL
 * error list on /graphql, and Fastify's own shape elsewhere.
 */
export type Surface = 'rest' | 'token' | 'graphql' | 'other';

const pathOf = (url: string) => url.split('?')[0]!;

export function surfaceOf(url: string): Surface {
  const path = pathOf(url);
  if (path.startsWith('/ims/')) return 'rest';
  if (path === TOKEN_PATH || path === `${TOKEN_PATH}/`) return 'token';
  if (path === '/graphql' || path === '/graphql/') return 'graphql';
  return 'other';
}

export function edgeBody(url: string, status: number, message: string): unknown {
  switch (surfaceOf(url)) {
    case 'rest': {
      const version = pathOf(url).startsWith('/ims/oneroster/v1p1/') ? 'v1p1' : 'v1p2';
      const codeMinor = status === 503 ? 'server_busy' : status >= 500 ? 'internal_server_error' : 'invaliddata';
      return statusBody({ status, codeMinor, description: message }, version);
    }
    case 'token': return status === 503 ? { error: 'temporarily_unavailable', error_description: message } : status >= 500 ? { error: 'server_error' } : { error: 'invalid_request', error_description: message };
    case 'graphql': return { errors: [{ message, extensions: { code: status === 503 ? 'DATABASE_UNAVAILABLE' : status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT' } }] };
    default: return { error: STATUS_CODES[status] ?? 'Error', message, statusCode: status };
  }
}

export const sendEdgeError = (req: FastifyRequest, reply: FastifyReply, status: number, message: string) =>
  reply.code(status).type('application/json; charset=utf-8').send(edgeBody(req.url, status, message));

/** The error handler of routes outside the REST and token plugins (GraphQL, health). */
export function edgeErrorHandler(error: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const fault = clientFault(error);
  if (fault) return sendEdgeError(req, reply, fault.status, fault.message);
  if (isDatabaseUnavailable(error)) return sendEdgeError(req, reply.header('Retry-After', '5'), 503, DATABASE_UNAVAILABLE_MESSAGE);
  req.log.error({ err: error }, 'request failed');
  return sendEdgeError(req, reply, 500, 'internal server error');
}

/** Fastify's frameworkErrors: a URL that cannot be decoded, a path parameter over maxParamLength. */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  return sendEdgeError(req, reply, status, FRAMEWORK_MESSAGES[error.code] ?? 'malformed request');
}

/** The request line's path from the bytes Node's HTTP parser gave up on, when they start with it. */
function requestPathOf(raw: unknown): string {
  if (!Buffer.isBuffer(raw)) return '';
  const m = /^[A-Z]+ (\/[^ \r\n?]*)/.exec(raw.subarray(0, 2048).toString('latin1'));
  return m?.[1] ?? '';
}

/**
 * Node's HTTP parser errors (431 header block too large, 400 unparsable request), which never reach
 * Fastify's routing. The path, when the raw bytes still hold the request line, picks the body format.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message = status === 431 ? 'the request line and headers are larger than the server accepts'
    : status === 408 ? 'the request was not received in time' : 'malformed HTTP request';
  this.log.trace({ err: error }, 'client error');
  const body = JSON.stringify(edgeBody(requestPathOf(error.rawPacket), status, message));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
      + `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
