import { getNamedType, GraphQLInputObjectType, type ExecutionResult, type GraphQLInputType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlJsExecutor, jitExecutor, type Executor } from '../../src/graph/executor.js';
import { schema } from '../../src/graph/schema.js';
import { ENDPOINTS, type Endpoint } from '../../src/rest/endpoints.js';
import { sortableFields } from '../../src/rest/filter-input.js';
import { parseCollectionParams, parseFieldsParam } from '../../src/rest/params.js';
import { restReadContext } from '../../src/rest/routes.js';
import { shapeOf, Translator, type RestRequest } from '../../src/rest/translate.js';
import { restFixture, sampleUrl, type RestFixture } from './support.js';

/**
 * graphql-jit and graphql-js must give the same answer to every document the REST layer sends:
 * every read endpoint of the table (v1.2 and v1.1, collections and single reads), with the whole
 * shape, a field selection, and on collections filters (a comparison, a contains, a relation, a
 * compound), each sortable field, and paging. The execution results are compared as JSON text, byte
 * for byte, and so are the OneRoster bodies made from them.
 */
let f: RestFixture;
beforeAll(async () => { f = await restFixture(); }, 120_000);
afterAll(async () => { await f?.close(); });

const MAX_LIMIT = 10_000;
const jit = jitExecutor(schema);
const js = graphqlJsExecutor(schema);
const translator = new Translator({ schema });

type Query = Record<string, string>;
interface Variant { name: string; query: Query }

/** The path parameters of the fixture's sample URL for the endpoint, in path order. */
function pathParams(e: Endpoint): string[] {
  const template = e.path.split('/');
  const actual = sampleUrl(e).split('/').slice(-template.length);
  return template.flatMap((segment, i) => (segment.startsWith('{') ? [actual[i]!] : []));
}

/** Names of `<Type>Filter` fields by what they compare: a string leaf, or a relation with a sourcedId. */
function filterFields(typeName: string, properties: string[]) {
  const fields = (schema.getType(`${typeName}Filter`) as GraphQLInputObjectType).getFields();
  const named = (name: string) => getNamedType(fields[name]!.type as GraphQLInputType);
  const inShape = Object.keys(fields).filter((n) => properties.includes(n));
  return {
    text: inShape.find((n) => n !== 'sourcedId' && named(n).name === 'StringComparison'),
    relation: inShape.find((n) => {
      const type = named(n);
      return type instanceof GraphQLInputObjectType && 'sourcedId' in type.getFields();
    }),
  };
}

function variants(e: Endpoint): Variant[] {
  const shape = shapeOf(e);
  const properties = Object.keys(shape.properties);
  const out: Variant[] = [
    { name: 'whole shape', query: {} },
    { name: 'fields=sourcedId,status', query: { fields: 'sourcedId,status' } },
    // Every other property, the references among them: a selection no other variant makes.
    { name: 'fields=every other property', query: { fields: properties.filter((_, i) => i % 2 === 1).join(',') } },
  ];
  if (!e.list) return out;
  const { text, relation } = filterFields(shape.typeName, properties);
  out.push(
    { name: 'filter on status', query: { filter: "status='active'" } },
    { name: 'filter on a date-time', query: { filter: "dateLastModified>'2025-01-01T00:00:00Z'" } },
    { name: 'compound filter', query: { filter: "status='active' AND dateLastModified>='2025-01-01' OR sourcedId!='none'" } },
    { name: 'paging', query: { limit: '3', offset: '2' } },
  );
  if (text) out.push({ name: `filter ${text}~`, query: { filter: `${text}~'e'` } });
  if (relation) out.push({ name: `filter ${relation}.sourcedId`, query: { filter: `${relation}.sourcedId!='none'` } });
  const sortable = [...sortableFields(schema, shape.typeName)].filter((s) => properties.includes(s));
  sortable.forEach((field, i) => {
    out.push({ name: `sort=${field}`, query: { sort: field, orderBy: i % 2 ? 'desc' : 'asc', limit: '5' } });
  });
  return out;
}

function restRequest(e: Endpoint, query: Query): RestRequest {
  return {
    endpoint: e, params: pathParams(e),
    query: e.list ? parseCollectionParams(query, { maxLimit: MAX_LIMIT }) : { fields: parseFieldsParam(query.fields) },
  };
}

/** One execution with a fresh context (loaders are per request, so neither run can feed the other). */
async function run(executor: Executor, req: RestRequest): Promise<{ result: ExecutionResult; body: string }> {
  const t = translator.translate(req, MAX_LIMIT);
  const result = await executor.execute(t.document, t.variables, await restReadContext(f.app));
  const url = new URL(`http://localhost${sampleUrl(req.endpoint)}`);
  return { result, body: JSON.stringify(translator.respond(req, t, result, url)) };
}

const label = (e: Endpoint) => `${e.version} ${e.service} GET ${e.path}`;

describe('graphql-jit and graphql-js answer every REST document alike', () => {
  for (const e of ENDPOINTS) {
    it(label(e), async () => {
      for (const v of variants(e)) {
        const req = restRequest(e, v.query);
        const [a, b] = [await run(js, req), await run(jit, req)];
        expect(a.result.errors, `${v.name}: graphql-js errors`).toBeUndefined();
        expect(JSON.stringify(b.result), v.name).toBe(JSON.stringify(a.result));
        expect(b.body, v.name).toBe(a.body);
        if (v.name === 'whole shape') {
          // The comparison means something only if there was data to compare.
          const payload = (JSON.parse(a.body) as { body: Record<string, unknown> }).body[e.wrapper];
          expect(e.list ? (payload as unknown[]).length : payload, 'the fixture has data for this endpoint').toBeTruthy();
        }
      }
    });
  }

});
