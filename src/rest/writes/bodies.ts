import { invalidSourcedIdMessage, isValidSourcedId } from '../../shared/sourced-id.js';
import { RestError } from '../errors.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Properties that are GUIDRefs in the OneRoster objects, with the `type` each must carry and the path of its target. */
const REFS: Record<string, { type: string; path: string }> = {
  class: { type: 'class', path: 'rostering/v1p2/classes' },
  school: { type: 'org', path: 'rostering/v1p2/orgs' },
  course: { type: 'course', path: 'rostering/v1p2/courses' },
  student: { type: 'user', path: 'rostering/v1p2/users' },
  gradingPeriod: { type: 'academicSession', path: 'rostering/v1p2/academicSessions' },
  academicSession: { type: 'academicSession', path: 'rostering/v1p2/academicSessions' },
  category: { type: 'category', path: 'gradebook/v1p2/categories' },
  scoreScale: { type: 'scoreScale', path: 'gradebook/v1p2/scoreScales' },
  lineItem: { type: 'lineItem', path: 'gradebook/v1p2/lineItems' },
  assessmentLineItem: { type: 'assessmentLineItem', path: 'gradebook/v1p2/assessmentLineItems' },
  parentAssessmentLineItem: { type: 'assessmentLineItem', path: 'gradebook/v1p2/assessmentLineItems' },
};

/** A GUIDRef to `sourcedId` as the OAS shapes it; `origin` is the request's scheme and host. */
export function guidRef(property: string, sourcedId: string, origin: string) {
  const target = REFS[property]!;
  return { href: `${origin}/ims/oneroster/${target.path}/${encodeURIComponent(sourcedId)}`, sourcedId, type: target.type };
}
/** The OAS writes these flags as the strings "true"/"false"; the graph has booleans. */
const FLAGS = new Set(['inProgress', 'incomplete', 'late', 'missing']);

/**
 * The OAS requires sourcedId, status and dateLastModified in every written object, but the server
 * sets dateLastModified itself and the path already names the sourcedId. Real clients omit them, so
 * missing ones are filled before the body is checked against the schema: sourcedId from the path,
 * status `active`, dateLastModified now (a sent value is accepted and ignored). A sent sourcedId
 * that differs from the path is refused by the mutation. Likewise a reference sent as a bare
 * `{"sourcedId": ...}` gets the href and type the OAS requires (a wrong type is still refused).
 */
export function fillBaseFields(record: unknown, origin: string, sourcedId?: string): void {
  if (!isObject(record)) return;
  if (sourcedId !== undefined && record.sourcedId === undefined) record.sourcedId = sourcedId;
  if (record.status === undefined) record.status = 'active';
  if (record.dateLastModified === undefined) record.dateLastModified = new Date().toISOString();
  for (const [property, value] of Object.entries(record)) {
    if (!REFS[property] || !isObject(value) || typeof value.sourcedId !== 'string') continue;
    const full = guidRef(property, value.sourcedId, origin);
    value.href ??= full.href;
    value.type ??= full.type;
  }
}

/** A OneRoster object as a mutation input: refs become `{ sourcedId }`, flags booleans, dateLastModified is dropped. */
export function toInput(record: Json): Json {
  const input: Json = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'dateLastModified' || value === undefined) continue;
    if (REFS[key] && isObject(value)) input[key] = { sourcedId: value.sourcedId };
    else if (FLAGS.has(key) && typeof value === 'string') input[key] = value === 'true';
    else input[key] = value;
  }
  return input;
}

type Kind = 'string' | 'number' | 'datetime' | 'date' | 'ref' | 'object';
interface V1p1Field { kind: Kind; required?: boolean }

const base: Record<string, V1p1Field> = {
  sourcedId: { kind: 'string' }, status: { kind: 'string' }, dateLastModified: { kind: 'string' }, metadata: { kind: 'object' },
};
/**
 * OneRoster 1.1 objects (rest.md §7, model.md §4): no OAS is at hand, so the check is ours. Required
 * are the properties the store needs; 1.1's own extra requirements (gradingPeriod, resultValueMin/Max,
 * score) are not enforced, and properties 1.1 did not have are ignored rather than refused.
 */
const V1P1: Record<string, Record<string, V1p1Field>> = {
  category: { ...base, title: { kind: 'string', required: true } },
  lineItem: {
    ...base, title: { kind: 'string', required: true }, description: { kind: 'string' },
    assignDate: { kind: 'datetime', required: true }, dueDate: { kind: 'datetime', required: true },
    class: { kind: 'ref', required: true }, category: { kind: 'ref', required: true }, gradingPeriod: { kind: 'ref' },
    resultValueMin: { kind: 'number' }, resultValueMax: { kind: 'number' },
  },
  result: {
    ...base, lineItem: { kind: 'ref', required: true }, student: { kind: 'ref', required: true },
    scoreStatus: { kind: 'string', required: true }, score: { kind: 'number' }, scoreDate: { kind: 'date', required: true },
    comment: { kind: 'string' },
  },
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;

const invalid = (field: string, message: string) => new RestError(422, 'invaliddata', `${field}: ${message}`);

/** Checks a 1.1 body and returns its object in 1.2 form (1.1 dates may lack a time; `inactive` means tobedeleted). */
export function v1p1Record(body: unknown, wrapper: string): Json {
  if (!isObject(body) || !isObject(body[wrapper])) throw invalid(wrapper, `the body must be {"${wrapper}": {...}}`);
  const source = body[wrapper];
  const out: Json = {};
  for (const [name, f] of Object.entries(V1P1[wrapper]!)) {
    const field = `${wrapper}.${name}`;
    let value = source[name];
    if (value === undefined || value === null) {
      if (f.required) throw invalid(field, 'is required');
      continue;
    }
    const ok = f.kind === 'number' ? typeof value === 'number' && Number.isFinite(value)
      : f.kind === 'ref' ? isObject(value) && typeof value.sourcedId === 'string'
        : f.kind === 'object' ? isObject(value) : typeof value === 'string';
    if (!ok) throw invalid(field, `must be ${f.kind === 'ref' ? 'a reference {"sourcedId": ...}' : `a ${f.kind}`}`);
    if (f.kind === 'datetime' && DATE.test(value as string)) value = `${String(value)}T00:00:00.000Z`;
    if (f.kind === 'date' && DATE_TIME.test(value as string)) value = (value as string).slice(0, 10);
    if (f.kind === 'date' && !DATE.test(value as string)) throw invalid(field, 'must be a date YYYY-MM-DD');
    out[name] = value;
  }
  if (out.status === 'inactive') out.status = 'tobedeleted';
  if (out.status !== undefined && out.status !== 'active' && out.status !== 'tobedeleted') {
    throw invalid(`${wrapper}.status`, "must be 'active' or 'tobedeleted'");
  }
  return out;
}

/**
 * The sourcedIds a written object carries (its own, and those of its references) must follow the
 * one sourcedId rule, as a CSV import would require: what the service stores it can export and
 * import again. Checked on the raw body, before the schema check, so the error names the rule.
 */
export function checkSourcedIds(record: unknown, field: string): void {
  if (!isObject(record)) return;
  const ids: [string, unknown][] = [[`${field}.sourcedId`, record.sourcedId]];
  for (const property of Object.keys(REFS)) {
    const value = record[property];
    if (isObject(value)) ids.push([`${field}.${property}.sourcedId`, value.sourcedId]);
  }
  for (const [name, id] of ids) {
    if (typeof id === 'string' && !isValidSourcedId(id)) throw new RestError(400, 'invaliddata', invalidSourcedIdMessage(name, id));
  }
}
