// Validates REST bodies against the official 1EdTech OneRoster 1.2 OpenAPI 3 documents in ./openapi/.
// Used at runtime for gradebook PUT/POST request bodies and by contract tests for every response body.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import { parse } from 'yaml';

export type Service = 'rostering' | 'gradebook' | 'resources';
export type Method = 'get' | 'put' | 'post' | 'delete';

/** `path` is a JSON pointer into the body; for a missing or forbidden property it points at that property. */
export interface SchemaViolation {
  path: string;
  message: string;
}

export interface ResponseOptions {
  /**
   * Accept a status the operation does not list by validating it against the OAS `default` response (OpenAPI
   * semantics). Off by default so contract tests notice undocumented statuses, e.g. 404 on rostering nested GETs.
   */
  allowDefault?: boolean;
}

type Schema = Record<string, unknown>;
interface MediaType { schema?: Schema }
interface Operation {
  operationId: string;
  requestBody?: { required?: boolean; content?: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface OasDocument {
  paths: Record<string, Partial<Record<Method, Operation>>>;
  components: { schemas: Record<string, Schema> };
}

const FILES: Record<Service, string> = {
  rostering: 'rostersservice.yaml',
  gradebook: 'gradebookservice.yaml',
  resources: 'resourcesservice.yaml',
};
const METHODS: readonly Method[] = ['get', 'put', 'post', 'delete'];
const JSON_MEDIA = 'application/json';

// One Ajv instance for all services; each service's component schemas live under their own $id.
let ajv: Ajv | undefined;
const documents = new Map<Service, OasDocument>();
const validators = new Map<string, ValidateFunction>();

function schemaId(service: Service): string {
  return `https://oneroster-graph.invalid/openapi/${service}.json`;
}

function getAjv(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true });
    formats.default(ajv);
    // OAS numeric formats unknown to ajv-formats; registering them avoids "unknown format ignored" warnings.
    ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  }
  return ajv;
}

function load(service: Service): OasDocument {
  let doc = documents.get(service);
  if (!doc) {
    const file = FILES[service];
    if (!file) throw new Error(`unknown OneRoster service '${String(service)}'`);
    doc = parse(readFileSync(new URL(`./openapi/${file}`, import.meta.url), 'utf8')) as OasDocument;
    normalise(doc.components.schemas);
    // The internal refs read '#/components/schemas/X', so keep that shape under a per-service $id.
    getAjv().addSchema({ $id: schemaId(service), components: { schemas: doc.components.schemas } });
    documents.set(service, doc);
  }
  return doc;
}

/** Undo what YAML parsing did to values the OAS means as strings. */
function normalise(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(normalise);
  if (!node || typeof node !== 'object') return;
  const schema = node as Schema;
  if (schema.type === 'string') {
    // `enum: [true, false]` (the string booleans) parses to JS booleans; unquoted numbers/dates would too.
    if (Array.isArray(schema.enum)) schema.enum = schema.enum.map(asString);
    for (const key of ['default', 'const'] as const) if (key in schema) schema[key] = asString(schema[key]);
    // The learning-objective `source` pattern is written '^/(?!case$)…' — a regex-literal delimiter slip that
    // would demand a leading slash on every custom source token (model.md 2.4.2); drop the slash.
    if (typeof schema.pattern === 'string' && schema.pattern.startsWith('^/(?!')) schema.pattern = '^' + schema.pattern.slice(2);
  }
  for (const value of Object.values(schema)) normalise(value);
}

function asString(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'boolean' || typeof value === 'number' ? String(value) : value;
}

function operation(service: Service, method: Method, pathTemplate: string): Operation {
  const op = load(service).paths[pathTemplate]?.[method];
  // An unknown operation is a programming error, not a property of the body.
  if (!op) throw new Error(`${method.toUpperCase()} ${pathTemplate} is not an operation of the ${service} service`);
  return op;
}

function validator(service: Service, key: string, schema: Schema): ValidateFunction {
  const cacheKey = `${service} ${key}`;
  let validate = validators.get(cacheKey);
  if (!validate) {
    validate = getAjv().compile(rewriteRefs(schema, schemaId(service)) as Schema);
    validators.set(cacheKey, validate);
  }
  return validate;
}

function rewriteRefs(node: unknown, id: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, id));
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]): [string, unknown] => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#') ? id + v : rewriteRefs(v, id)]),
  );
}

function isEmptyBody(body: unknown): boolean {
  return body === undefined || body === null || body === '';
}

export function validateResponse(
  service: Service,
  method: Method,
  pathTemplate: string,
  status: number,
  body: unknown,
  options: ResponseOptions = {},
): SchemaViolation[] {
  const op = operation(service, method, pathTemplate);
  const label = `${method.toUpperCase()} ${pathTemplate}`;
  let key = String(status);
  if (!op.responses[key]) {
    if (!options.allowDefault || !op.responses.default) {
      const listed = Object.keys(op.responses).join(', ');
      return [{ path: '', message: `status ${status} is not documented for ${label} (documented: ${listed})` }];
    }
    key = 'default';
  }
  const schema = op.responses[key]!.content?.[JSON_MEDIA]?.schema;
  if (!schema) {
    // PUT 201 and DELETE 204 are documented without content: the body must be empty.
    return isEmptyBody(body) ? [] : [{ path: '', message: `${label} ${status} must have an empty body` }];
  }
  return check(validator(service, `${method} ${pathTemplate} ${key}`, schema), body);
}

export function validateRequestBody(service: Service, method: 'put' | 'post', pathTemplate: string, body: unknown): SchemaViolation[] {
  const op = operation(service, method, pathTemplate);
  const schema = op.requestBody?.content?.[JSON_MEDIA]?.schema;
  if (!schema) {
    return isEmptyBody(body) ? [] : [{ path: '', message: `${method.toUpperCase()} ${pathTemplate} takes no request body` }];
  }
  if (isEmptyBody(body)) {
    return op.requestBody?.required ? [{ path: '', message: 'a JSON request body is required' }] : [];
  }
  return check(validator(service, `${method} ${pathTemplate} request`, schema), body);
}

export function operations(service: Service): Array<{ method: string; pathTemplate: string; operationId: string }> {
  const result: Array<{ method: string; pathTemplate: string; operationId: string }> = [];
  for (const [pathTemplate, item] of Object.entries(load(service).paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) result.push({ method, pathTemplate, operationId: op.operationId });
    }
  }
  return result;
}

function check(validate: ValidateFunction, body: unknown): SchemaViolation[] {
  if (validate(body)) return [];
  return toViolations(validate.errors ?? []);
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const quote = (values: unknown[]) => values.map((v) => `'${String(v)}'`).join(', ');

/** Turn Ajv errors into field-named messages fit for a 422 description. */
function toViolations(errors: ErrorObject[]): SchemaViolation[] {
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const branchOf = (e: ErrorObject) =>
    anyOfs.find((a) => a !== e && e.instancePath === a.instancePath && e.schemaPath.startsWith(a.schemaPath + '/'));
  const violations: SchemaViolation[] = [];
  for (const e of errors) {
    if (branchOf(e)) continue; // folded into the anyOf's own message
    // A string enum already says "must be one of …"; the sibling "must be string" adds nothing.
    const parent = e.schemaPath.replace(/\/[^/]*$/, '');
    if (e.keyword === 'type' && errors.some((o) => o.keyword === 'enum' && o.instancePath === e.instancePath && o.schemaPath === `${parent}/enum`)) continue;
    let path = e.instancePath;
    let message = e.message ?? 'is invalid';
    switch (e.keyword) {
      case 'required':
        path += '/' + escapePointer(String(e.params.missingProperty));
        message = `must have required property '${String(e.params.missingProperty)}'`;
        break;
      case 'additionalProperties':
        path += '/' + escapePointer(String(e.params.additionalProperty));
        message = `must NOT have additional property '${String(e.params.additionalProperty)}'`;
        break;
      case 'enum':
        message = `must be one of ${quote(e.params.allowedValues as unknown[])}`;
        break;
      case 'anyOf':
        message = describeAnyOf(errors.filter((b) => branchOf(b) === e));
        break;
    }
    violations.push({ path, message: `${path || '(root)'}: ${message}` });
  }
  return violations;
}

// The OAS uses anyOf for extensible vocabularies: [enum of tokens, pattern '(ext:)…'], in either order.
function describeAnyOf(branches: ErrorObject[]): string {
  const parts: string[] = [];
  for (const b of branches) if (b.keyword === 'enum') parts.push(`be one of ${quote(b.params.allowedValues as unknown[])}`);
  for (const b of branches) if (b.keyword === 'pattern') parts.push(`match pattern ${String(b.params.pattern)}`);
  return parts.length ? `must ${parts.join(' or ')}` : 'must match one of the allowed forms';
}
