import {
  GraphQLInputObjectType, GraphQLList, GraphQLNonNull, parse, validate,
  type DocumentNode, type ExecutionResult, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import type { DeniedFields } from '../auth/sharing/fields.js';
import type { FilterInput } from '../data/filters.js';
import { basePath, type Endpoint } from './endpoints.js';
import { RestError, restErrorFromGraph, type CodeMinor } from './errors.js';
import { filterInput, sortableFields, type FilterCaller } from './filter-input.js';
import { linkHeader } from './links.js';
import type { CollectionParams } from './params.js';
import { compileSerialiser, RefMaker, type Serialiser } from './serialize.js';
import { REF_LIMIT, V1P1_SHAPES, V1P2_SHAPES, type Shape } from './shapes.js';

/**
 * The REST ↔ GraphQL translation, free of HTTP: a request (endpoint, path parameters, query
 * parameters) becomes a GraphQL document and variables; the execution result becomes the OneRoster
 * body and its paging headers. Documents are parsed and validated once per endpoint and field
 * selection and reused.
 */
export interface RestRequest {
  endpoint: Endpoint;
  /** Path parameters in path order. */
  params: string[];
  /** Collection parameters; for single reads only `fields` is read. */
  query: Partial<CollectionParams> & { fields?: string[] };
  /** The caller, whose own scopes decide which relations a filter may reach (rest/filter-input.ts). */
  caller?: FilterCaller;
}

export interface Translation {
  document: DocumentNode;
  variables: Record<string, unknown>;
  prepared: Prepared;
}

export interface RestResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  /** Records in the body (the access log's `records`). */
  records: number;
}

interface Prepared {
  document: DocumentNode;
  serialise: Serialiser;
}

export interface TranslatorOptions {
  schema: GraphQLSchema;
  /** Cached documents kept at most (field selections are client-chosen, so the cache is bounded). */
  cacheSize?: number;
}

export const shapeOf = (e: Endpoint): Shape => (e.version === 'v1p1' ? V1P1_SHAPES : V1P2_SHAPES)[e.shape];

/** The OneRoster 1.2 rostering and gradebook enumerations have no invalid_sort_field (rest.md §4.3); 1.1 and resources do. */
export const sortCodeMinor = (e: Endpoint): CodeMinor =>
  e.version === 'v1p1' || e.service === 'resources' ? 'invalid_sort_field' : 'invaliddata';

export class Translator {
  private readonly cache = new Map<string, Prepared>();
  private readonly sortable = new Map<string, Set<string>>();

  constructor(private readonly opts: TranslatorOptions) {}

  /** `maxLimit` is the page-size cap; it also caps reference lists (agents, terms, ...). */
  translate(req: RestRequest, maxLimit: number): Translation {
    const { endpoint, params, query } = req;
    const shape = shapeOf(endpoint);
    const fields = this.selectedFields(shape, query.fields, req.caller?.denied);
    const variables: Record<string, unknown> = { refLimit: maxLimit };
    params.forEach((p, i) => { variables[`p${i}`] = p; });
    let filter: FilterLiteral | undefined;
    if (endpoint.list) {
      variables.limit = query.limit ?? Math.min(100, maxLimit);
      variables.offset = query.offset ?? 0;
      variables.orderBy = this.orderBy(endpoint, shape, query, req.caller?.denied);
      const input = this.filter(endpoint, shape, params, query, req);
      if (input) {
        filter = filterLiteral(this.opts.schema, shape.typeName, input);
        Object.assign(variables, filter.values);
      }
    }
    const prepared = this.prepare(endpoint, shape, fields, filter);
    return { document: prepared.document, variables, prepared };
  }

  /** The OneRoster body and headers, or a RestError (404 for a missing object or parent). */
  respond(req: RestRequest, t: Translation, result: ExecutionResult, url: URL): RestResponse {
    if (result.errors?.length) throw restErrorFromGraph(result.errors[0]!, 400);
    const data = result.data as Record<string, any>;
    const { endpoint, params } = req;
    endpoint.parents.forEach((parent, i) => {
      const found = data[`p${i}`];
      if (!found) throw unknownObject(`${parent.field} ${params[i]} does not exist`);
      const within = parent.within;
      if (within && found.__within?.sourcedId !== params[within.parent]) {
        throw unknownObject(`${parent.field} ${params[i]} does not belong to ${endpoint.parents[within.parent]!.field} ${params[within.parent]}`);
      }
    });
    const refs = new RefMaker(url.origin, endpoint.version);
    if (endpoint.single) {
      if (!data.item) throw unknownObject(`${endpoint.single} ${params[params.length - 1]} does not exist`);
      return { status: 200, body: { [endpoint.wrapper]: t.prepared.serialise(data.item, refs) }, headers: {}, records: 1 };
    }
    const from = endpoint.list!.from;
    const list = from === 'root' ? data.list : data[`p${from}`].list;
    // A tombstoned parent has no children (README "Tombstones and relations"). The relation's own SQL
    // already answers so for the parent it starts from; this covers the others (the school of
    // /schools/{id}/classes/{id}/students, the student of /classes/{id}/students/{id}/results).
    const orphaned = endpoint.parents.some((_, i) => data[`p${i}`].status === 'tobedeleted');
    const nodes = orphaned ? [] : list.nodes as Record<string, unknown>[];
    const total = orphaned ? 0 : list.totalCount as number;
    const page = { offset: t.variables.offset as number, limit: t.variables.limit as number, total };
    return {
      status: 200,
      body: { [endpoint.wrapper]: nodes.map((n) => t.prepared.serialise(n, refs)) },
      headers: { 'x-total-count': String(total), link: linkHeader(url, page) },
      records: nodes.length,
    };
  }

  /**
   * The properties to serve. A client's denied fields are left out as if unset; asking for one by
   * name (fields=) is refused with 403: the request is well formed, this client may not have it.
   */
  private selectedFields(shape: Shape, requested: string[] | undefined, denied?: DeniedFields): string[] {
    const all = Object.keys(shape.properties);
    const isDenied = (f: string) => !!denied && (denied.has(shape.typeName, f) || (V1P1_FROM_ROLES.has(f) && denied.has(shape.typeName, 'roles')));
    if (!requested) return denied?.empty === false ? all.filter((f) => !isDenied(f)) : all;
    const unknown = requested.filter((f) => !Object.hasOwn(shape.properties, f));
    if (unknown.length) {
      throw new RestError(400, 'invalid_selection_field', `fields: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `'${f}'`).join(', ')}; known: ${all.join(', ')}`);
    }
    const refused = requested.filter(isDenied);
    if (refused.length) throw deniedFieldError('fields', shape, refused);
    // The response keeps the schema's property order whatever order the client listed.
    return all.filter((f) => requested.includes(f));
  }

  private filter(endpoint: Endpoint, shape: Shape, params: string[], query: RestRequest['query'], req: RestRequest): FilterInput | null {
    const parts: FilterInput[] = [];
    if (endpoint.list!.where) parts.push(endpoint.list!.where(params));
    if (query.filter) parts.push(filterInput(this.opts.schema, shape.typeName, query.filter, endpoint.version === 'v1p1', req.caller));
    if (parts.length === 0) return null;
    return parts.length === 1 ? parts[0]! : { AND: parts };
  }

  private orderBy(endpoint: Endpoint, shape: Shape, query: RestRequest['query'], denied?: DeniedFields) {
    if (!query.sort) return null;
    if (denied?.has(shape.typeName, query.sort)) throw deniedFieldError('sort', shape, [query.sort]);
    let sortable = this.sortable.get(shape.typeName);
    if (!sortable) this.sortable.set(shape.typeName, (sortable = sortableFields(this.opts.schema, shape.typeName)));
    if (!sortable.has(query.sort) || !Object.hasOwn(shape.properties, query.sort)) {
      throw new RestError(400, sortCodeMinor(endpoint), `sort: '${query.sort}' is not a sortable field; sortable: ${[...sortable].filter((f) => f in shape.properties && !denied?.has(shape.typeName, f)).join(', ')}`);
    }
    return [{ field: query.sort, direction: query.orderBy === 'desc' ? 'DESC' : 'ASC' }];
  }

  private prepare(endpoint: Endpoint, shape: Shape, fields: string[], filter?: FilterLiteral): Prepared {
    const key = `${endpoint.version} ${endpoint.service} ${endpoint.path} ${fields.join(',')} ${filter?.text ?? ''}`;
    let prepared = this.cache.get(key);
    if (prepared) {
      // Re-inserted on use, so the Map's insertion order is least-recently-used first.
      this.cache.delete(key);
      this.cache.set(key, prepared);
      return prepared;
    }
    const document = parse(documentText(endpoint, shape, fields, filter));
    const errors = validate(this.opts.schema, document);
    // The documents are ours: a validation error is a bug in this module, not in the request.
    if (errors.length) throw new Error(`REST document for ${endpoint.operationId} is invalid: ${errors.map((e) => e.message).join('; ')}`);
    prepared = { document, serialise: compileSerialiser(shape, fields) };
    if (this.cache.size >= (this.opts.cacheSize ?? 2000)) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, prepared);
    return prepared;
  }
}

/**
 * A filter written into the document as a literal whose leaves are variables ($f0, $f1, ...): the
 * documents stay few (one per filter structure, not per value) and graphql-jit can compile them
 * (it cannot compile a variable of a recursive input type such as UserFilter, whose AND/OR nest;
 * graph/executor.ts).
 */
export interface FilterLiteral {
  text: string;
  definitions: string[];
  values: Record<string, unknown>;
}

export function filterLiteral(schema: GraphQLSchema, typeName: string, input: FilterInput): FilterLiteral {
  const out: FilterLiteral = { text: '', definitions: [], values: {} };
  const write = (type: GraphQLInputType, value: unknown): string => {
    const inner = type instanceof GraphQLNonNull ? type.ofType : type;
    if (inner instanceof GraphQLInputObjectType) {
      const fields = inner.getFields();
      return `{ ${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${write(fields[k]!.type, v)}`).join(', ')} }`;
    }
    if (inner instanceof GraphQLList && !isLeafList(inner)) return `[${(value as unknown[]).map((v) => write(inner.ofType, v)).join(', ')}]`;
    const name = `f${out.definitions.length}`;
    out.definitions.push(`$${name}: ${String(type)}`);
    out.values[name] = value;
    return `$${name}`;
  };
  out.text = write(schema.getType(`${typeName}Filter`) as GraphQLInputObjectType, input);
  return out;
}

const isLeafList = (t: GraphQLList<GraphQLInputType>): boolean => {
  const item = t.ofType instanceof GraphQLNonNull ? t.ofType.ofType : t.ofType;
  return !(item instanceof GraphQLInputObjectType) && !(item instanceof GraphQLList);
};

/** The GraphQL text for an endpoint, a field selection and (for collections) a filter. */
export function documentText(endpoint: Endpoint, shape: Shape, fields: string[], filter?: FilterLiteral): string {
  // Identical selections (the 1.1 role and orgs read the same roles) are merged by GraphQL; dedupe for tidiness.
  const selection = [...new Set(fields.map((f) => shape.properties[f]!.select))].join(' ');
  const vars: string[] = [];
  const roots: string[] = [];
  const list = endpoint.list;
  const filterArg = filter ? `, filter: ${filter.text}` : '';
  const listText = list && `list: ${list.field}(limit: $limit, offset: $offset${filterArg}, orderBy: $orderBy) { totalCount nodes { ${selection} } }`;
  endpoint.parents.forEach((parent, i) => {
    vars.push(`$p${i}: ID!`);
    const within = parent.within ? ` __within: ${parent.within.ref} { sourcedId }` : '';
    const inner = list?.from === i ? ` ${listText}` : '';
    roots.push(`p${i}: ${parent.field}(sourcedId: $p${i}) { sourcedId status${within}${inner} }`);
  });
  if (endpoint.single) {
    const i = endpoint.parents.length;
    vars.push(`$p${i}: ID!`);
    roots.push(`item: ${endpoint.single}(sourcedId: $p${i}) { ${selection} }`);
  }
  if (list) {
    vars.push('$limit: Int!', '$offset: Int!', `$orderBy: [${shape.typeName}Order!]`, ...(filter?.definitions ?? []));
    if (list.from === 'root') roots.push(listText!);
  }
  const text = roots.join(' ');
  if (text.includes(REF_LIMIT)) vars.push(`${REF_LIMIT}: Int!`);
  return `query ${endpoint.operationId}(${vars.join(', ')}) { ${text} }`;
}

/** The 1.1 user properties derived from the 1.2 roles: denied with them. */
const V1P1_FROM_ROLES = new Set(['role', 'orgs']);

function deniedFieldError(param: 'fields' | 'sort', shape: Shape, names: string[]) {
  return new RestError(403, 'forbidden', `${param}: this client may not read ${names.map((n) => `${shape.typeName}.${n}`).join(', ')} (denied by its sharing rules)`);
}

function unknownObject(description: string) {
  return new RestError(404, 'unknownobject', `Unknown Object: ${description}`);
}

export const routePath = (e: Endpoint) => `${basePath(e.service, e.version)}${e.path}`;
