import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ClientStore } from './auth/clients.js';
import { FailureLimiter } from './auth/failure-limiter.js';
import { ANONYMOUS, authenticate } from './auth/request-auth.js';
import type { SigningKeys } from './auth/signing-keys.js';
import { tokenRoute } from './auth/token-route.js';
import { AuthError } from './auth/tokens.js';
import type { AppConfig } from './db/config.js';
import type { Database } from './db/orm.js';
import { createContext, type Context } from './graph/context.js';
import { createGraphQLServer } from './graph/yoga.js';
import { csvRoutes } from './csv/routes.js';
import { guardRestRoutes } from './rest/guard.js';
import { gradebookWriteRoutes } from './rest/writes/routes.js';
import { restRoutes } from './rest/routes.js';

export interface AppOptions {
  db: Database;
  config: AppConfig;
  keys: SigningKeys;
  /** A pino destination for tests that capture the log. */
  logStream?: NodeJS.WritableStream;
  /** Pre-filled GraphiQL headers (the demo token of a fresh embedded store). */
  graphiqlHeaders?: string;
}

/** The HTTP surface: GraphQL, the token endpoint, health, and the REST layer that calls the graph. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { db, config, keys } = opts;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(opts.logStream ? { stream: opts.logStream } : {}),
      // Credentials never reach the log, whatever a handler does with the request.
      redact: ['req.headers.authorization', 'req.body.client_secret', 'headers.authorization'],
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
      },
    },
    bodyLimit: 50 * 1024 * 1024,
  });

  const limits = { maxLimit: config.maxLimit, maxDepth: config.maxDepth, maxComplexity: config.maxComplexity };
  const contextFor = async (principal = ANONYMOUS): Promise<Context> =>
    createContext({ em: db.orm.em, scopes: principal.scopes, clientId: principal.clientId, limits });
  app.decorate('graphContext', contextFor);
  app.decorate('authenticatePrincipal', (req: FastifyRequest) => authenticate(req, keys, config.authDisabled));
  guardRestRoutes(app);
  await app.register(gradebookWriteRoutes);
  await app.register(restRoutes);
  await app.register(csvRoutes(db, config.csv));

  await app.register(tokenRoute({
    keys, clients: new ClientStore(db.orm.em), ttlSeconds: config.tokenTtlSeconds, limiter: new FailureLimiter(),
  }));

  app.get('/healthz', async () => {
    await db.orm.em.fork().getConnection().execute('select 1');
    return { status: 'ok' };
  });

  const yoga = createGraphQLServer({
    logger: app.log,
    graphiqlHeaders: opts.graphiqlHeaders,
    context: async (req) => contextFor(req.principal),
  });
  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler: async (req, reply) => {
      // No token: introspection and GraphiQL work, data fields answer FORBIDDEN. A bad token: 401.
      if (req.headers.authorization || config.authDisabled) {
        try {
          req.principal = await authenticate(req, keys, config.authDisabled);
        } catch (err) {
          if (!(err instanceof AuthError)) throw err;
          return reply.code(401).header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${err.reason}"`)
            .send({ errors: [{ message: err.message, extensions: { code: 'UNAUTHENTICATED' } }] });
        }
      }
      const response = await yoga.handleNodeRequestAndResponse(req, reply, { req, reply });
      response.headers.forEach((value, key) => reply.header(key, value));
      reply.status(response.status);
      reply.send(response.body);
      return reply;
    },
  });
  return app;
}

const SENSITIVE_PARAMS = /([?&](?:access_token|token|client_secret|secret|password)=)[^&#]*/gi;

/** A request URL safe to log: credential-like query parameters are blanked. */
export const redactUrl = (url: string) => url.replace(SENSITIVE_PARAMS, '$1***');

declare module 'fastify' {
  interface FastifyInstance {
    /** A graph context for an in-process GraphQL execution (the REST layer's path to the data). */
    graphContext: (principal?: import('./auth/request-auth.js').Principal) => Promise<Context>;
  }
  interface FastifyRequest {
    principal?: import('./auth/request-auth.js').Principal;
  }
}
