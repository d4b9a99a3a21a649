import type { EntityName } from '../../model/dsl.js';
import { entityDef } from '../../model/index.js';
import { relationsOf } from '../../model/relations.js';
import { V1P2_SHAPES } from '../../rest/shapes.js';

/**
 * Denied fields are named `collection.field` with the REST collection and property names a vendor's
 * contract uses (`users.email`, `users.userIds`, `demographics.birthDate`). Internally they are kept by
 * GraphQL type, since both the graph and the REST layer (whose shapes name their GraphQL type) check them.
 */
export const DENIABLE_TYPES: Readonly<Record<string, EntityName>> = {
  orgs: 'Org', academicSessions: 'AcademicSession', courses: 'Course', classes: 'Class', users: 'User',
  enrollments: 'Enrollment', demographics: 'Demographics', categories: 'Category', lineItems: 'LineItem',
  results: 'Result', scoreScales: 'ScoreScale', assessmentLineItems: 'AssessmentLineItem',
  assessmentResults: 'AssessmentResult', resources: 'Resource',
};

/** Identity and change tracking are never deniable: a record without them is no record. */
const UNDENIABLE = new Set(['sourcedId', 'status', 'dateLastModified']);

/** The fields of a type that may be denied: its model fields, metadata, its relations and its REST properties. */
export function deniableFields(entity: EntityName): Set<string> {
  const shape = Object.values(V1P2_SHAPES).find((s) => s.entity === entity);
  const names = new Set<string>([
    ...Object.keys(entityDef(entity).fields), 'metadata', ...relationsOf(entity).map((r) => r.name),
    ...Object.keys(shape?.properties ?? {}),
  ]);
  for (const n of UNDENIABLE) names.delete(n);
  return names;
}

/** Checks and normalises `collection.field` names; throws a RangeError naming every unknown one. */
export function parseDeniedFields(names: readonly string[]): string[] {
  const unknown: string[] = [];
  for (const name of names) {
    const [collection, field, ...rest] = name.split('.');
    const entity = collection === undefined ? undefined : DENIABLE_TYPES[collection];
    if (!entity || !field || rest.length || !deniableFields(entity).has(field)) unknown.push(name);
  }
  if (unknown.length) {
    throw new RangeError(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')}: `
      + `expected collection.field, e.g. users.email (collections: ${Object.keys(DENIABLE_TYPES).join(', ')}; `
      + 'sourcedId, status and dateLastModified cannot be denied)');
  }
  return [...new Set(names)].sort();
}

/** Denied fields by GraphQL type name (`User` → email, phone); empty for clients without rules. */
export class DeniedFields {
  private readonly byType = new Map<string, Set<string>>();

  constructor(names: readonly string[] = []) {
    for (const name of names) {
      const [collection, field] = name.split('.') as [string, string];
      const entity = DENIABLE_TYPES[collection];
      if (!entity) continue;
      let set = this.byType.get(entity);
      if (!set) this.byType.set(entity, (set = new Set()));
      set.add(field);
    }
  }

  get empty(): boolean { return this.byType.size === 0; }

  /**
   * Whether `field` of GraphQL type `typeName` is denied; the graph's derived views of a field
   * (`roleToken`, `rolesEnum`) are denied with it.
   */
  has(typeName: string, field: string): boolean {
    const set = this.byType.get(typeName);
    if (!set) return false;
    return set.has(field) || set.has(field.replace(/(Token|Enum)$/, ''));
  }

  of(typeName: string): ReadonlySet<string> {
    return this.byType.get(typeName) ?? new Set();
  }
}

export const NO_DENIED_FIELDS = new DeniedFields();
