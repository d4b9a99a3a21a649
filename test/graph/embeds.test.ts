import { execute, parse, type DocumentNode, type GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/auth/scopes.js';
import type { Database } from '../../src/db/orm.js';
import type { DistrictOptions } from '../../src/seed/district.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from '../support/db.js';
import { createContext, type Limits } from '../../src/graph/context.js';
import { schema } from '../../src/graph/schema.js';
import { ALL_SCOPES, fixtureRows, ok, run, WIDE_LIMITS } from './support.js';

/**
 * Small relations (roles, profiles, agents, resources) of a page's rows are read in the page's own
 * statement (src/graph/embeds.ts). The answers must be exactly those of the batched loaders, which
 * still serve every case the embedding declines (a filter, totalCount, edges, duplicate keys).
 */
// Four line items per class, so that two of them share a category (Homework, Quiz, Unit test, Homework).
const OPTS: DistrictOptions = { schools: 2, students: 30, seed: 11, classesPerStudent: 3, classSize: 6, lineItemsPerClass: 4 };

const USER_FIELDS = (agentArgs: string, resourceArgs: string) => `sourcedId
  roles { roleType role org { sourcedId } beginDate endDate userProfile }
  userProfiles { sourcedId profileType credentials { type username } }
  agents${agentArgs} { nodes { sourcedId givenName } }
  resources${resourceArgs} { nodes { sourcedId } }`;

let db: Database;
const rows = fixtureRows(OPTS);
beforeAll(async () => {
  db = await testDatabase();
  await seedDistrict(db.orm.em, OPTS);
});
afterAll(async () => { await db?.close(); });

describe('embedded relations', () => {
  it('a users page with roles, profiles, agents and resources is one statement, plus one for the total', async () => {
    const embedded = await ok(db, `{ users(limit: 1000) { nodes { ${USER_FIELDS('(limit: 50)', '(limit: 50)')} } } }`);
    expect(embedded.statements).toBe(1);
    const counted = await ok(db, `{ users(limit: 1000) { totalCount nodes { ${USER_FIELDS('(limit: 50)', '(limit: 50)')} } } }`);
    expect(counted.statements).toBe(2);
    expect(counted.data.users.nodes).toEqual(embedded.data.users.nodes);
  });

  it('answers exactly as the batched loaders do', async () => {
    // `filter: {}` matches everything but is not embeddable, and a response key selected twice is
    // not embedded either (GraphQL merges the two): so these go through the loaders.
    const embedded = await ok(db, `{ users(limit: 1000) { nodes { ${USER_FIELDS('(limit: 50)', '(limit: 50)')} } } }`);
    const loaded = await ok(db, `{ users(limit: 1000) { nodes { ${USER_FIELDS('(limit: 50, filter: {})', '(limit: 50, filter: {})')}
      roles { role } userProfiles { sourcedId } } } }`);
    expect(loaded.statements).toBe(5);
    expect(embedded.data).toEqual(loaded.data);
    const users = embedded.data.users.nodes as any[];
    expect(users).toHaveLength(rows.get('User')!.length);
    // Against the generator: every role, agent link and resource assignment shows up on its user.
    const count = (f: (u: any) => number) => users.reduce((n, u) => n + f(u), 0);
    expect(count((u) => u.roles.length)).toBe(rows.get('UserRole')!.length);
    expect(count((u) => u.agents.nodes.length)).toBe(rows.get('UserAgent')!.length);
    expect(count((u) => u.resources.nodes.length)).toBe(rows.get('UserResource')!.length);
    expect(count((u) => u.userProfiles.length)).toBe(rows.get('UserProfile')!.length);
    const agent = users.find((u) => u.agents.nodes.length)!.agents.nodes[0];
    expect(agent.givenName).toBe(rows.get('User')!.find((u) => u.sourcedId === agent.sourcedId)!.givenName);
  });

  it('a single record by sourcedId reads its small relations in its own statement, as the loaders would answer', async () => {
    const id = 'guardian-001-00001';
    const embedded = await ok(db, `{ user(sourcedId: "${id}") { ${USER_FIELDS('(limit: 50)', '(limit: 50)')} } }`);
    expect(embedded.statements).toBe(1);
    const loaded = await ok(db, `{ user(sourcedId: "${id}") { ${USER_FIELDS('(limit: 50, filter: {})', '(limit: 50, filter: {})')}
      roles { role } userProfiles { sourcedId } } }`);
    expect(loaded.statements).toBe(5);
    expect(embedded.data).toEqual(loaded.data);
    expect(embedded.data.user.agents.nodes.length).toBeGreaterThan(0);
    expect(embedded.data.user.roles.length).toBeGreaterThan(0);
    // A view with its own condition (students) reads them along too; a record outside the view is null.
    const student = await ok(db, `{ student(sourcedId: "student-000001") { sourcedId roles { role } agents { nodes { sourcedId } } } }`);
    expect(student.statements).toBe(1);
    expect(student.data.student.roles.map((r: any) => r.role)).toContain('student');
    const notStudent = await ok(db, `{ student(sourcedId: "${id}") { sourcedId roles { role } } }`);
    expect(notStudent.data.student).toBeNull();
    // Two records of one document are still one statement (one batch).
    const two = await ok(db, `{ a: user(sourcedId: "${id}") { roles { role } } b: user(sourcedId: "student-000001") { roles { role } } }`);
    expect(two.statements).toBe(1);
    expect(two.data.b.roles).toEqual(student.data.student.roles);
  });

  it('plans a document once per page-size cap, readable relations and values of the variables its selection uses', async () => {
    const exec = async (document: DocumentNode, opts: { variables?: Record<string, unknown>; limits?: Limits; scopes?: ReadonlySet<string> } = {}) => {
      const ctx = createContext({ em: db.orm.em, scopes: opts.scopes ?? ALL_SCOPES, limits: opts.limits ?? WIDE_LIMITS });
      const result = await execute({ schema, document, contextValue: ctx, variableValues: opts.variables });
      return { ...result, statements: ctx.stats.statements } as { data: any; errors?: readonly GraphQLError[]; statements: number };
    };
    const one = `filter: { sourcedId: { eq: "guardian-001-00001" } }`;
    // Same document object each time, as a parse cache hands it out.
    const fixed = parse(`{ users(limit: 1, ${one}) { nodes { roles { role } agents(limit: 2) { nodes { sourcedId } } } } }`);
    const wide = await exec(fixed);
    expect([wide.errors, wide.statements, wide.data.users.nodes[0].agents.nodes.length]).toEqual([undefined, 1, 2]);
    // A cap below the literal limit: the embed is not planned, and the field itself refuses the limit.
    const capped = await exec(fixed, { limits: { ...WIDE_LIMITS, maxLimit: 1 } });
    expect(capped.errors?.[0]?.message).toMatch(/exceeds the maximum page size of 1/);
    expect((await exec(fixed)).data).toEqual(wide.data);
    // Without the resources scope, no resources are read, embedded or not.
    const withResources = parse(`{ users(limit: 1, ${one}) { nodes { roles { role } resources { nodes { sourcedId } } } } }`);
    const roster = await exec(withResources, { scopes: new Set([SCOPES['roster.readonly']]) });
    expect(roster.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await exec(withResources)).errors).toBeUndefined();
    // A variable in the selection: each request's own values.
    const variable = parse(`query($n: Int) { users(limit: 1, ${one}) { nodes { agents(limit: $n) { nodes { sourcedId } } } } }`);
    for (const n of [1, 2, 1]) {
      const r = await exec(variable, { variables: { n } });
      expect([r.statements, r.data.users.nodes[0].agents.nodes.length]).toEqual([1, n]);
    }
  });

  it('keeps each alias with its own paging, and pages within an embedded list', async () => {
    const r = await ok(db, `{ users(limit: 1000, filter: { sourcedId: { eq: "guardian-001-00001" } }) { nodes {
      one: agents(limit: 1) { nodes { sourcedId } } all: agents(limit: 10) { nodes { sourcedId } }
      second: agents(limit: 1, offset: 1) { nodes { sourcedId } } } } }`);
    const [u] = r.data.users.nodes;
    expect(u.all.nodes.map((n: any) => n.sourcedId)).toEqual(['student-000001', 'student-000002']);
    expect(u.one.nodes).toEqual([u.all.nodes[0]]);
    expect(u.second.nodes).toEqual([u.all.nodes[1]]);
    expect(r.statements).toBe(1);
  });

  it('reads along a nested page too (school → students → roles), and an owner past its end has none', async () => {
    const r = await ok(db, `{ school(sourcedId: "school-001") { students(limit: 1000) { nodes { sourcedId roles { role } } } } }`);
    const students = r.data.school.students.nodes as any[];
    expect(students.length).toBeGreaterThan(0);
    expect(students.every((s) => s.roles.some((x: any) => x.role === 'student'))).toBe(true);
    expect(r.statements).toBe(2);
    const past = await ok(db, `{ school(sourcedId: "school-001") { students(limit: 5, offset: 100000) { totalCount nodes { roles { role } } } } }`);
    expect(past.data.school.students.nodes).toEqual([]);
    expect(past.data.school.students.totalCount).toBe(students.length);
  });

  it('leaves totalCount, edges and pageInfo to the loaders', async () => {
    const r = await ok(db, `{ users(limit: 1000) { nodes { sourcedId
      agents(limit: 1) { totalCount pageInfo { hasNextPage } edges { node { sourcedId } } } } } }`);
    expect(r.statements).toBe(2);
    const guardian = (r.data.users.nodes as any[]).find((u) => u.sourcedId === 'guardian-001-00001');
    expect(guardian.agents.totalCount).toBe(2);
    expect(guardian.agents.pageInfo.hasNextPage).toBe(true);
  });

  it('still enforces the target scope: a roster token gets no resources, embedded or not', async () => {
    const r = await run(db, `{ users(limit: 5) { nodes { sourcedId roles { role } resources(limit: 5) { nodes { sourcedId } } } } }`,
      { scopes: new Set([SCOPES['roster.readonly']]) });
    expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(r.data.users.nodes[0].roles.length).toBeGreaterThan(0);
    expect(r.data.users.nodes[0].resources).toBeNull();
  });

  it('reads line items\' learning objectives along, grouped as the loader path groups them', async () => {
    const q = (extra: string) => `{ lineItems(limit: 1000) { nodes { sourcedId learningObjectiveSet { source learningObjectiveIds } ${extra} } } }`;
    const embedded = await ok(db, q(''));
    expect(embedded.statements).toBe(1);
    // Selected twice under one key, the field is left to its loader.
    const loaded = await ok(db, q('learningObjectiveSet { source }'));
    expect(loaded.statements).toBe(2);
    expect(embedded.data).toEqual(loaded.data);
    const aligned = (embedded.data.lineItems.nodes as any[]).filter((li) => li.learningObjectiveSet.length);
    expect(aligned).toHaveLength(rows.get('LineItemLearningObjective')!.length);
  });

  it('reads references-only pages of a link straight from the link, each id once, as the full read does', async () => {
    // Class.categories links through line items: several line items share a category.
    const q = (args: string) => `{ classes(limit: 1000) { nodes { sourcedId categories(limit: 50${args}) { nodes { sourcedId } } } } }`;
    const fromLink = await ok(db, q(''));
    const full = await ok(db, q(', filter: {}'));
    expect(fromLink.data).toEqual(full.data);
    const lists = (fromLink.data.classes.nodes as any[]).map((c) => c.categories.nodes.map((n: any) => n.sourcedId));
    expect(lists.some((l) => l.length > 0)).toBe(true);
    for (const l of lists) expect(new Set(l).size).toBe(l.length);
  });
});

it('counts one owner\'s page apart from it, and the count agrees with many owners counted in one statement', async () => {
  const students = `students(limit: 1, filter: { familyName: { gte: "M" } }) { totalCount nodes { sourcedId } }`;
  const one = await ok(db, `{ school(sourcedId: "school-002") { ${students} } }`);
  expect(one.statements).toBe(3); // the school, its page, its count
  const many = await ok(db, `{ schools { nodes { sourcedId ${students} } } }`);
  expect(many.statements).toBe(2); // the schools, then every school's page and count in one
  const total = one.data.school.students.totalCount;
  expect(total).toBeGreaterThan(1);
  expect(many.data.schools.nodes.find((s: any) => s.sourcedId === 'school-002').students.totalCount).toBe(total);
});
