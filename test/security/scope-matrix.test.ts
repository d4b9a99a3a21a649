import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import {
  getNamedType, GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, isLeafType,
  type GraphQLField, type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, V1P1_SCOPES, type ScopeName, type V1p1ScopeName } from '../../src/auth/scopes.js';
import type { SigningKeys } from '../../src/auth/signing-keys.js';
import type { Database } from '../../src/db/orm.js';
import { schema } from '../../src/graph/schema.js';
import { entityDefs } from '../../src/model/index.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { bearer, graphql, testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

/**
 * The scope matrix, generated: for every read scope of the binding alone (v1.2, and each v1.1 one,
 * which stands for its v1.2 twin), and all of them together, every root field, relation, filter
 * field and order field of the graph is either answered or refused with FORBIDDEN. What is expected
 * is worked out here from the spec's endpoint table (test/spec/endpoints.tsv: the scopes of each
 * GET collection endpoint are the scopes that read its type), not from the server's declarations;
 * the graph's shape (which fields exist) comes from the schema and the model.
 */

// --- What the spec says ------------------------------------------------------------------------

const [header, ...lines] = readFileSync(new URL('../spec/endpoints.tsv', import.meta.url), 'utf8').trim().split('\n').map((l) => l.split('\t'));
const endpoints = lines.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i] ?? ''])));

/** The graph type served by each REST response wrapper of a collection (rest.md's payload names). */
const TYPE_OF_WRAPPER: Record<string, string> = {
  academicSessions: 'AcademicSession', classes: 'Class', courses: 'Course', demographics: 'Demographics',
  enrollments: 'Enrollment', orgs: 'Org', users: 'User', categories: 'Category', lineItems: 'LineItem',
  results: 'Result', scoreScales: 'ScoreScale', assessmentLineItems: 'AssessmentLineItem',
  assessmentResults: 'AssessmentResult', resources: 'Resource',
};

/** Graph type -> the short scope names that read it: those of its top-level GET collection endpoints. */
const specScopes = new Map<string, Set<string>>();
for (const e of endpoints) {
  if (e.method !== 'GET' || !/^\/[A-Za-z]+$/.test(e.path!)) continue;
  const type = TYPE_OF_WRAPPER[e.response_wrapper!];
  if (!type) throw new Error(`endpoints.tsv: no graph type for wrapper ${e.response_wrapper}`);
  const set = specScopes.get(type) ?? new Set();
  for (const s of e.scopes!.split(',')) set.add(s.trim());
  specScopes.set(type, set);
}

interface ScopeSet { label: string; uris: string[]; names: Set<string> }
const readNames = [...new Set([...specScopes.values()].flatMap((s) => [...s]))].sort();
const scopeSets: ScopeSet[] = [
  ...readNames.map((n) => ({ label: `v1.2 ${n}`, uris: [SCOPES[n as ScopeName]], names: new Set([n]) })),
  ...Object.keys(V1P1_SCOPES).filter((n) => n.endsWith('.readonly'))
    .map((n) => ({ label: `v1.1 ${n}`, uris: [V1P1_SCOPES[n as V1p1ScopeName]], names: new Set([n]) })),
  { label: 'every read scope', uris: readNames.map((n) => SCOPES[n as ScopeName]), names: new Set(readNames) },
];

/** Whether the scope set reads `type`; a type with no endpoint of its own (roles, profiles) is read with its owner. */
const reads = (set: ScopeSet, type: string, owner?: string): boolean => {
  const needed = specScopes.get(type);
  if (!needed) return owner !== undefined && reads(set, owner);
  return [...needed].some((n) => set.names.has(n));
};

// --- The graph's shape -------------------------------------------------------------------------

const query = schema.getQueryType()!;
const objectType = (name: string) => schema.getType(name) as GraphQLObjectType;
const nodeOfConnection = (name: string) => (name.endsWith('Connection') ? name.slice(0, -'Connection'.length) : undefined);
const refFields = new Map(entityDefs.map((d) => [d.name === 'UserRole' ? 'Role' : d.name,
  new Set(Object.entries(d.fields).filter(([, f]) => f.kind === 'ref').map(([n]) => n))]));

/** The root collection field of each type (its first plural field), through which its fields are reached. */
const rootOf = new Map<string, string>();
for (const f of Object.values(query.getFields())) {
  const node = nodeOfConnection(getNamedType(f.type).name);
  if (node && !rootOf.has(node)) rootOf.set(node, f.name);
}

/** Selection reading one property beyond the sourcedId of a node type, so it is data and not an address. */
const dataSelection = (typeName: string) => {
  const leaf = Object.values(objectType(typeName).getFields())
    .find((f) => f.name !== 'sourcedId' && f.args.length === 0 && isLeafType(getNamedType(f.type)));
  return `{ sourcedId ${leaf!.name} }`;
};

interface Item { alias: string; text: string; expected: boolean }

/** Each relation or reference of `owner`, read for data; each reference also read as a bare GUIDRef. */
function relationItems(set: ScopeSet, owner: string): Item[] {
  const items: Item[] = [];
  for (const f of Object.values(objectType(owner).getFields()) as GraphQLField<unknown, unknown>[]) {
    const named = getNamedType(f.type);
    const connectionNode = nodeOfConnection(named.name);
    const target = connectionNode ?? named.name;
    if (!(named instanceof GraphQLObjectType) || !objectType(target).getFields().sourcedId) continue;
    const text = connectionNode
      ? `${f.name}(first: 2) { totalCount nodes ${dataSelection(target)} }`
      : `${f.name} ${dataSelection(target)}`;
    items.push({ alias: `r_${f.name}`, text: `r_${f.name}: ${text}`, expected: reads(set, target, owner) });
    // model.md §0.1: a reference's sourcedId is an address the owner's scope already covers.
    if (refFields.get(owner)?.has(f.name)) items.push({ alias: `g_${f.name}`, text: `g_${f.name}: ${f.name} { sourcedId }`, expected: true });
  }
  return items;
}

/** A filter value that names `type`'s first usable field down to one comparison. */
function filterValue(type: GraphQLInputType): string {
  const named = getNamedType(type) as GraphQLInputObjectType;
  const fields = named.getFields();
  if (fields.isNull) return '{ isNull: false }';
  const key = fields.sourcedId ? 'sourcedId' : Object.keys(fields).find((k) => !['AND', 'OR', 'NOT'].includes(k))!;
  return `{ ${key}: ${filterValue(fields[key]!.type)} }`;
}

/** Each filter field and order field of `type`, used on its root collection. */
function argumentItems(set: ScopeSet, type: string): Item[] {
  const root = rootOf.get(type)!;
  const items: Item[] = [];
  const filter = schema.getType(`${type}Filter`) as GraphQLInputObjectType;
  for (const [name, field] of Object.entries(filter.getFields())) {
    if (['AND', 'OR', 'NOT', 'password'].includes(name)) continue; // password: a secret, refused whatever the scope (filter-guard tests)
    const inner = getNamedType(field.type).name;
    const target = inner.endsWith('Filter') ? inner.slice(0, -'Filter'.length) : undefined;
    items.push({
      alias: `f_${name}`,
      text: `f_${name}: ${root}(first: 1, filter: { ${name}: ${filterValue(field.type)} }) { totalCount }`,
      expected: reads(set, type) && (!target || reads(set, target, type)),
    });
  }
  const order = schema.getType(`${type}OrderField`) as GraphQLEnumType;
  for (const v of order.getValues()) {
    if (v.name === 'password') continue;
    items.push({ alias: `o_${v.name}`, text: `o_${v.name}: ${root}(first: 1, orderBy: [{ field: ${v.name} }]) { totalCount }`, expected: reads(set, type) });
  }
  return items;
}

// --- The matrix --------------------------------------------------------------------------------

type Body = Awaited<ReturnType<typeof graphql>>['body'];
const codes = (body: Body) => (body.errors ?? []).map((e) => e.extensions?.code);

describe('scope matrix: every root field, relation, filter and order field against every read scope', () => {
  let db: Database;
  let app: FastifyInstance;
  let keys: SigningKeys;
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, { schools: 1, students: 6, seed: 3, classesPerStudent: 2, lineItemsPerClass: 1 });
    ({ app, keys } = await testApp(db));
    for (const set of scopeSets) tokens.set(set.label, await bearer(keys, set.uris));
  });
  afterAll(async () => { await app?.close(); await db?.close(); });

  /** Refused items go one per document (each must be refused on its own); answered ones together. */
  async function check(set: ScopeSet, items: Item[], wrap: (inner: string) => string, answered: (data: any, alias: string) => void,
    refusedValues: (data: any, alias: string) => unknown[] = (data, alias) => [data?.[alias] ?? null]) {
    const token = tokens.get(set.label)!;
    const ok = items.filter((i) => i.expected);
    if (ok.length) {
      const res = await graphql(app, wrap(ok.map((i) => i.text).join('\n')), token);
      expect(res.body.errors, `${set.label}: ${wrap('…')}`).toBeUndefined();
      for (const i of ok) answered(res.body.data, i.alias);
    }
    for (const i of items.filter((x) => !x.expected)) {
      const res = await graphql(app, wrap(i.text), token);
      expect(codes(res.body), `${set.label}: ${wrap(i.text)} must be refused`).toContain('FORBIDDEN');
      expect(codes(res.body).every((c) => c === 'FORBIDDEN')).toBe(true);
      expect(refusedValues(res.body.data, i.alias).every((v) => v === null), `${set.label}: nothing of ${i.alias} answered`).toBe(true);
    }
  }

  it('the spec table names a scope for every graph type served at the root', () => {
    expect([...rootOf.keys()].sort()).toEqual([...specScopes.keys()].sort());
    expect(scopeSets.length).toBeGreaterThanOrEqual(9);
  });

  it.each(scopeSets.map((s) => [s.label, s] as const))('%s: root fields', async (_label, set) => {
    const items: Item[] = [];
    for (const f of Object.values(query.getFields())) {
      const named = getNamedType(f.type).name;
      const node = nodeOfConnection(named) ?? (specScopes.has(named) ? named : undefined);
      if (!node) continue;
      const text = nodeOfConnection(named)
        ? `${f.name}(first: 2) { totalCount nodes { sourcedId } }`
        : `${f.name}(sourcedId: "no-such-record") { sourcedId }`;
      items.push({ alias: f.name, text: `${f.name}: ${text}`, expected: reads(set, node) });
    }
    expect(items.length).toBeGreaterThan(30);
    await check(set, items, (inner) => `{ ${inner} }`, (data, alias) => {
      if (data[alias] !== null) expect(data[alias].totalCount).toBeGreaterThan(0);
    });
  });

  it.each(scopeSets.map((s) => [s.label, s] as const))('%s: relations, references and GUIDRefs', async (_label, set) => {
    for (const owner of rootOf.keys()) {
      if (!reads(set, owner)) continue; // its root field is refused (above), so nothing of it is reached
      const root = rootOf.get(owner)!;
      const items = relationItems(set, owner);
      const wrap = (inner: string) => `{ ${root}(first: 3) { nodes { sourcedId ${inner} } } }`;
      await check(set, items, wrap, (data, alias) => expect(data[root].nodes.length, `${owner}.${alias}`).toBeGreaterThan(0),
        (data, alias) => (data?.[root]?.nodes ?? [null]).map((n: any) => n?.[alias] ?? null));
    }
  });

  it.each(scopeSets.map((s) => [s.label, s] as const))('%s: filter fields and order fields', async (_label, set) => {
    for (const type of rootOf.keys()) {
      await check(set, argumentItems(set, type), (inner) => `{ ${inner} }`, (data, alias) => expect(typeof data[alias].totalCount).toBe('number'));
    }
  });

  it('the resource probe through a users filter is refused to roster scopes, answered with the resource scope', async () => {
    const probe = '{ users(filter: { resources: { title: { contains: "a" } } }) { totalCount } }';
    const roster = await graphql(app, probe, await bearer(keys, [SCOPES['roster.readonly'], SCOPES['roster-core.readonly']]));
    expect(codes(roster.body)).toEqual(['FORBIDDEN']);
    expect(roster.body.data ?? null).toBeNull();
    const both = await graphql(app, probe, await bearer(keys, [SCOPES['roster.readonly'], SCOPES['resource.readonly']]));
    expect(both.body.errors).toBeUndefined();
    expect(typeof both.body.data.users.totalCount).toBe('number');
  });

  it.each(scopeSets.map((s) => [s.label, s] as const))('%s: REST, the resource probe on users is 403 imsx unless both scopes are held', async (_label, set) => {
    const v1p1 = set.label.startsWith('v1.1');
    const url = `${v1p1 ? '/ims/oneroster/v1p1/users' : '/ims/oneroster/rostering/v1p2/users'}?filter=${encodeURIComponent("resources.title~'a'")}`;
    const res = await app.inject({ method: 'GET', url, headers: { authorization: tokens.get(set.label)! } });
    const expected = reads(set, 'User') && reads(set, 'Resource');
    expect(res.statusCode, url).toBe(expected ? 200 : 403);
    if (!expected) expect(JSON.stringify(res.json())).toMatch(/"(forbidden|unauthorized)"/); // v1.1 names it unauthorized
    else expect(Array.isArray(res.json().users)).toBe(true);
  });

  it('a write-only token gets its mutation answered but not the stored record (that needs the read scope)', async () => {
    const put = (id: string, token: string) => graphql(app, `mutation { putCategory(sourcedId: "${id}", input: { title: "Projects" }) { created category { title } } }`, token);
    const writeOnly = await put('matrix-cat-1', await bearer(keys, [SCOPES['gradebook.createput']]));
    expect(codes(writeOnly.body)).toEqual(['FORBIDDEN']);
    expect(writeOnly.body.errors![0].path).toEqual(['putCategory', 'category']);
    const created = await graphql(app, 'mutation { putCategory(sourcedId: "matrix-cat-2", input: { title: "Projects" }) { created } }', await bearer(keys, [SCOPES['gradebook.createput']]));
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.putCategory.created).toBe(true);
    const readAndWrite = await put('matrix-cat-3', await bearer(keys, [SCOPES['gradebook.createput'], SCOPES['gradebook.readonly']]));
    expect(readAndWrite.body.errors).toBeUndefined();
    expect(readAndWrite.body.data.putCategory).toEqual({ created: true, category: { title: 'Projects' } });
  });
});
