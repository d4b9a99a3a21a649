import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { TooManyFailures } from '../auth/oauth1-verifier.js';
import { isOAuth1Request } from '../auth/request-auth.js';
import { hasAnyScope } from '../auth/scopes.js';
import { AuthError } from '../auth/tokens.js';
import { invalidSourcedIdMessage, isValidSourcedId } from '../shared/sourced-id.js';
import { statusBody } from './envelope.js';
import type { RestRouteConfig } from './route-config.js';

export const REST_PREFIX = '/ims/';
export const BEARER_CHALLENGE = 'Bearer realm="oneroster-graph"';
export const OAUTH1_CHALLENGE = 'OAuth realm="oneroster-graph"';

/**
 * Registers the authentication and scope check and the path sourcedId check for every route under /ims/, and refuses (at start-up)
 * any such route that does not declare its scopes: a route cannot be added without its scope.
 */
export function guardRestRoutes(app: FastifyInstance) {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith(REST_PREFIX)) return;
    // Fastify types a route's config as its own context config; REST routes add RestRouteConfig to it.
    const declared = route.config as Partial<RestRouteConfig> | undefined;
    if (!declared?.scopes?.length || !declared.version) {
      throw new Error(`REST route ${String(route.method)} ${route.url} declares no scopes`);
    }
    const config: RestRouteConfig = { scopes: declared.scopes, version: declared.version };
    const checks = route.onRequest ? [route.onRequest].flat() : [];
    route.onRequest = [restAuthorize(app, config), ...checks];
    const handlers = route.preHandler ? [route.preHandler].flat() : [];
    route.preHandler = [checkPathIds(config), ...handlers];
  });
}

/**
 * Every path parameter of a REST route is a sourcedId and must follow the one sourcedId rule. On a
 * read an id that breaks it names no object (404, as an unknown id would); on a write it is a bad request.
 */
function checkPathIds(config: RestRouteConfig) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    // Fastify types params per route; every path parameter of a REST route is a string.
    for (const id of Object.values((req.params ?? {}) as Record<string, string>)) {
      if (isValidSourcedId(id)) continue;
      const message = invalidSourcedIdMessage('path parameter', id);
      const [status, codeMinor] = req.method === 'GET' ? [404, 'unknownobject'] as const : [400, 'invaliddata'] as const;
      return reply.code(status).send(statusBody({ status, codeMinor, description: status === 404 ? `Unknown Object: ${message}` : message }, config.version));
    }
  };
}

function restAuthorize(app: FastifyInstance, config: RestRouteConfig) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    // OneRoster 1.1 consumers sign requests with OAuth 1.0a; bearer tokens work on every version.
    const allowOAuth1 = config.version === 'v1p1';
    try {
      req.principal = await app.authenticatePrincipal(req, { allowOAuth1 });
    } catch (err) {
      if (err instanceof TooManyFailures) {
        return reply.code(429).header('Retry-After', String(err.retryAfterSeconds))
          .send(statusBody({ status: 429, codeMinor: 'server_busy', description: err.message }, config.version));
      }
      if (!(err instanceof AuthError)) throw err;
      const challenge = allowOAuth1 && isOAuth1Request(req)
        ? OAUTH1_CHALLENGE
        : `${BEARER_CHALLENGE}, error="invalid_token", error_description="${err.reason}"`;
      return reply.code(401).header('WWW-Authenticate', challenge)
        .send(statusBody({ status: 401, codeMinor: 'unauthorisedrequest', description: err.message }, config.version));
    }
    if (!hasAnyScope(req.principal.scopes, config.scopes)) {
      return reply.code(403).send(statusBody({
        status: 403, codeMinor: 'forbidden', description: `this endpoint needs one of the scopes: ${config.scopes.join(' ')}`,
      }, config.version));
    }
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticatePrincipal: (req: FastifyRequest, opts?: { allowOAuth1?: boolean }) => Promise<import('../auth/request-auth.js').Principal>;
  }
}
