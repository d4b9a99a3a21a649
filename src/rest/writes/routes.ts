import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse, validate, type DocumentNode, type GraphQLError } from 'graphql';
import { SCOPES, V1P1_SCOPES } from '../../auth/scopes.js';
import { graphqlJsExecutor } from '../../graph/executor.js';
import { statsOf } from '../../ops/request-stats.js';
import { schema } from '../../graph/schema.js';
import { restErrorHandler } from '../envelope.js';
import { RestError, restErrorFromGraph } from '../errors.js';
import type { ApiVersion, RestRouteConfig } from '../route-config.js';
import { validateRequestBody } from '../openapi.js';
import { checkSourcedIds, fillBaseFields, guidRef, toInput, v1p1Record } from './bodies.js';

/**
 * The gradebook writes of rest.md §3.2/§3.5 (and the 1.1 PUT/DELETE twins). Each route turns its
 * request into one of the gradebook mutations and executes it in process with the caller's scopes:
 * the REST layer has no other way to the data.
 *
 * Statuses: PUT answers 201 with no body both when it created the object and when it replaced one
 * (the OAS documents 201 as the only success of a PUT; `created` is visible in GraphQL). DELETE
 * answers 204, also for a record that already was a tombstone, so a retried DELETE succeeds.
 */
type Json = Record<string, unknown>;

interface Collection {
  path: string;
  wrapper: string;
  type: string;
  put: string;
  delete: string;
  v1p1: boolean;
}

const COLLECTIONS: Collection[] = [
  { path: 'categories', wrapper: 'category', type: 'Category', put: 'gradebook.createput', delete: 'gradebook.delete', v1p1: true },
  { path: 'lineItems', wrapper: 'lineItem', type: 'LineItem', put: 'gradebook.createput', delete: 'gradebook.delete', v1p1: true },
  { path: 'results', wrapper: 'result', type: 'Result', put: 'gradebook.createput', delete: 'gradebook.delete', v1p1: true },
  { path: 'scoreScales', wrapper: 'scoreScale', type: 'ScoreScale', put: 'gradebook.createput', delete: 'gradebook.delete', v1p1: false },
  { path: 'assessmentLineItems', wrapper: 'assessmentLineItem', type: 'AssessmentLineItem', put: 'assessment.createput', delete: 'assessment.delete', v1p1: false },
  { path: 'assessmentResults', wrapper: 'assessmentResult', type: 'AssessmentResult', put: 'assessment.createput', delete: 'assessment.delete', v1p1: false },
];

interface Post {
  /** OAS path template; parameters become `:p0`, `:p1` as in the read routes, which share these path nodes. */
  template: string;
  mutation: string;
  wrapper: 'lineItems' | 'results';
  params: string[];
  /** The reference each record may omit because the path names it (its value is the first path parameter). */
  parentRef?: string;
}

const POSTS: Post[] = [
  { template: '/classes/{classSourcedId}/lineItems', mutation: 'postLineItemsForClass', wrapper: 'lineItems', params: ['classSourcedId'], parentRef: 'class' },
  { template: '/schools/{schoolSourcedId}/lineItems', mutation: 'postLineItemsForSchool', wrapper: 'lineItems', params: ['schoolSourcedId'], parentRef: 'school' },
  { template: '/lineItems/{lineItemSourcedId}/results', mutation: 'postResultsForLineItem', wrapper: 'results', params: ['lineItemSourcedId'], parentRef: 'lineItem' },
  { template: '/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results', mutation: 'postResultsForAcademicSessionForClass',
    wrapper: 'results', params: ['classSourcedId', 'academicSessionSourcedId'] },
];

const V1P2_BASE = '/ims/oneroster/gradebook/v1p2';
const V1P1_BASE = '/ims/oneroster/v1p1';
const positional = (template: string) => { let n = 0; return template.replace(/\{[^}]+\}/g, () => `:p${n++}`); };

// Mutations run on graphql-js, as /graphql runs them: a write is one statement batch, compiling it buys nothing.
const executor = graphqlJsExecutor(schema);
const documents = new Map<string, DocumentNode>();
/** Parsed and validated once: a mistake in a document fails the first request loudly instead of silently. */
function documentOf(text: string): DocumentNode {
  let doc = documents.get(text);
  if (!doc) {
    doc = parse(text);
    const errors = validate(schema, doc);
    if (errors.length) throw new Error(`invalid REST write document: ${errors[0]!.message}`);
    documents.set(text, doc);
  }
  return doc;
}

/** Graph errors as REST statuses; field paths of put inputs (`input.class`) are named by the body's wrapper (`lineItem.class`). */
function restErrorOf(error: GraphQLError, wrapper: string): Error {
  const message = error.message.replace(/^input\b/, wrapper).replace(/"input\./g, `"${wrapper}.`);
  // Errors without a path are the variables' coercion errors: the body is well-formed JSON of the wrong shape.
  if (!error.path) return new RestError(422, 'invaliddata', message);
  return restErrorFromGraph(error, 422, message);
}

async function run(app: FastifyInstance, req: FastifyRequest, text: string, variables: Json, wrapper: string): Promise<Json> {
  const contextValue = await app.graphContext(req.principal, statsOf(req));
  const result = await executor.execute(documentOf(text), variables, contextValue);
  if (result.errors?.length) throw restErrorOf(result.errors[0]!, wrapper);
  return result.data as Json;
}

const originOf = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

function requireBody(body: unknown): asserts body is Json {
  if (body === undefined || body === null) throw new RestError(400, 'invaliddata', 'a JSON request body is required');
}

/** Schema violations of the OAS request body → 422 naming the field (JSON pointer) of the first few. */
function checkAgainstOas(method: 'put' | 'post', template: string, body: unknown) {
  const violations = validateRequestBody('gradebook', method, template, body);
  if (violations.length) throw new RestError(422, 'invaliddata', violations.slice(0, 5).map((v) => v.message).join('; '));
}

function putHandler(app: FastifyInstance, c: Collection, version: ApiVersion) {
  const text = `mutation put${c.type}($sourcedId: ID!, $input: ${c.type}Input!) { put${c.type}(sourcedId: $sourcedId, input: $input) { created } }`;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const sourcedId = (req.params as { p0: string }).p0;
    requireBody(req.body);
    checkSourcedIds((req.body as Json)[c.wrapper], c.wrapper);
    let record: Json;
    if (version === 'v1p2') {
      fillBaseFields((req.body as Json)[c.wrapper], originOf(req), sourcedId);
      checkAgainstOas('put', `/${c.path}/{sourcedId}`, req.body);
      record = (req.body as Json)[c.wrapper] as Json;
    } else {
      record = v1p1Record(req.body, c.wrapper);
    }
    await run(app, req, text, { sourcedId, input: toInput(record) }, c.wrapper);
    return reply.code(201).send();
  };
}

function deleteHandler(app: FastifyInstance, c: Collection) {
  const text = `mutation delete${c.type}($sourcedId: ID!) { delete${c.type}(sourcedId: $sourcedId) { deleted } }`;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    await run(app, req, text, { sourcedId: (req.params as { p0: string }).p0 }, c.wrapper);
    return reply.code(204).send();
  };
}

function postHandler(app: FastifyInstance, p: Post) {
  const vars = p.params.map((_, i) => `$p${i}: ID!`).join(', ');
  const args = p.params.map((name, i) => `${name}: $p${i}`).join(', ');
  const inputType = p.wrapper === 'lineItems' ? 'LineItemInput' : 'ResultInput';
  const text = `mutation ${p.mutation}(${vars}, $records: [${inputType}!]!) { ${p.mutation}(${args}, ${p.wrapper}: $records) {
    sourcedIdPairs { suppliedSourcedId allocatedSourcedId } } }`;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const params = req.params as Record<string, string>;
    requireBody(req.body);
    const records = req.body[p.wrapper];
    if (Array.isArray(records)) {
      records.forEach((record, i) => checkSourcedIds(record, `${p.wrapper}[${i}]`));
      for (const record of records) {
        // The path names the parent; a record may leave that reference out.
        if (p.parentRef && record && typeof record === 'object' && (record as Json)[p.parentRef] === undefined) {
          (record as Json)[p.parentRef] = guidRef(p.parentRef, params.p0!, originOf(req));
        }
        fillBaseFields(record, originOf(req));
      }
    }
    checkAgainstOas('post', p.template, req.body);
    // The OpenAPI body schema does not list its wrapper as required: `{}` passes it.
    if (!Array.isArray(records)) throw new RestError(422, 'invaliddata', `the body must hold a "${p.wrapper}" array`);
    const variables: Json = { records: records.map((r) => toInput(r as Json)) };
    p.params.forEach((_, i) => { variables[`p${i}`] = params[`p${i}`]; });
    const data = await run(app, req, text, variables, p.wrapper);
    return reply.code(201).send({ sourcedIdPairs: (data[p.mutation] as Json).sourcedIdPairs });
  };
}

/** Fastify plugin: PUT/DELETE of the six gradebook collections, the four POSTs, and the 1.1 PUT/DELETE routes. */
export async function gradebookWriteRoutes(app: FastifyInstance) {
  app.setErrorHandler(restErrorHandler);
  const v1p2 = (scope: string): RestRouteConfig => ({ scopes: [SCOPES[scope as keyof typeof SCOPES]], version: 'v1p2' });
  const v1p1 = (scope: string): RestRouteConfig => ({ scopes: [V1P1_SCOPES[scope as keyof typeof V1P1_SCOPES]], version: 'v1p1' });
  for (const c of COLLECTIONS) {
    app.put(`${V1P2_BASE}/${c.path}/:p0`, { config: v1p2(c.put) }, putHandler(app, c, 'v1p2'));
    app.delete(`${V1P2_BASE}/${c.path}/:p0`, { config: v1p2(c.delete) }, deleteHandler(app, c));
    if (!c.v1p1) continue;
    app.put(`${V1P1_BASE}/${c.path}/:p0`, { config: v1p1(c.put) }, putHandler(app, c, 'v1p1'));
    app.delete(`${V1P1_BASE}/${c.path}/:p0`, { config: v1p1(c.delete) }, deleteHandler(app, c));
  }
  for (const p of POSTS) {
    app.post(`${V1P2_BASE}${positional(p.template)}`, { config: v1p2('gradebook.createpost') }, postHandler(app, p));
  }
}
