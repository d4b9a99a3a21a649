/**
 * A small vocabulary for describing OneRoster classes once. The ORM entities, the GraphQL types,
 * the REST serialiser and the CSV columns are all derived from these descriptors, so a field added
 * here appears everywhere with the same name and type.
 */
export type ScalarKind =
  | 'string' | 'enum' | 'date' | 'datetime' | 'float' | 'int' | 'boolean' | 'strings' | 'json';

export interface Vocabulary {
  /** GraphQL enum name, e.g. `OrgType`. */
  name: string;
  values: readonly string[];
  /** Whether `ext:<token>` values are allowed besides the listed ones. */
  ext: boolean;
}

export interface ScalarField {
  kind: ScalarKind;
  required?: boolean;
  vocab?: Vocabulary;
  /** For json fields: the GraphQL object type name of the list items. */
  jsonType?: string;
  /** Indexed for filtering and sorting. */
  index?: boolean;
  description?: string;
}

export interface RefField {
  kind: 'ref';
  target: EntityName;
  required?: boolean;
  /** Part of the primary key (link tables without their own sourcedId). */
  primary?: boolean;
  description?: string;
}

export type FieldDef = ScalarField | RefField;

export type EntityName =
  | 'Org' | 'AcademicSession' | 'Course' | 'Class' | 'User' | 'UserRole' | 'UserProfile' | 'UserAgent'
  | 'ClassTerm' | 'Enrollment' | 'Demographics' | 'Category' | 'LineItem' | 'LineItemLearningObjective'
  | 'LineItemScoreScale' | 'Result' | 'ResultLearningObjective' | 'ResultScoreScale' | 'ScoreScale'
  | 'AssessmentLineItem' | 'AssessmentResult' | 'Resource' | 'CourseResource' | 'ClassResource' | 'UserResource';

export interface EntityDef {
  name: EntityName;
  table: string;
  /** Has the OneRoster base fields (sourcedId, status, dateLastModified, metadata). */
  base: boolean;
  fields: Record<string, FieldDef>;
  description: string;
}

export const isRef = (f: FieldDef): f is RefField => f.kind === 'ref';

const field = (kind: ScalarKind) => (opts: Omit<ScalarField, 'kind'> = {}): ScalarField => ({ kind, ...opts });
export const str = field('string');
export const date = field('date');
export const datetime = field('datetime');
export const float = field('float');
export const bool = field('boolean');
export const strings = field('strings');
export const json = (jsonType: string, opts: Omit<ScalarField, 'kind' | 'jsonType'> = {}): ScalarField =>
  ({ kind: 'json', jsonType, ...opts });
export const enumOf = (vocab: Vocabulary, opts: Omit<ScalarField, 'kind' | 'vocab'> = {}): ScalarField =>
  ({ kind: 'enum', vocab, ...opts });
export const ref = (target: EntityName, opts: Omit<RefField, 'kind' | 'target'> = {}): RefField =>
  ({ kind: 'ref', target, ...opts });

export const vocab = (name: string, values: readonly string[], ext = true): Vocabulary => ({ name, values, ext });

/** Column name of a scalar or reference field, as MikroORM's underscore naming strategy derives it. */
export function columnOf(fieldName: string, f: FieldDef): string {
  const snake = fieldName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return isRef(f) ? `${snake}_sourced_id` : snake;
}

export const EXT_PATTERN = /^ext:[a-zA-Z0-9.\-_]+$/;

export function isValidToken(v: Vocabulary, value: string): boolean {
  return v.values.includes(value) || (v.ext && EXT_PATTERN.test(value));
}
