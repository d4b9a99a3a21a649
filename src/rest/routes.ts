import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/request-auth.js';
import type { Context } from '../graph/context.js';
import { createExecutor, type Executor, type ExecutorName } from '../graph/executor.js';
import { schema } from '../graph/schema.js';
import { readScopes } from '../graph/scopes.js';
import { ENDPOINTS, type Endpoint } from './endpoints.js';
import { restErrorHandler, statusBody } from './envelope.js';
import type { RestRouteConfig } from './route-config.js';
import { jsonBytes } from './json-bytes.js';
import { parseCollectionParams, parseFieldsParam } from './params.js';
import { routePath, Translator, type RestRequest } from './translate.js';

type Query = Record<string, string | string[] | undefined>;

/**
 * The graph's read scopes, one per type. A REST request that passed the guard (the endpoint's own
 * scopes, rest.md §2.1) runs its fixed document with these: the document reaches only the endpoint's
 * entity, the parents named in its path, and the sourcedIds of referenced objects (a line item's
 * class, a user's resources), which the OneRoster bodies carry whatever service the reference
 * points into. It also lets a v1.1 token read the v1.2-scoped graph.
 */
const GRAPH_READ_SCOPES: ReadonlySet<string> = new Set(Object.values(readScopes).map((s) => s![0]!));

/** Fastify route URL: the OAS path with positional parameter names, so `/classes/{sourcedId}` and `/classes/{classSourcedId}/students` share a node. */
export function fastifyUrl(e: Endpoint): string {
  let n = 0;
  return routePath(e).replace(/\{[^}]+\}/g, () => `:p${n++}`);
}

function requestUrl(req: FastifyRequest): URL {
  return new URL(req.url, `${req.protocol}://${req.host}`);
}

/** The graph context a REST read document runs with (the caller's own scopes were checked by the guard). */
export async function restReadContext(app: FastifyInstance, clientId?: string): Promise<Context> {
  const principal: Principal = { clientId, scopes: GRAPH_READ_SCOPES };
  const ctx = await app.graphContext(principal);
  // Our documents are bounded by construction; the complexity limit guards client-written GraphQL.
  return { ...ctx, limits: { ...ctx.limits, maxComplexity: Infinity, maxDepth: Infinity } };
}

/** Runs one REST read through the graph: translate, execute in process, translate back. */
async function answer(app: FastifyInstance, translator: Translator, executor: Executor, endpoint: Endpoint, req: FastifyRequest, reply: FastifyReply) {
  const contextValue = await restReadContext(app, req.principal?.clientId);
  const maxLimit = contextValue.limits.maxLimit;
  const params = Object.values(req.params as Record<string, string>);
  const query = req.query as Query;
  const restRequest: RestRequest = {
    endpoint, params,
    caller: { scopes: req.principal?.scopes ?? new Set(), limits: contextValue.limits.filter },
    query: endpoint.list
      ? parseCollectionParams(query, { maxLimit })
      : { fields: parseFieldsParam(Object.hasOwn(query, 'fields') ? query.fields : undefined) },
  };
  const translation = translator.translate(restRequest, maxLimit);
  const result = await executor.execute(translation.document, translation.variables, contextValue);
  const response = translator.respond(restRequest, translation, result, requestUrl(req));
  return reply.code(response.status).headers(response.headers).type('application/json; charset=utf-8').send(jsonBytes(response.body));
}

export interface RestRouteOptions {
  /** Which executor runs the read documents (graph/executor.ts); both give the same JSON. */
  executor?: ExecutorName;
}

/** Every OneRoster GET (v1.2 rostering, gradebook, resources and their v1.1 twins), answered from the graph. */
export const restRoutes: FastifyPluginAsync<RestRouteOptions> = async (app, opts) => {
  const translator = new Translator({ schema });
  const executor = createExecutor(schema, opts.executor ?? 'graphql-jit');

  app.setErrorHandler(restErrorHandler);

  // A path or method OneRoster does not define still answers with the imsx status body.
  await app.register(async (scoped) => {
    scoped.setNotFoundHandler((req, reply) => reply.code(404).send(statusBody({
      status: 404, codeMinor: 'unknownobject', description: `Unknown Object: no OneRoster endpoint ${req.method} ${req.url.split('?')[0]}`,
    }, req.url.startsWith('/ims/oneroster/v1p1/') ? 'v1p1' : 'v1p2')));
  }, { prefix: '/ims/oneroster' });

  for (const endpoint of ENDPOINTS) {
    const config: RestRouteConfig = { scopes: endpoint.scopes, version: endpoint.version };
    app.get(fastifyUrl(endpoint), { config }, (req, reply) => answer(app, translator, executor, endpoint, req, reply));
  }
};
