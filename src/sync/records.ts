/**
 * Upstream OneRoster 1.2 JSON records → rows of this database, checked field by field as the CSV
 * import checks cells (required values, formats, vocabularies, sourcedIds). Embedded lists become
 * rows of their own tables: a user's roles and profiles, its agents, a class's terms, and the parts
 * of `PARTS` (score-scale links and learning objectives of line items and results, resource links).
 */
import { validDate } from '../csv/cells.js';
import { isRef, isValidToken, type EntityDef, type EntityName, type FieldDef } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { sourcedIdOfProfileUri } from '../shared/profile-id.js';
import { isValidSourcedId, partSourcedId, quoteId } from '../shared/sourced-id.js';
import type { Service } from '../rest/openapi.js';
import type { Fetched } from './upstream.js';

type Json = Record<string, unknown>;
export type Row = Record<string, unknown>;

/** A problem with one upstream record: where it came from, which record, which field. */
export interface SyncIssue { url: string; sourcedId: string; field: string; reason: string }

export interface SyncCollection {
  service: Service; path: string; wrapper: string; entity: EntityName;
  /**
   * A provider of the service may not offer it to this client: demographics have a scope of their own that
   * districts often withhold, and OneRoster 1.2's assessment results are a profile of their own (assessment.*
   * scopes) that many gradebook providers do not implement.
   */
  optional?: boolean;
}

const collection = (service: Service, wrapper: string, entity: EntityName, optional?: 'optional'): SyncCollection =>
  ({ service, path: `/${wrapper}`, wrapper, entity, ...(optional ? { optional: true } : {}) });

/** The root collections that hold whole tables, per service, in reference order. */
export const SYNC_COLLECTIONS: readonly SyncCollection[] = [
  collection('rostering', 'orgs', 'Org'),
  collection('rostering', 'academicSessions', 'AcademicSession'),
  collection('rostering', 'courses', 'Course'),
  collection('rostering', 'classes', 'Class'),
  collection('rostering', 'users', 'User'),
  collection('rostering', 'enrollments', 'Enrollment'),
  collection('rostering', 'demographics', 'Demographics', 'optional'),
  collection('gradebook', 'categories', 'Category'),
  collection('gradebook', 'scoreScales', 'ScoreScale'),
  collection('gradebook', 'lineItems', 'LineItem'),
  collection('gradebook', 'results', 'Result'),
  collection('gradebook', 'assessmentLineItems', 'AssessmentLineItem', 'optional'),
  collection('gradebook', 'assessmentResults', 'AssessmentResult', 'optional'),
  collection('resources', 'resources', 'Resource'),
];

export const ROSTERING_COLLECTIONS = SYNC_COLLECTIONS.filter((c) => c.service === 'rostering');

/** The collections a source with these services reads. */
export const collectionsOf = (services: readonly Service[]) => SYNC_COLLECTIONS.filter((c) => services.includes(c.service));

/**
 * A list carried inside a record that this database keeps as rows of another table (`entity`), each
 * pointing back to its owner through `ownerField`. A run replaces the parts of every owner it
 * delivers. `items` turns the JSON value into objects keyed by the part's field names; `service` is
 * the service the parts reference, read only when the source syncs it.
 */
export interface Part {
  owner: EntityName;
  property: string;
  entity: EntityName;
  ownerField: string;
  /** One part (`scoreScale`: sourcedId `<owner>/scoreScale`) or a list (`<owner>/<property>/<position>`). */
  single?: boolean;
  service?: Service;
  items: (raw: unknown, bad: (path: string, reason: string) => void) => Json[];
}

const refList = (field: string) => (raw: unknown, bad: (path: string, reason: string) => void): Json[] => {
  if (!Array.isArray(raw)) return (bad('', 'expected a list'), []);
  return raw.map((r) => ({ [field]: r }));
};

/** learningObjectiveSet: sets by source, each a list of ids (line items) or of scored results (results). */
const objectiveSets = (list: 'learningObjectiveIds' | 'learningObjectiveResults') => (raw: unknown, bad: (path: string, reason: string) => void): Json[] => {
  if (!Array.isArray(raw)) return (bad('', 'expected a list'), []);
  return raw.flatMap((set, i) => {
    const items: unknown = isObject(set) ? set[list] : undefined;
    if (!isObject(set) || !Array.isArray(items)) return (bad(`[${i}]`, `expected an object with source and ${list}`), []);
    return items.map((item, k) => {
      if (list === 'learningObjectiveIds') return { source: set.source, learningObjectiveId: item };
      if (!isObject(item)) return (bad(`[${i}].${list}[${k}]`, 'expected an object'), { source: set.source });
      return { source: set.source, learningObjectiveId: item.learningObjectiveId, score: item.score, textScore: item.textScore };
    });
  });
};

export const PARTS: readonly Part[] = [
  { owner: 'LineItem', property: 'scoreScale', entity: 'LineItemScoreScale', ownerField: 'lineItem', single: true, items: (raw) => [{ scoreScale: raw }] },
  { owner: 'LineItem', property: 'learningObjectiveSet', entity: 'LineItemLearningObjective', ownerField: 'lineItem', items: objectiveSets('learningObjectiveIds') },
  { owner: 'Result', property: 'scoreScale', entity: 'ResultScoreScale', ownerField: 'result', single: true, items: (raw) => [{ scoreScale: raw }] },
  { owner: 'Result', property: 'learningObjectiveSet', entity: 'ResultLearningObjective', ownerField: 'result', items: objectiveSets('learningObjectiveResults') },
  { owner: 'Course', property: 'resources', entity: 'CourseResource', ownerField: 'course', service: 'resources', items: refList('resource') },
  { owner: 'Class', property: 'resources', entity: 'ClassResource', ownerField: 'class', service: 'resources', items: refList('resource') },
  { owner: 'User', property: 'resources', entity: 'UserResource', ownerField: 'user', service: 'resources', items: refList('resource') },
];

/** Every entity kept as parts of an owner (the user's roles and profiles too): what the run replaces per owner. */
export const PART_OWNERS: ReadonlyMap<EntityName, { owner: EntityName; ownerField: string }> = new Map([
  ['UserRole', { owner: 'User', ownerField: 'user' }], ['UserProfile', { owner: 'User', ownerField: 'user' }],
  ...PARTS.map((p): [EntityName, { owner: EntityName; ownerField: string }] => [p.entity, { owner: p.owner, ownerField: p.ownerField }]),
]);

/** Link lists (no sourcedId of their own) delivered inside a record: owner → other. */
export interface Link { owner: string; other: string }

/**
 * What a run has read and not yet staged, per entity (stage.ts moves rows and tombstones out after each
 * page); `tombstones` are upstream tobedeleted records too incomplete to store whole. The owners whose parts
 * and link lists a run replaces are its staged owner rows (apply.ts).
 */
export interface Batch {
  rows: Map<EntityName, Row[]>;
  tombstones: Map<EntityName, string[]>;
  classTerms: Link[];
  userAgents: Link[];
  /** Every reference to check: target entity → sourcedId → where it was first seen. */
  references: Map<EntityName, Map<string, SyncIssue>>;
  issues: SyncIssue[];
}

export const emptyBatch = (): Batch => ({
  rows: new Map(), tombstones: new Map(), classTerms: [], userAgents: [], references: new Map(), issues: [],
});

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const missing = (v: unknown) => v === undefined || v === null || v === '';
/** Issues kept per run (src/sync/v1p1.ts reports into the same list). */
export const MAX_ISSUES = 100;

/** Where in the upstream a field of a record is, built only when something is wrong with it (reads run per field of every record). */
type Where = (field: string) => Omit<SyncIssue, 'reason'>;

const defFields = new Map<EntityDef, readonly (readonly [string, FieldDef])[]>();
const fieldsOfDef = (def: EntityDef) => {
  let fields = defFields.get(def);
  if (!fields) defFields.set(def, (fields = Object.entries(def.fields)));
  return fields;
};

/**
 * Grades this gateway wrote under ids without the source's prefix and delivered to the source (outbox-deliver.ts
 * registers them as its records), by entity: the upstream's copy is that record, under that same id.
 */
export type KeptIds = ReadonlyMap<EntityName, ReadonlySet<string>>;

/** Reads the records of one collection into `batch`; `prefix` namespaces every sourcedId of the source (but `kept` ones). */
export class RecordReader {
  constructor(private readonly batch: Batch, private readonly prefix = '', private readonly services: readonly Service[] = ['rostering'],
    private readonly kept: KeptIds = new Map()) {}

  /** The sourcedId here of the source's record `raw` of `entity`. */
  localId(entity: EntityName, raw: string): string {
    return this.kept.get(entity)?.has(raw) ? raw : this.prefix + raw;
  }

  private issue(i: SyncIssue) {
    if (this.batch.issues.length < MAX_ISSUES) this.batch.issues.push(i);
  }

  private push(entity: EntityName, row: Row) {
    const list = this.batch.rows.get(entity) ?? [];
    list.push(row);
    this.batch.rows.set(entity, list);
  }

  private id(entity: EntityName, raw: unknown, at: Where, field: string): string | undefined {
    const id = typeof raw === 'string' ? this.localId(entity, raw) : undefined;
    if (id === undefined || !isValidSourcedId(id)) {
      this.issue({ ...at(field), reason: `${typeof raw === 'string' ? quoteId(raw) : 'value'} is not a valid sourcedId${this.prefix ? ` (with prefix ${this.prefix})` : ''}` });
      return undefined;
    }
    return id;
  }

  private reference(target: EntityName, raw: unknown, at: Where, field: string): string | undefined {
    const sourcedId = isObject(raw) ? raw.sourcedId : undefined;
    if (!isObject(raw) || typeof sourcedId !== 'string') {
      this.issue({ ...at(field), reason: 'expected a GUIDRef object with a sourcedId' });
      return undefined;
    }
    const id = this.id(target, sourcedId, at, field);
    if (id === undefined) return undefined;
    const seen = this.batch.references.get(target) ?? new Map<string, SyncIssue>();
    if (!seen.has(id)) seen.set(id, { ...at(field), reason: `no ${entityDef(target).table} record ${quoteId(id)} upstream or here` });
    this.batch.references.set(target, seen);
    return id;
  }

  /**
   * The fields of an object embedded in a record (a role, a profile, a part) into `row`, every field but
   * the owning one; `special` may read a field its own way (undefined: the usual rule).
   */
  private fieldsOf(def: EntityDef, source: Record<string, unknown>, row: Row, at: Where,
    special: (name: string, raw: unknown) => { value: unknown } | undefined = () => undefined, ownerField = 'user'): Row {
    for (const [name, f] of fieldsOfDef(def)) {
      if (name === ownerField) continue;
      const raw = source[name];
      if (missing(raw)) {
        if (f.required) this.issue({ ...at(name), reason: 'required value is missing' });
        row[name] = null;
      } else {
        const own = special(name, raw);
        row[name] = own ? own.value : this.value(f, raw, at, name);
      }
    }
    return row;
  }

  /** One field's value as stored, or undefined after reporting why it cannot be. */
  private value(f: FieldDef, raw: unknown, at: Where, field: string): unknown {
    if (isRef(f)) return this.reference(f.target, raw, at, field);
    switch (f.kind) {
      case 'string': return typeof raw === 'string' ? raw : this.bad(at, field, 'expected a string');
      case 'enum': return typeof raw === 'string' && isValidToken(f.vocab!, raw) ? raw
        : this.bad(at, field, `${JSON.stringify(raw)} is not one of ${f.vocab!.values.join(', ')} or ext:<token>`);
      case 'date': return typeof raw === 'string' && validDate(raw) ? raw : this.bad(at, field, `${JSON.stringify(raw)} is not a date (YYYY-MM-DD)`);
      case 'datetime': return typeof raw === 'string' && DATETIME.test(raw) && !Number.isNaN(Date.parse(raw)) ? raw : this.bad(at, field, `${JSON.stringify(raw)} is not an ISO 8601 datetime`);
      case 'float': case 'int': {
        const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
        if (typeof n !== 'number' || !Number.isFinite(n) || (f.kind === 'int' && !Number.isInteger(n))) return this.bad(at, field, `${JSON.stringify(raw)} is not a number`);
        return n;
      }
      case 'boolean':
        if (raw === true || raw === 'true') return true;
        if (raw === false || raw === 'false') return false;
        return this.bad(at, field, `${JSON.stringify(raw)} is not "true" or "false"`);
      case 'strings': {
        if (!Array.isArray(raw) || !raw.every((s) => typeof s === 'string')) return this.bad(at, field, 'expected a list of strings');
        const wrong = f.vocab && raw.find((s) => !isValidToken(f.vocab!, s));
        return wrong === undefined ? raw : this.bad(at, field, `${JSON.stringify(wrong)} is not one of ${f.vocab!.values.join(', ')} or ext:<token>`);
      }
      case 'json': return Array.isArray(raw) || isObject(raw) ? raw : this.bad(at, field, 'expected an object or a list');
    }
  }

  private bad(at: Where, field: string, reason: string): undefined {
    this.issue({ ...at(field), reason });
    return undefined;
  }

  /**
   * Reads one record of `entity` (plus its embedded rows). Upstream tobedeleted records are kept
   * whole when they are complete; otherwise only their sourcedId, to tombstone the record here.
   */
  read(entity: EntityName, { url, record }: Fetched): void {
    const rawId = typeof record.sourcedId === 'string' ? record.sourcedId : '';
    const at = (field: string) => ({ url, sourcedId: rawId, field });
    const before = this.batch.issues.length;
    const sourcedId = this.id(entity, record.sourcedId, at, 'sourcedId');
    const status = record.status;
    if (status !== 'active' && status !== 'tobedeleted') this.issue({ ...at('status'), reason: `${JSON.stringify(status)} is not active or tobedeleted` });
    if (typeof record.dateLastModified !== 'string' || !DATETIME.test(record.dateLastModified)) {
      this.issue({ ...at('dateLastModified'), reason: 'required ISO 8601 datetime is missing or malformed' });
    }
    if (record.metadata !== undefined && record.metadata !== null && !isObject(record.metadata)) this.issue({ ...at('metadata'), reason: 'expected an object' });
    if (sourcedId === undefined || this.batch.issues.length > before) return;

    const def = entityDef(entity);
    if (status === 'tobedeleted' && fieldsOfDef(def).some(([name, f]) => f.required && missing(record[name]))) {
      const list = this.batch.tombstones.get(entity) ?? [];
      list.push(sourcedId);
      this.batch.tombstones.set(entity, list);
      return;
    }
    const row: Row = { sourcedId, status, metadata: record.metadata ?? null };
    for (const [name, f] of fieldsOfDef(def)) {
      const raw = record[name];
      if (missing(raw)) {
        if (f.required) this.issue({ ...at(name), reason: 'required value is missing' });
        row[name] = null;
        continue;
      }
      row[name] = this.value(f, raw, at, name);
    }
    if (entity === 'Class') {
      for (const term of this.list(record.terms, at('terms'))) {
        const id = this.reference('AcademicSession', term, at, 'terms');
        if (id) this.batch.classTerms.push({ owner: sourcedId, other: id });
      }
    }
    if (entity === 'User') this.readUserLists(sourcedId, record, at);
    for (const part of PARTS) {
      if (part.owner === entity && (!part.service || this.services.includes(part.service))) this.readPart(part, sourcedId, record, at);
    }
    if (this.batch.issues.length === before) this.push(entity, row);
  }

  /**
   * Drops what an earlier copy of a record delivered (the upstream sent it twice): its row or
   * tombstone, its parts, roles, profiles and links. Rare, so a pass over the lists is fine.
   */
  forget(entity: EntityName, rawId: unknown): void {
    if (typeof rawId !== 'string') return;
    const id = this.localId(entity, rawId);
    const keep = <T>(list: T[] | undefined, drop: (x: T) => boolean) => list?.filter((x) => !drop(x));
    const rows = keep(this.batch.rows.get(entity), (r) => r.sourcedId === id);
    if (rows) this.batch.rows.set(entity, rows);
    const tombstones = keep(this.batch.tombstones.get(entity), (t) => t === id);
    if (tombstones) this.batch.tombstones.set(entity, tombstones);
    for (const [part, { owner, ownerField }] of PART_OWNERS) {
      const parts = owner === entity ? keep(this.batch.rows.get(part), (r) => r[ownerField] === id) : undefined;
      if (parts) this.batch.rows.set(part, parts);
    }
    if (entity === 'Class') this.batch.classTerms = this.batch.classTerms.filter((l) => l.owner !== id);
    if (entity === 'User') this.batch.userAgents = this.batch.userAgents.filter((l) => l.owner !== id);
  }

  /** The parts of one owner record; a missing property is an empty list. */
  private readPart(part: Part, owner: string, record: Json, at: (field: string) => Omit<SyncIssue, 'reason'>) {
    const raw = record[part.property];
    if (missing(raw)) return;
    const def = entityDef(part.entity);
    const items = part.items(raw, (path, reason) => this.issue({ ...at(`${part.property}${path}`), reason }));
    items.forEach((item, i) => {
      const where = part.single ? part.property : `${part.property}[${i}]`;
      const sourcedId = partSourcedId(owner, part.property, part.single ? undefined : i);
      // Parts stay active with a deleted owner, as the upstream keeps them; the owner's status is what readers see.
      const row: Row = { sourcedId, status: 'active', metadata: null, [part.ownerField]: owner };
      this.push(part.entity, this.fieldsOf(def, item, row, (name) => at(`${where}.${name}`), undefined, part.ownerField));
    });
  }

  private list(raw: unknown, at: Omit<SyncIssue, 'reason'>): unknown[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.issue({ ...at, reason: 'expected a list' });
      return [];
    }
    return raw;
  }

  /**
   * A user's roles (rows with a sourcedId derived from the user's and the role's position, so that
   * they come back in the upstream's order), profiles (sourcedId from the profileId URI) and agents.
   */
  private readUserLists(user: string, record: Json, at: (field: string) => Omit<SyncIssue, 'reason'>) {
    const roleDef = entityDef('UserRole');
    this.list(record.roles, at('roles')).forEach((role, i) => {
      const where = at(`roles[${i}]`);
      if (!isObject(role)) return this.issue({ ...where, reason: 'expected an object' });
      const row: Row = { sourcedId: `${user}-role-${String(i).padStart(3, '0')}`, status: record.status, metadata: null, user };
      this.push('UserRole', this.fieldsOf(roleDef, role, row, (name) => at(`roles[${i}].${name}`), (name, raw) =>
        name !== 'userProfile' ? undefined : {
          value: typeof raw === 'string' ? this.localId('UserProfile', sourcedIdOfProfileUri(raw)) : this.issue({ ...at(`roles[${i}].userProfile`), reason: 'expected a URI' }),
        }));
    });
    const profileDef = entityDef('UserProfile');
    this.list(record.userProfiles, at('userProfiles')).forEach((profile, i) => {
      if (!isObject(profile) || typeof profile.profileId !== 'string') return this.issue({ ...at(`userProfiles[${i}]`), reason: 'expected an object with a profileId' });
      const id = this.id('UserProfile', sourcedIdOfProfileUri(profile.profileId), at, `userProfiles[${i}].profileId`);
      const row: Row = { sourcedId: id, status: record.status, metadata: null, user };
      this.push('UserProfile', this.fieldsOf(profileDef, profile, row, (name) => at(`userProfiles[${i}].${name}`)));
    });
    for (const agent of this.list(record.agents, at('agents'))) {
      const id = this.reference('User', agent, at, 'agents');
      if (id) this.batch.userAgents.push({ owner: user, other: id });
    }
  }
}
