import type { ApiVersion } from './route-config.js';
import type { RefType, RestProperty, Shape } from './shapes.js';

/**
 * GraphQL result objects → OneRoster JSON objects. A serialiser is compiled once per shape and
 * field selection (one small closure per property) and then run over every row.
 */

type Node = Record<string, any>;
export interface GuidRef { href: string; sourcedId: string; type: RefType }

/** Where each reference type lives on this server (the GUIDRef `href`). */
const LOCATIONS: Record<RefType, [service: string, collection: string]> = {
  org: ['rostering', 'orgs'], academicSession: ['rostering', 'academicSessions'], course: ['rostering', 'courses'],
  class: ['rostering', 'classes'], user: ['rostering', 'users'], resource: ['resources', 'resources'],
  category: ['gradebook', 'categories'], lineItem: ['gradebook', 'lineItems'], scoreScale: ['gradebook', 'scoreScales'],
  assessmentLineItem: ['gradebook', 'assessmentLineItems'],
};

/** Builds GUIDRefs whose href is the absolute URL of the object on this server. */
export class RefMaker {
  private readonly prefixes: Record<string, string> = {};

  constructor(origin: string, version: ApiVersion) {
    for (const [type, [service, collection]] of Object.entries(LOCATIONS)) {
      const base = version === 'v1p1' ? '/ims/oneroster/v1p1' : `/ims/oneroster/${service}/v1p2`;
      this.prefixes[type] = `${origin}${base}/${collection}/`;
    }
  }

  ref(type: RefType, sourcedId: string): GuidRef {
    return { href: this.prefixes[type] + encodeURIComponent(sourcedId), sourcedId, type };
  }
}

type Writer = (node: Node, out: Node, refs: RefMaker) => void;

const isEmpty = (v: unknown) => v == null || (Array.isArray(v) && v.length === 0);

/** Embedded value objects: nulls and empty lists dropped; a nested `org` (Role.org) becomes a GUIDRef. */
function cleanEmbedded(value: unknown, refs: RefMaker): unknown {
  if (Array.isArray(value)) return value.map((v) => cleanEmbedded(v, refs));
  if (value === null || typeof value !== 'object') return value;
  const out: Node = {};
  // for..in rather than Object.entries: no array per object on the hot path (GraphQL results have no prototype).
  for (const k in value) {
    const v = (value as Node)[k];
    if (!isEmpty(v)) out[k] = k === 'org' ? refs.ref('org', v.sourcedId) : cleanEmbedded(v, refs);
  }
  return out;
}

/**
 * The 1.1 vocabulary for a 1.2 role (1.1 has no administrator subtypes and no counselor; counselors are
 * school staff with administrative access, so they map to administrator too). ext: tokens pass through.
 */
const V1P1_ROLE: Record<string, string> = {
  districtAdministrator: 'administrator', siteAdministrator: 'administrator', principal: 'administrator',
  systemAdministrator: 'administrator', counselor: 'administrator',
};
export const v1p1RoleOf = (role: string) => V1P1_ROLE[role] ?? role;

interface RoleRow { roleType: string; role: string; org: { sourcedId: string } }

/** The user's primary role: the primary role in the primary org, else the first primary role, else the first role. */
export function primaryRole(roles: RoleRow[], primaryOrg: string | undefined): RoleRow | undefined {
  const primaries = roles.filter((r) => r.roleType === 'primary');
  return primaries.find((r) => r.org.sourcedId === primaryOrg) ?? primaries[0] ?? roles[0];
}

function writer(name: string, prop: RestProperty): Writer {
  const s = prop.serialise;
  switch (s.as) {
    case 'plain':
      return prop.required
        ? (n, o) => { if (n[name] != null) o[name] = n[name]; }
        : (n, o) => { const v = n[name]; if (!isEmpty(v)) o[name] = v; };
    case 'bool':
      return (n, o) => { const v = n[name]; if (v != null) o[name] = v ? 'true' : 'false'; };
    case 'ref':
      return (n, o, refs) => { const v = n[name]; if (v) o[name] = refs.ref(s.type, v.sourcedId); };
    case 'refs':
      return (n, o, refs) => {
        const nodes = n[name]?.nodes as Node[] | undefined;
        if (nodes && (nodes.length || prop.required)) o[name] = nodes.map((r) => refs.ref(s.type, r.sourcedId));
      };
    case 'embedded':
      return (n, o, refs) => { const v = n[name]; if (v && (v.length || prop.required)) o[name] = cleanEmbedded(v, refs); };
    case 'v1p1Role':
      return (n, o) => {
        const role = primaryRole(n.__roles ?? [], n.__primaryOrg?.sourcedId);
        if (role) o[name] = v1p1RoleOf(role.role);
      };
    case 'v1p1Orgs':
      return (n, o, refs) => {
        const ids = [...new Set((n.__roles as RoleRow[] ?? []).map((r) => r.org.sourcedId))];
        o[name] = ids.map((id) => refs.ref('org', id));
      };
  }
}

export type Serialiser = (node: Node, refs: RefMaker) => Node;

export function compileSerialiser(shape: Shape, fields: readonly string[]): Serialiser {
  const writers = fields.map((f) => writer(f, shape.properties[f]!));
  return (node, refs) => {
    const out: Node = {};
    for (const w of writers) w(node, out, refs);
    return out;
  };
}
