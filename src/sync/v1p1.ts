/**
 * OneRoster 1.1 JSON records → the 1.2 record shape RecordReader reads: the inverse of how this server
 * serves 1.2 records on /ims/oneroster/v1p1 (src/rest/shapes.ts V1P1_SHAPES, src/rest/serialize.ts).
 *
 * What differs in the rostering collections (model.md §4):
 * - users: 1.1 names one `role` for a list of `orgs`; 1.2 has `roles`, one role per org. Each listed org
 *   becomes a primary role (1.2: exactly one primary role per org) with the 1.1 role, as the 1.1 CSV
 *   import does (src/csv/load.ts). 1.1's `administrator` is no longer a 1.2 user role: it becomes
 *   `siteAdministrator`, its closest match, which this server serves back to 1.1 as `administrator`.
 * - every record: the 1.0 status `inactive`, which some 1.1 providers still send, is `tobedeleted`.
 * - orgs, academic sessions, courses, classes, enrollments and demographics: same field names and
 *   vocabularies (1.2's are supersets); 1.1 GUIDRef `type` values (`term`, `student`, ...) are not read.
 *
 * 1.1 cannot carry the 1.2-only user fields (primaryOrg, userProfiles, userMasterIdentifier, preferred
 * names, pronouns) nor role details (secondary roles, begin and end dates): they stay empty. A 1.1
 * provider that sends some of them anyway (an extension) has them read as 1.2 fields.
 */
import { isValidToken, vocab, type EntityName } from '../model/dsl.js';
import { MAX_ISSUES, RecordReader, type Batch, type SyncIssue } from './records.js';
import type { Fetched } from './upstream.js';

type Json = Record<string, unknown>;
type Problem = Pick<SyncIssue, 'field' | 'reason'>;

/** 1.1 user roles (model.md §4), with ext: tokens as this server passes them through. */
const RoleV11 = vocab('RoleV11', ['administrator', 'aide', 'guardian', 'parent', 'proctor', 'relative', 'student', 'teacher']);
const ROLE_V12: Record<string, string> = { administrator: 'siteAdministrator' };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const missing = (v: unknown) => v === undefined || v === null || v === '';

/** A 1.1 user's `role` and `orgs` as 1.2 `roles`, in the order of its orgs. */
function rolesOf(record: Json, problems: Problem[]): Json[] {
  const { role, orgs } = record;
  if (missing(orgs) || (Array.isArray(orgs) && orgs.length === 0)) {
    // This server writes a user without roles as `orgs: []` and no role; a tombstone may carry neither.
    return [];
  }
  if (!Array.isArray(orgs)) {
    problems.push({ field: 'orgs', reason: 'expected a list of org GUIDRefs' });
    return [];
  }
  const valid = typeof role === 'string' && isValidToken(RoleV11, role);
  if (missing(role)) problems.push({ field: 'role', reason: 'required value is missing (the user lists orgs)' });
  else if (!valid) problems.push({ field: 'role', reason: `${JSON.stringify(role)} is not one of ${RoleV11.values.join(', ')} or ext:<token>` });
  const seen = new Set<string>();
  const roles: Json[] = [];
  orgs.forEach((org, i) => {
    if (!isObject(org) || typeof org.sourcedId !== 'string') {
      problems.push({ field: `orgs[${i}]`, reason: 'expected a GUIDRef object with a sourcedId' });
      return;
    }
    if (seen.has(org.sourcedId)) return;
    seen.add(org.sourcedId);
    if (valid) roles.push({ roleType: 'primary', role: ROLE_V12[role] ?? role, org: { sourcedId: org.sourcedId } });
  });
  return roles;
}

/** One 1.1 record in the 1.2 shape, and what could not be converted (field names as the 1.1 record has them). */
export function fromV1p1(entity: EntityName, record: Json): { record: Json; problems: Problem[] } {
  const problems: Problem[] = [];
  const out: Json = { ...record };
  if (out.status === 'inactive') out.status = 'tobedeleted';
  if (entity === 'User') {
    const { role: _role, orgs: _orgs, ...rest } = out;
    return { record: { ...rest, roles: rolesOf(record, problems) }, problems };
  }
  return { record: out, problems };
}

/** RecordReader for a 1.1 source: converts each record, reports what cannot be converted, reads the rest as usual. */
export class V1p1Reader {
  private readonly reader: RecordReader;

  constructor(private readonly batch: Batch, prefix = '') {
    this.reader = new RecordReader(batch, prefix);
  }

  /** Drops what an earlier copy of this record added (it arrived again on a later page). */
  forget(entity: EntityName, rawId: unknown): void {
    this.reader.forget(entity, rawId);
  }

  localId(entity: EntityName, raw: string): string {
    return this.reader.localId(entity, raw);
  }

  read(entity: EntityName, { url, record }: Fetched): void {
    const converted = fromV1p1(entity, record);
    const sourcedId = typeof record.sourcedId === 'string' ? record.sourcedId : '';
    for (const p of converted.problems) if (this.batch.issues.length < MAX_ISSUES) this.batch.issues.push({ url, sourcedId, ...p });
    this.reader.read(entity, { url, record: converted.record });
  }
}
