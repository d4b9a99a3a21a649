import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import { ClientStore } from './auth/clients.js';
import { SharingRules } from './auth/sharing/rules.js';
import { FailureLimiter } from './auth/failure-limiter.js';
import { NonceStore } from './auth/nonces.js';
import { OAuth1Verifier } from './auth/oauth1-verifier.js';
import { ANONYMOUS, Authenticator, type Principal } from './auth/request-auth.js';
import type { SigningKeys } from './auth/signing-keys.js';
import { TokenGenerations } from './auth/token-generations.js';
import { tokenRoute } from './auth/token-route.js';
import { AuthError } from './auth/tokens.js';
import type { AppConfig } from './db/config.js';
import type { ReadPolicy } from './data/read-policy.js';
import type { Database } from './db/orm.js';
import { replicaRoutingOf } from './db/replica-routing.js';
import { statsOf, type RequestStats } from './ops/request-stats.js';
import { run, sql } from './db/sql.js';
import { createContext, type Context } from './graph/context.js';
import type { ExecutorName } from './graph/executor.js';
import { readTableStats, TableStatsCache } from './graph/cost.js';
import { schema } from './graph/schema.js';
import { createGraphQLServer } from './graph/yoga.js';
import { installOps } from './ops/index.js';
import { csvRoutes } from './csv/routes.js';
import { guardRestRoutes } from './rest/guard.js';
import { gradebookWriteRoutes } from './rest/writes/routes.js';
import { restRoutes } from './rest/routes.js';
import { graphqlInputProblem } from './shared/graphql-input.js';
import { edgeServerOptions, installEdge } from './shared/http-edge.js';

export interface AppOptions {
  db: Database;
  config: AppConfig;
  keys: SigningKeys;
  /** A pino destination for tests that capture the log. */
  logStream?: NodeJS.WritableStream;
  /** Pre-filled GraphiQL headers per request (the demo token of a demo store: src/auth/demo.ts). */
  graphiqlHeadersFor?: (req: FastifyRequest) => Promise<string | undefined>;
  /** The executor of REST reads (default graphql-jit); bench:rest compares the two. */
  restExecutor?: ExecutorName;
  /** Overrides what each caller may read (otherwise its client's sharing rules, src/auth/sharing/). GraphQL and REST both take it from here. */
  readPolicyFor?: (principal: Principal) => ReadPolicy;
}

/** The HTTP surface: GraphQL, the token endpoint, health, and the REST layer that calls the graph. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { db, config, keys } = opts;
  const edgeLimits = { maxBodyBytes: config.maxBodyBytes, maxJsonDepth: config.maxJsonDepth };
  const app = Fastify({
    ...edgeServerOptions(edgeLimits),
    // src/ops/access-log.ts writes the one line per request instead.
    logController: new LogController({ disableRequestLogging: true }),
    logger: {
      level: config.logLevel,
      ...(opts.logStream ? { stream: opts.logStream } : {}),
      // Credentials never reach the log, whatever a handler does with the request.
      redact: ['req.headers.authorization', 'req.body.client_secret', 'headers.authorization'],
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
      },
    },
  });
  installEdge(app, edgeLimits);
  installOps(app, db, config);

  const limits = {
    maxLimit: config.maxLimit, maxDepth: config.maxDepth, maxComplexity: config.maxComplexity,
    filter: { maxPredicates: config.maxFilterPredicates, maxDepth: config.maxFilterDepth },
    statementTimeoutMs: config.statementTimeoutMs,
  };
  const costStats = new TableStatsCache(() => readTableStats((statement) => run(db.orm.em.fork(), statement)));
  const sharingRules = new SharingRules(db.orm.em);
  const replicas = replicaRoutingOf(db, config.replicaReadYourWritesMs);
  app.addHook('onClose', () => replicas.close());
  // Writes other than GraphQL mutations (REST writes run one, CSV uploads do not) start the writer's
  // read-your-writes window too; onSend runs before the client has the answer, so before its next read.
  app.addHook('onSend', async (req) => {
    if (req.principal && !SAFE_METHODS.has(req.method) && req.routeOptions.url !== '/graphql' && req.routeOptions.url !== '/oauth/token') {
      await replicas.noteWrite(req.principal.clientId);
    }
  });
  // What a caller reads follows its client's sharing rules (src/auth/sharing/), unless readPolicyFor says otherwise.
  const contextFor = async (principal = ANONYMOUS, stats?: RequestStats): Promise<Context> => createContext({
    em: db.orm.em, scopes: principal.scopes, clientId: principal.clientId, limits, costStats: await costStats.current(),
    sharing: await sharingRules.for(principal.clientId), policy: opts.readPolicyFor?.(principal), replicas, stats, schema,
  });
  app.decorate('graphContext', contextFor);
  const clients = new ClientStore(db.orm.em);
  const limiter = new FailureLimiter(db.orm.em);
  const auth = new Authenticator({
    keys, authDisabled: config.authDisabled,
    generations: new TokenGenerations((id) => clients.tokenGeneration(id)),
    oauth1: new OAuth1Verifier({ findClient: (id) => clients.findForSigning(id), nonces: new NonceStore(db.orm.em), limiter }),
  });
  // Kept on the request too, so the access log and /metrics name the client of every authenticated route.
  app.decorate('authenticatePrincipal', async (req: FastifyRequest, opts?: { allowOAuth1?: boolean }) => (req.principal = await auth.authenticate(req, opts)));
  guardRestRoutes(app);
  await app.register(gradebookWriteRoutes);
  await app.register(restRoutes, { executor: opts.restExecutor });
  await app.register(csvRoutes(db, config.csv));

  await app.register(tokenRoute({
    keys, clients, ttlSeconds: config.tokenTtlSeconds, limiter,
  }));

  // Liveness: the process answers. Readiness: the database answers and its schema is current, so a load
  // balancer sends no traffic to an instance whose database is down or not yet migrated.
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await run(db.orm.em.fork(), sql`select 1`);
      const pending = await db.orm.getMigrator().getPendingMigrations();
      if (pending.length) return reply.code(503).send({ status: 'migrations pending', pending: pending.map((m) => m.name) });
      return { status: 'ready' };
    } catch (err) {
      app.log.warn({ err }, 'readiness check failed');
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });

  const yoga = createGraphQLServer({
    logger: app.log,
    graphiqlHeadersFor: opts.graphiqlHeadersFor,
    documentLimits: config.graphqlDocument,
    context: async (req) => contextFor(req.principal, statsOf(req)),
  });
  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler: async (req, reply) => {
      // No token: introspection and GraphiQL work, data fields answer FORBIDDEN. A bad token: 401.
      if (req.headers.authorization || config.authDisabled) {
        try {
          req.principal = await auth.authenticate(req);
        } catch (err) {
          if (!(err instanceof AuthError)) throw err;
          return reply.code(401).header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${err.reason}"`)
            .send({ errors: [{ message: err.message, extensions: { code: 'UNAUTHENTICATED' } }] });
        }
      }
      const problem = graphqlInputProblem((req.method === 'GET' ? req.query : req.body) ?? {}, config.maxJsonDepth);
      if (problem) return reply.code(400).send({ errors: [{ message: problem, extensions: { code: 'BAD_USER_INPUT' } }] });
      const response = await yoga.handleNodeRequestAndResponse(req, reply, { req, reply });
      response.headers.forEach((value, key) => reply.header(key, value));
      reply.status(response.status);
      // A JSON result is one string already: sent whole (one write, with its length) rather than piped
      // through a web stream in chunks. Anything else (the GraphiQL page) is piped as it comes.
      reply.send(/json/.test(response.headers.get('content-type') ?? '') ? await response.text() : response.body);
      return reply;
    },
  });
  return app;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const SENSITIVE_PARAMS = /([?&](?:access_token|token|client_secret|secret|password)=)[^&#]*/gi;

/** A request URL safe to log: credential-like query parameters are blanked. */
export const redactUrl = (url: string) => url.replace(SENSITIVE_PARAMS, '$1***');

declare module 'fastify' {
  interface FastifyInstance {
    /** A graph context for an in-process GraphQL execution (the REST layer's path to the data). */
    graphContext: (principal?: import('./auth/request-auth.js').Principal, stats?: RequestStats) => Promise<Context>;
  }
  interface FastifyRequest {
    principal?: import('./auth/request-auth.js').Principal;
  }
}
