import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/request-auth.js';
import type { Context } from '../graph/context.js';
import { readableWith } from '../graph/filter-guard.js';
import { rootViews } from '../graph/root.js';
import { createExecutor, type Executor, type ExecutorName } from '../graph/executor.js';
import { schema } from '../graph/schema.js';
import { ALL_GRAPH_READ_SCOPES, readScopes } from '../graph/scopes.js';
import type { EntityName } from '../model/dsl.js';
import { relationsOf } from '../model/relations.js';
import { statsOf, type RequestStats } from '../ops/request-stats.js';
import { ENDPOINTS, type Endpoint } from './endpoints.js';
import { restErrorHandler, statusBody } from './envelope.js';
import type { RestRouteConfig } from './route-config.js';
import { jsonBytes } from './json-bytes.js';
import { parseCollectionParams, parseFieldsParam } from './params.js';
import { routePath, shapeOf, Translator, type RestRequest } from './translate.js';

type Query = Record<string, string | string[] | undefined>;

/**
 * A REST document runs with the caller's own scopes (v1.1 scopes standing for their v1.2 twins), plus
 * one explicit exception: the scopes needed to read *addresses* the OneRoster body carries whatever the
 * scope. Those are the sourcedIds of referenced records read through a relation (a class's `resources`
 * GUIDRefs under a roster scope) and of the parent objects named in the path (the class of
 * /classes/{id}/lineItems under a gradebook scope). The documents select only `sourcedId` (and the
 * parent's `status`) of those types, so the extra scopes reveal nothing but the address; filters are
 * checked against the caller's own scopes (rest/filter-input.ts).
 */
export function addressScopes(endpoint: Endpoint): ReadonlySet<string> {
  const types = new Set<EntityName>();
  for (const parent of endpoint.parents) {
    const view = rootViews.find((v) => v.single === parent.field);
    if (view) types.add(view.entity);
  }
  const shape = shapeOf(endpoint);
  for (const [name, prop] of Object.entries(shape.properties)) {
    if (prop.serialise.as !== 'refs' && prop.serialise.as !== 'ref') continue;
    const rel = relationsOf(shape.entity).find((r) => r.name === name);
    if (rel) types.add(rel.target);
  }
  return new Set([...types].flatMap((t) => readScopes[t] ?? []));
}

/** Every read scope of the graph: only for executing documents outside a request (executor comparisons). */

const documentScopes = new Map<Endpoint, ReadonlySet<string>>();
function scopesFor(endpoint: Endpoint, caller: ReadonlySet<string>): ReadonlySet<string> {
  let extra = documentScopes.get(endpoint);
  if (!extra) documentScopes.set(endpoint, (extra = addressScopes(endpoint)));
  return new Set([...readableWith(caller), ...extra]);
}

/** Fastify route URL: the OAS path with positional parameter names, so `/classes/{sourcedId}` and `/classes/{classSourcedId}/students` share a node. */
export function fastifyUrl(e: Endpoint): string {
  let n = 0;
  return routePath(e).replace(/\{[^}]+\}/g, () => `:p${n++}`);
}

function requestUrl(req: FastifyRequest): URL {
  return new URL(req.url, `${req.protocol}://${req.host}`);
}

/**
 * The graph context a REST read document runs with: the caller's own scopes plus the address scopes of
 * the endpoint (scopesFor); every read scope when no endpoint is named (tests comparing executors).
 */
export async function restReadContext(app: FastifyInstance, clientId?: string, scopes: ReadonlySet<string> = ALL_GRAPH_READ_SCOPES,
  stats?: RequestStats): Promise<Context> {
  const principal: Principal = { clientId, scopes };
  const ctx = await app.graphContext(principal, stats);
  // Our documents are bounded by construction; the complexity limit guards client-written GraphQL.
  return { ...ctx, limits: { ...ctx.limits, maxComplexity: Infinity, maxDepth: Infinity } };
}

/** Runs one REST read through the graph: translate, execute in process, translate back. */
async function answer(app: FastifyInstance, translator: Translator, executor: Executor, endpoint: Endpoint, req: FastifyRequest, reply: FastifyReply) {
  const stats = statsOf(req);
  const contextValue = await restReadContext(app, req.principal?.clientId, scopesFor(endpoint, req.principal?.scopes ?? new Set()), stats);
  const maxLimit = contextValue.limits.maxLimit;
  const params = Object.values(req.params as Record<string, string>);
  const query = req.query as Query;
  const restRequest: RestRequest = {
    endpoint, params,
    caller: { scopes: req.principal?.scopes ?? new Set(), limits: contextValue.limits.filter, denied: contextValue.sharing.denied },
    query: endpoint.list
      ? parseCollectionParams(query, { maxLimit })
      : { fields: parseFieldsParam(Object.hasOwn(query, 'fields') ? query.fields : undefined) },
  };
  const translation = translator.translate(restRequest, maxLimit);
  const result = await executor.execute(translation.document, translation.variables, contextValue);
  const response = translator.respond(restRequest, translation, result, requestUrl(req));
  if (stats) stats.records = response.records;
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
