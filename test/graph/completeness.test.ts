import fs from 'node:fs';
import {
  getNamedType, getNullableType, isEnumType, isListType, isNonNullType, isObjectType,
  type GraphQLField, type GraphQLObjectType, type GraphQLOutputType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { isRef, type EntityName } from '../../src/model/dsl.js';
import { entityDef } from '../../src/model/index.js';
import { relations } from '../../src/model/relations.js';
import { schema } from '../../src/graph/schema.js';
import { enumValueName } from '../../src/graph/model-fields.js';
import { exposedDefs, typeNameOf } from '../../src/graph/node-refs.js';

/**
 * Every class and field of the data model reference (model.md, the field tables) must exist in the
 * graph with a fitting GraphQL type. The tables are parsed, not copied, so the reference is the source.
 */
const MODEL_MD = new URL('../spec/model.md', import.meta.url);

interface ModelField { name: string; type: string; card: string }
interface ModelClass { heading: string; name: string; fields: ModelField[] }

function parseModel(text: string): ModelClass[] {
  const classes: ModelClass[] = [];
  let current: ModelClass | undefined;
  let inFieldTable = false;
  for (const line of text.split('\n')) {
    const heading = /^#{3,4} (\d+(?:\.\d+)*) (.+)$/.exec(line);
    if (heading) {
      const title = heading[2].trim();
      current = { heading: title, name: title.split(/[\s(]/)[0], fields: [] };
      classes.push(current);
      inFieldTable = false;
      continue;
    }
    if (!line.startsWith('|')) { inFieldTable = false; continue; }
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells[0] === 'Field') { inFieldTable = true; continue; }
    if (!inFieldTable || !current || /^-+$/.test(cells[0])) continue;
    const name = /^`([^`]+)`$/.exec(cells[0])?.[1];
    if (name) current.fields.push({ name, type: cells[1], card: cells[2] });
  }
  return classes.filter((c) => c.fields.length > 0);
}

/** model.md class name → GraphQL type name, where they differ. */
const TYPE_OF: Record<string, string> = { GUIDPair: 'GUIDPair' };
/** Types in model.md that are not GraphQL types of their own, and why. */
const NOT_A_TYPE: Record<string, string> = {
  Base: 'base fields: checked on every top-level type instead',
  GUIDRef: 'a reference is served as the referenced object itself; href and type are REST serialisation',
};
/** Element types named in plural or with a DType suffix in model.md. */
const ELEMENT_TYPE: Record<string, string> = { LearningObjectiveResults: 'LearningObjectiveResult' };

const GUIDREF_TARGET: Record<string, string> = { academicSession: 'AcademicSession' };

function typeOfField(t: GraphQLObjectType, field: string): GraphQLField<unknown, unknown> {
  const f = t.getFields()[field];
  expect(f, `${t.name}.${field} exists`).toBeDefined();
  return f;
}

function unwrapList(type: GraphQLOutputType): GraphQLOutputType | undefined {
  const inner = getNullableType(type);
  return isListType(inner) ? inner.ofType : undefined;
}

/** Asserts that the GraphQL field fits the model.md type column. */
function checkType(owner: GraphQLObjectType, f: ModelField) {
  const where = `${owner.name}.${f.name} (${f.type})`;
  const gf = typeOfField(owner, f.name);
  const named = getNamedType(gf.type);
  if (f.card === '0..1') expect(isNonNullType(gf.type), `${where} is nullable`).toBe(false);

  const guidRef = /GUIDRef→(\w+)/.exec(f.type);
  if (guidRef) {
    const target = GUIDREF_TARGET[guidRef[1]] ?? guidRef[1];
    if (f.type.startsWith('array of')) {
      // A to-many reference is a connection (or a plain list) of the target type.
      const list = unwrapList(gf.type);
      const node = list ? getNamedType(list) : (named as GraphQLObjectType).getFields().nodes?.type;
      expect(node && getNamedType(node).name, where).toBe(target);
    } else {
      expect(named.name, where).toBe(target);
    }
    return;
  }
  if (f.type.startsWith('array of')) {
    const list = unwrapList(gf.type);
    expect(list, `${where} is a list`).toBeDefined();
    const element = /^array of (\w+)/.exec(f.type)![1];
    if (element === 'string') expect(named.name, where).toBe('String');
    else if (element === 'enum') expect(named.name, where).toBe('String');
    else expect(named.name, where).toBe(ELEMENT_TYPE[element] ?? typeNameOf(element));
    return;
  }
  if (/^enum `true` \\?\| `false`$/.test(f.type)) { expect(named.name, where).toBe('Boolean'); return; }
  if (f.type.startsWith('enum pattern')) { expect(named.name, where).toBe('String'); return; }
  if (f.type.startsWith('enum')) {
    expect(isEnumType(named), `${where} is an enum`).toBe(true);
    const values = isEnumType(named) ? named.getValues().map((v) => v.value) : [];
    const tokens = [...f.type.matchAll(/`([^`]+)`/g)].map((m) => m[1]).filter((t) => t !== 'ext:…');
    for (const token of tokens) expect(values, `${where} has ${token}`).toContain(token);
    if (f.type.includes('ext:…')) {
      expect(values, `${where} represents ext: tokens`).toContain('EXTENSION');
      expect(getNamedType(typeOfField(owner, `${f.name}Token`).type).name, `${where} token`).toBe('String');
    }
    return;
  }
  const scalar: [RegExp, string[]][] = [
    [/^string/, ['String', 'ID']], [/^URI/, ['String', 'ID']], [/^DateTime/, ['DateTime']],
    [/^Date/, ['Date']], [/^float/, ['Float']], [/^Metadata/, ['JSONObject']],
  ];
  const match = scalar.find(([re]) => re.test(f.type));
  expect(match, `${where}: a type this test knows`).toBeDefined();
  expect(match![1], where).toContain(named.name);
}

describe('the graph covers the whole data model (model.md)', () => {
  const model = parseModel(fs.readFileSync(MODEL_MD, 'utf8'));
  const types = schema.getTypeMap();
  const base = model.find((c) => c.name === 'Base')!;
  const topLevel = /\(every top-level entity: ([^)]+)\)/.exec(base.heading)![1].split(',').map((s) => s.trim());

  it('parses every class table of model.md', () => {
    const names = model.map((c) => c.name);
    for (const expected of ['Org', 'AcademicSession', 'User', 'Role', 'UserProfile', 'Credential', 'Result', 'ScoreScaleValue',
      'LearningObjectiveScoreSet', 'AssessmentResult', 'Resource', 'GUIDPair']) expect(names).toContain(expected);
    expect(topLevel).toHaveLength(14);
    expect(model.reduce((n, c) => n + c.fields.length, 0)).toBeGreaterThan(200);
  });

  it.each(model.filter((c) => !NOT_A_TYPE[c.name]).map((c) => [c.name, c] as const))('%s: every field with a fitting type', (_name, cls) => {
    const type = types[TYPE_OF[cls.name] ?? cls.name];
    expect(type && isObjectType(type), `type ${cls.name}`).toBe(true);
    for (const f of cls.fields) checkType(type as GraphQLObjectType, f);
  });

  it.each(topLevel)('%s has the base fields', (name) => {
    const type = types[name] as GraphQLObjectType;
    expect(isObjectType(type), name).toBe(true);
    for (const f of base.fields) checkType(type, f);
  });

  it('serves every reference field as the referenced object, readable by its sourcedId', () => {
    const guidRef = model.find((c) => c.name === 'GUIDRef')!;
    expect(guidRef.fields.map((f) => f.name)).toEqual(['href', 'sourcedId', 'type']);
    for (const def of exposedDefs) {
      const type = types[typeNameOf(def.name)] as GraphQLObjectType;
      for (const [name, f] of Object.entries(def.fields)) {
        if (!isRef(f)) continue;
        const target = types[typeNameOf(f.target)] as GraphQLObjectType;
        expect(getNamedType(typeOfField(type, name).type).name, `${def.name}.${name}`).toBe(target.name);
        expect(target.getFields().sourcedId, target.name).toBeDefined();
      }
    }
  });

  it('an enum for every OneRoster vocabulary of §1.8, §2.7 and §3.1', () => {
    for (const name of ['StatusType', 'OrgType', 'SessionType', 'ClassType', 'RoleType', 'RoleName', 'EnrollmentRole', 'Sex',
      'ScoreStatus', 'ResourceRole', 'Importance']) expect(isEnumType(types[name]), name).toBe(true);
    expect((types.ScoreStatus as import('graphql').GraphQLEnumType).getValue(enumValueName('fully graded'))?.value).toBe('fully graded');
  });
});

describe('every relation is navigable in both directions', () => {
  /** Whether `owner` reaches `target` by a reference field or a relation. */
  const inverse = (owner: EntityName, target: EntityName) =>
    relations.some((r) => r.owner === owner && r.target === target) ||
    Object.values(entityDef(owner).fields).some((f) => isRef(f) && f.target === target);

  it('each reference field has a way back from its target', () => {
    const missing: string[] = [];
    for (const def of exposedDefs) {
      for (const [name, f] of Object.entries(def.fields)) {
        if (isRef(f) && !inverse(f.target, def.name)) missing.push(`${def.name}.${name} → ${f.target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('each relation has a way back from its target', () => {
    const missing = relations.filter((r) => !inverse(r.target, r.owner)).map((r) => `${r.owner}.${r.name}`);
    expect(missing).toEqual([]);
  });

  it('the navigations issue 3 names exist', () => {
    const wanted: Record<string, string[]> = {
      Org: ['parent', 'children', 'classes', 'courses', 'terms', 'users', 'enrollments', 'roles'],
      AcademicSession: ['parent', 'children', 'classes'],
      Course: ['classes', 'org', 'resources'],
      Class: ['course', 'school', 'terms', 'enrollments', 'students', 'teachers', 'lineItems', 'categories', 'results', 'scoreScales', 'resources'],
      User: ['roles', 'orgs', 'enrollments', 'classes', 'agents', 'agentFor', 'demographics', 'results', 'resources', 'userProfiles'],
      Role: ['org', 'user'],
      Enrollment: ['user', 'class', 'school'],
      LineItem: ['class', 'school', 'category', 'gradingPeriod', 'scoreScale', 'results'],
      Result: ['lineItem', 'student', 'scoreScale'],
      AssessmentLineItem: ['class', 'parentAssessmentLineItem', 'children', 'scoreScale', 'assessmentResults'],
      AssessmentResult: ['assessmentLineItem', 'student', 'scoreScale'],
      ScoreScale: ['lineItems', 'results', 'assessmentLineItems', 'assessmentResults', 'class', 'course'],
    };
    for (const [type, fields] of Object.entries(wanted)) {
      const t = schema.getType(type) as GraphQLObjectType;
      for (const f of fields) expect(t.getFields()[f], `${type}.${f}`).toBeDefined();
    }
  });
});
