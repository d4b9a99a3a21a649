import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { clientErrorHandler, edgeErrorHandler, frameworkErrors, sendEdgeError } from './edge-errors.js';
import { findNul, hasNul, jsonTextTooDeep, nulMessage, tooDeepMessage } from './input-limits.js';

export interface EdgeLimits {
  /** Largest request body of GraphQL and the REST writes (routes may set their own). */
  maxBodyBytes: number;
  /** Deepest nesting of objects/arrays in a JSON body or in GraphQL variables. */
  maxJsonDepth: number;
}

/** Longer request targets are refused with 414: no OneRoster request needs one, and they fill logs. */
export const MAX_URL_BYTES = 8192;
/** Fits a 255-character sourcedId even fully percent-encoded. */
const MAX_PARAM_LENGTH = 3 * 255;

/**
 * `/users/` is `/users`: generated SDKs and 1.1 connectors send the slash on collection calls, and
 * without this the empty segment would be read as an empty sourcedId. Only one slash is dropped;
 * what remains of `/users//` is an empty segment, refused by the onRequest check below.
 */
export function stripTrailingSlash(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.startsWith('/ims/') || !path.endsWith('/')) return url;
  return path.slice(0, -1) + (q < 0 ? '' : url.slice(q));
}

/** Fastify constructor options of the edge: body limit, URL rewriting, and the error bodies of errors raised before routing. */
export function edgeServerOptions(limits: EdgeLimits): FastifyServerOptions {
  return {
    bodyLimit: limits.maxBodyBytes,
    rewriteUrl: (req: IncomingMessage) => stripTrailingSlash(req.url ?? '/'),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    clientErrorHandler,
  };
}

function checkUrl(req: FastifyRequest, reply: FastifyReply) {
  const url = req.url;
  if (Buffer.byteLength(url) > MAX_URL_BYTES) return sendEdgeError(req, reply, 414, `the URL is longer than ${MAX_URL_BYTES} bytes`);
  if (/%00/.test(url) || hasNul(url)) return sendEdgeError(req, reply, 400, nulMessage('the URL'));
  const path = url.split('?')[0]!;
  // After stripTrailingSlash, a slash still at the end is an empty last segment.
  if (path.startsWith('/ims/') && (path.includes('//') || path.endsWith('/'))) {
    return sendEdgeError(req, reply, 400, 'the path has an empty segment; an empty sourcedId names no object');
  }
  return undefined;
}

/**
 * Installs the checks every request passes before any route works on it (authentication
 * included): URL length, NUL characters and empty path segments; JSON bodies are measured for
 * depth before they are parsed; parsed bodies (JSON, forms) are checked for NUL.
 * Call before registering routes.
 */
export function installEdge(app: FastifyInstance, limits: EdgeLimits) {
  app.setErrorHandler(edgeErrorHandler);

  app.addHook('onRequest', async (req, reply) => {
    const refused = checkUrl(req, reply);
    if (refused) return refused;
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonTextTooDeep(body as string, limits.maxJsonDepth)) {
      return done(Object.assign(new Error(tooDeepMessage(limits.maxJsonDepth)), { statusCode: 400 }), undefined);
    }
    parseJson(req, body as string, done);
  });

  app.addHook('preValidation', async (req, reply) => {
    // Streams (CSV uploads) are left to their route.
    const where = findNul(req.body);
    if (where) return sendEdgeError(req, reply, 400, nulMessage(`the request body (at ${where})`));
  });
}
