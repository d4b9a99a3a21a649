/**
 * The body of a grade outbox PUT: the record exactly as our own `GET /lineItems/{id}`, `GET /results/{id}`,
 * `GET /categories/{id}` or `GET /scoreScales/{id}` serves it (the same GraphQL document and REST serialiser), read inside the
 * write's transaction, then addressed to the upstream: the source's `--prefix` comes off every
 * sourcedId (the upstream knows its own ids) and every href points at the upstream. A 1.1 source gets
 * the record as our `/ims/oneroster/v1p1` GET serves it (V1P1_SHAPES): the 1.1 body our own 1.1 PUT
 * reads back with `v1p1Record` (src/rest/writes/bodies.ts), so no second conversion exists.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { GraphQLSchema } from 'graphql';
import { WHOLE_DISTRICT } from '../auth/sharing/rules.js';
import { createContext } from '../graph/context.js';
import { graphqlJsExecutor } from '../graph/executor.js';
import { ALL_GRAPH_READ_SCOPES } from '../graph/scopes.js';
import { ENDPOINTS, type Endpoint } from '../rest/endpoints.js';
import type { ApiVersion } from '../rest/route-config.js';
import { RefMaker, type GuidRef } from '../rest/serialize.js';
import type { RefType } from '../rest/shapes.js';
import { Translator } from '../rest/translate.js';

/** Line items and results, and the categories and score scales they name (a SIS refuses a record whose references it lacks). */
export type PushedType = 'Category' | 'ScoreScale' | 'LineItem' | 'Result';

/** A source's view of our sourcedIds: its prefix removed where present. */
export const upstreamId = (prefix: string | null | undefined, sourcedId: string) =>
  prefix && sourcedId.startsWith(prefix) ? sourcedId.slice(prefix.length) : sourcedId;

/** GUIDRefs with the upstream's ids and hrefs (RefMaker joins its origin and the version's path as text, so a base URL with a path works). */
class UpstreamRefs extends RefMaker {
  constructor(baseUrl: string, version: ApiVersion, private readonly prefix: string | null) {
    super(baseUrl, version);
  }

  override ref(type: RefType, sourcedId: string): GuidRef {
    return super.ref(type, upstreamId(this.prefix, sourcedId));
  }
}

const SINGLE: Record<PushedType, string> = { Category: 'getCategory', ScoreScale: 'getScoreScale', LineItem: 'getLineItem', Result: 'getResult' };
const endpointOf = (type: PushedType, version: ApiVersion): Endpoint =>
  ENDPOINTS.find((e) => e.version === version && e.operationId === SINGLE[type])!;

/** The REST version a source's gradebook speaks. */
export const apiVersionOf = (sourceVersion: string): ApiVersion => (sourceVersion === '1.1' ? 'v1p1' : 'v1p2');

const REF_LIMIT = 10_000;

const translators = new WeakMap<GraphQLSchema, Translator>();

/** The record's JSON (1.2, or 1.1 for a 1.1 source) for the upstream's PUT, read on the transaction `tx` (it sees the write being made). */
export async function pushBody(schema: GraphQLSchema, tx: EntityManager, type: PushedType, sourcedId: string,
  source: { baseUrl: string; version: ApiVersion; prefix: string | null }): Promise<Record<string, unknown>> {
  let translator = translators.get(schema);
  if (!translator) translators.set(schema, (translator = new Translator({ schema })));
  const endpoint = endpointOf(type, source.version);
  const request = { endpoint, params: [sourcedId], query: {} };
  const translation = translator.translate(request, REF_LIMIT);
  const ctx = createContext({
    em: tx, inTransaction: true, scopes: ALL_GRAPH_READ_SCOPES, sharing: WHOLE_DISTRICT,
    limits: { maxLimit: REF_LIMIT, maxDepth: Infinity, maxComplexity: Infinity },
  });
  const result = await graphqlJsExecutor(schema).execute(translation.document, translation.variables, ctx);
  if (result.errors?.length) throw new Error(`reading ${type} ${sourcedId} for its source: ${result.errors[0]!.message}`);
  const item = (result.data as Record<string, any> | null | undefined)?.item;
  if (!item) throw new Error(`reading ${type} ${sourcedId} for its source: not found`);
  const body = translation.prepared.serialise(item, new UpstreamRefs(source.baseUrl, source.version, source.prefix));
  body.sourcedId = upstreamId(source.prefix, sourcedId);
  return { [endpoint.wrapper]: body };
}
