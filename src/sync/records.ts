/**
 * Upstream OneRoster 1.2 JSON records → rows of this database, checked field by field as the CSV
 * import checks cells (required values, formats, vocabularies, sourcedIds). Embedded lists become
 * rows of their own tables: a user's roles and profiles, its agents, a class's terms.
 */
import { validDate } from '../csv/cells.js';
import { isRef, isValidToken, type EntityDef, type EntityName, type FieldDef } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { sourcedIdOfProfileUri } from '../shared/profile-id.js';
import { isValidSourcedId, quoteId } from '../shared/sourced-id.js';
import type { Fetched } from './upstream.js';

type Json = Record<string, unknown>;
export type Row = Record<string, unknown>;

/** A problem with one upstream record: where it came from, which record, which field. */
export interface SyncIssue { url: string; sourcedId: string; field: string; reason: string }

/** The root collections of the rostering service that hold whole tables, in reference order. */
export const ROSTERING_COLLECTIONS: readonly { path: string; wrapper: string; entity: EntityName }[] = [
  { path: '/orgs', wrapper: 'orgs', entity: 'Org' },
  { path: '/academicSessions', wrapper: 'academicSessions', entity: 'AcademicSession' },
  { path: '/courses', wrapper: 'courses', entity: 'Course' },
  { path: '/classes', wrapper: 'classes', entity: 'Class' },
  { path: '/users', wrapper: 'users', entity: 'User' },
  { path: '/enrollments', wrapper: 'enrollments', entity: 'Enrollment' },
  { path: '/demographics', wrapper: 'demographics', entity: 'Demographics' },
];

/** Link lists (no sourcedId of their own) delivered inside a record: owner → other. */
export interface Link { owner: string; other: string }

/** Everything one run delivers, per entity; `tombstones` are upstream tobedeleted records too incomplete to store whole. */
export interface Batch {
  rows: Map<EntityName, Row[]>;
  tombstones: Map<EntityName, string[]>;
  classTerms: Link[];
  userAgents: Link[];
  /** Owners whose link lists (and embedded roles/profiles) the batch replaces. */
  classes: string[];
  users: string[];
  /** Every reference to check: target entity → sourcedId → where it was first seen. */
  references: Map<EntityName, Map<string, SyncIssue>>;
  issues: SyncIssue[];
}

export const emptyBatch = (): Batch => ({
  rows: new Map(), tombstones: new Map(), classTerms: [], userAgents: [], classes: [], users: [], references: new Map(), issues: [],
});

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const missing = (v: unknown) => v === undefined || v === null || v === '';
/** Issues kept per run (src/sync/v1p1.ts reports into the same list). */
export const MAX_ISSUES = 100;

/** Reads the records of one collection into `batch`; `prefix` namespaces every sourcedId of the source. */
export class RecordReader {
  constructor(private readonly batch: Batch, private readonly prefix = '') {}

  private issue(i: SyncIssue) {
    if (this.batch.issues.length < MAX_ISSUES) this.batch.issues.push(i);
  }

  private push(entity: EntityName, row: Row) {
    const list = this.batch.rows.get(entity) ?? [];
    list.push(row);
    this.batch.rows.set(entity, list);
  }

  private id(raw: unknown, at: Omit<SyncIssue, 'reason'>): string | undefined {
    if (typeof raw !== 'string' || !isValidSourcedId(this.prefix + raw)) {
      this.issue({ ...at, reason: `${typeof raw === 'string' ? quoteId(raw) : 'value'} is not a valid sourcedId${this.prefix ? ` (with prefix ${this.prefix})` : ''}` });
      return undefined;
    }
    return this.prefix + raw;
  }

  private reference(target: EntityName, raw: unknown, at: Omit<SyncIssue, 'reason'>): string | undefined {
    const sourcedId = isObject(raw) ? raw.sourcedId : undefined;
    if (!isObject(raw) || typeof sourcedId !== 'string') {
      this.issue({ ...at, reason: 'expected a GUIDRef object with a sourcedId' });
      return undefined;
    }
    const id = this.id(sourcedId, at);
    if (id === undefined) return undefined;
    const seen = this.batch.references.get(target) ?? new Map<string, SyncIssue>();
    if (!seen.has(id)) seen.set(id, { ...at, reason: `no ${entityDef(target).table} record ${quoteId(id)} upstream or here` });
    this.batch.references.set(target, seen);
    return id;
  }

  /**
   * The fields of an object embedded in a user (a role, a profile) into `row`, every field but the owning
   * `user`; `special` may read a field its own way (undefined: the usual rule).
   */
  private fieldsOf(def: EntityDef, source: Record<string, unknown>, row: Row, at: (field: string) => Omit<SyncIssue, 'reason'>,
    special: (name: string, raw: unknown) => { value: unknown } | undefined = () => undefined): Row {
    for (const [name, f] of Object.entries(def.fields)) {
      if (name === 'user') continue;
      const raw = source[name];
      if (missing(raw)) {
        if (f.required) this.issue({ ...at(name), reason: 'required value is missing' });
        row[name] = null;
      } else {
        const own = special(name, raw);
        row[name] = own ? own.value : this.value(f, raw, at(name));
      }
    }
    return row;
  }

  /** One field's value as stored, or undefined after reporting why it cannot be. */
  private value(f: FieldDef, raw: unknown, at: Omit<SyncIssue, 'reason'>): unknown {
    const bad = (reason: string) => { this.issue({ ...at, reason }); return undefined; };
    if (isRef(f)) return this.reference(f.target, raw, at);
    switch (f.kind) {
      case 'string': return typeof raw === 'string' ? raw : bad('expected a string');
      case 'enum': return typeof raw === 'string' && isValidToken(f.vocab!, raw) ? raw
        : bad(`${JSON.stringify(raw)} is not one of ${f.vocab!.values.join(', ')} or ext:<token>`);
      case 'date': return typeof raw === 'string' && validDate(raw) ? raw : bad(`${JSON.stringify(raw)} is not a date (YYYY-MM-DD)`);
      case 'datetime': return typeof raw === 'string' && DATETIME.test(raw) && !Number.isNaN(Date.parse(raw)) ? raw : bad(`${JSON.stringify(raw)} is not an ISO 8601 datetime`);
      case 'float': case 'int': {
        const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
        if (typeof n !== 'number' || !Number.isFinite(n) || (f.kind === 'int' && !Number.isInteger(n))) return bad(`${JSON.stringify(raw)} is not a number`);
        return n;
      }
      case 'boolean':
        if (raw === true || raw === 'true') return true;
        if (raw === false || raw === 'false') return false;
        return bad(`${JSON.stringify(raw)} is not "true" or "false"`);
      case 'strings': return Array.isArray(raw) && raw.every((s) => typeof s === 'string') ? raw : bad('expected a list of strings');
      case 'json': return Array.isArray(raw) || isObject(raw) ? raw : bad('expected an object or a list');
    }
  }

  /**
   * Reads one record of `entity` (plus its embedded rows). Upstream tobedeleted records are kept
   * whole when they are complete; otherwise only their sourcedId, to tombstone the record here.
   */
  read(entity: EntityName, { url, record }: Fetched): void {
    const rawId = typeof record.sourcedId === 'string' ? record.sourcedId : '';
    const at = (field: string) => ({ url, sourcedId: rawId, field });
    const before = this.batch.issues.length;
    const sourcedId = this.id(record.sourcedId, at('sourcedId'));
    const status = record.status;
    if (status !== 'active' && status !== 'tobedeleted') this.issue({ ...at('status'), reason: `${JSON.stringify(status)} is not active or tobedeleted` });
    if (typeof record.dateLastModified !== 'string' || !DATETIME.test(record.dateLastModified)) {
      this.issue({ ...at('dateLastModified'), reason: 'required ISO 8601 datetime is missing or malformed' });
    }
    if (record.metadata !== undefined && record.metadata !== null && !isObject(record.metadata)) this.issue({ ...at('metadata'), reason: 'expected an object' });
    if (sourcedId === undefined || this.batch.issues.length > before) return;

    const def = entityDef(entity);
    if (status === 'tobedeleted' && Object.entries(def.fields).some(([name, f]) => f.required && missing(record[name]))) {
      const list = this.batch.tombstones.get(entity) ?? [];
      list.push(sourcedId);
      this.batch.tombstones.set(entity, list);
      return;
    }
    const row: Row = { sourcedId, status, metadata: record.metadata ?? null };
    for (const [name, f] of Object.entries(def.fields)) {
      const raw = record[name];
      if (missing(raw)) {
        if (f.required) this.issue({ ...at(name), reason: 'required value is missing' });
        row[name] = null;
        continue;
      }
      row[name] = this.value(f, raw, at(name));
    }
    if (entity === 'Class') {
      this.batch.classes.push(sourcedId);
      for (const term of this.list(record.terms, at('terms'))) {
        const id = this.reference('AcademicSession', term, at('terms'));
        if (id) this.batch.classTerms.push({ owner: sourcedId, other: id });
      }
    }
    if (entity === 'User') this.readUserLists(sourcedId, record, at);
    if (this.batch.issues.length === before) this.push(entity, row);
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
    this.batch.users.push(user);
    const roleDef = entityDef('UserRole');
    this.list(record.roles, at('roles')).forEach((role, i) => {
      const where = at(`roles[${i}]`);
      if (!isObject(role)) return this.issue({ ...where, reason: 'expected an object' });
      const row: Row = { sourcedId: `${user}-role-${String(i).padStart(3, '0')}`, status: record.status, metadata: null, user };
      this.push('UserRole', this.fieldsOf(roleDef, role, row, (name) => at(`roles[${i}].${name}`), (name, raw) =>
        name !== 'userProfile' ? undefined : {
          value: typeof raw === 'string' ? this.prefix + sourcedIdOfProfileUri(raw) : this.issue({ ...at(`roles[${i}].userProfile`), reason: 'expected a URI' }),
        }));
    });
    const profileDef = entityDef('UserProfile');
    this.list(record.userProfiles, at('userProfiles')).forEach((profile, i) => {
      if (!isObject(profile) || typeof profile.profileId !== 'string') return this.issue({ ...at(`userProfiles[${i}]`), reason: 'expected an object with a profileId' });
      const id = this.id(sourcedIdOfProfileUri(profile.profileId), at(`userProfiles[${i}].profileId`));
      const row: Row = { sourcedId: id, status: record.status, metadata: null, user };
      this.push('UserProfile', this.fieldsOf(profileDef, profile, row, (name) => at(`userProfiles[${i}].${name}`)));
    });
    for (const agent of this.list(record.agents, at('agents'))) {
      const id = this.reference('User', agent, at('agents'));
      if (id) this.batch.userAgents.push({ owner: user, other: id });
    }
  }
}
