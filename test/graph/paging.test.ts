import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../../src/db/bulk.js';
import type { Database } from '../../src/db/orm.js';
import type { DistrictOptions } from '../../src/seed/district.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { testDatabase } from '../support/db.js';
import { ids, sortRows, type Order } from './expected.js';
import { fixtureRows, ok, run } from './support.js';

/** Both paging styles, root and nested, walked to the end and compared with the fixture in plain TypeScript. */
const OPTS: DistrictOptions = { schools: 2, students: 30, seed: 5, classesPerStudent: 3, classSize: 10, lineItemsPerClass: 1 };
const rows = fixtureRows(OPTS);
const users = rows.get('User')!;
const ORDER: Order[] = [{ field: 'familyName', direction: 'DESC' }, { field: 'givenName' }];
const expected = ids(sortRows(users, ORDER));

let db: Database;
beforeAll(async () => {
  db = await testDatabase();
  await seedDistrict(db.orm.em, OPTS);
});
afterAll(async () => { await db?.close(); });

const PAGE = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { sourcedId } } nodes { sourcedId }`;
const usersPage = async (args: Record<string, unknown>) => (await ok(db,
  `query($first: Int, $after: String, $last: Int, $before: String, $offset: Int, $limit: Int, $o: [UserOrder!]) {
    users(first: $first, after: $after, last: $last, before: $before, offset: $offset, limit: $limit, orderBy: $o) { ${PAGE} } }`,
  { o: ORDER, ...args })).data.users;

describe('root collections', () => {
  it('first/after walks every record exactly once, in order', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: any = await usersPage({ first: 7, after });
      expect(page.totalCount).toBe(users.length);
      expect(page.nodes.map((n: Row) => n.sourcedId)).toEqual(page.edges.map((e: any) => e.node.sourcedId));
      expect(page.pageInfo.hasPreviousPage).toBe(pages > 0);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      seen.push(...page.nodes.map((n: Row) => n.sourcedId));
      pages++;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(users.length / 7));
  });

  it('last/before walks backwards from the end', async () => {
    const seen: string[] = [];
    let page: any = await usersPage({ last: 6 });
    expect(page.pageInfo.hasNextPage).toBe(false);
    for (;;) {
      expect(page.nodes.length).toBeGreaterThan(0);
      seen.unshift(...page.nodes.map((n: Row) => n.sourcedId));
      if (!page.pageInfo.hasPreviousPage) break;
      page = await usersPage({ last: 6, before: page.pageInfo.startCursor });
    }
    expect(seen).toEqual(expected);
  });

  it('cursors are positions: after the last page of `last` continues with the next record', async () => {
    const tail = await usersPage({ last: 3 });
    expect(tail.nodes.map((n: Row) => n.sourcedId)).toEqual(expected.slice(-3));
    const middle = await usersPage({ first: 4, after: (await usersPage({ first: 5 })).pageInfo.endCursor });
    expect(middle.nodes.map((n: Row) => n.sourcedId)).toEqual(expected.slice(5, 9));
    const before = await usersPage({ last: 2, before: middle.pageInfo.startCursor });
    expect(before.nodes.map((n: Row) => n.sourcedId)).toEqual(expected.slice(3, 5));
  });

  it('offset/limit walks every record exactly once, with totalCount on each page', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < users.length; offset += 9) {
      const page = await usersPage({ offset, limit: 9 });
      expect(page.totalCount).toBe(users.length);
      expect(page.pageInfo.hasNextPage).toBe(offset + 9 < users.length);
      seen.push(...page.nodes.map((n: Row) => n.sourcedId));
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
  });

  it('an offset beyond the end gives an empty page that still knows the total', async () => {
    const page = await usersPage({ offset: users.length + 5, limit: 3 });
    expect(page.nodes).toEqual([]);
    expect(page.totalCount).toBe(users.length);
    expect(page.pageInfo.hasNextPage).toBe(false);
  });

  it('mixing the styles, bad cursors and oversize pages are coded input errors', async () => {
    for (const args of ['first: 2, offset: 1', 'after: "bm9wZQ"', 'limit: 0', 'first: 10001']) {
      const r = await run(db, `{ users(${args}) { nodes { sourcedId } } }`);
      expect(r.errors?.[0].extensions?.code, args).toBe('BAD_USER_INPUT');
    }
  });
});

describe('nested collections', () => {
  const enrollments = rows.get('Enrollment')!;
  const classIds = ids(sortRows(rows.get('Class')!));
  const membersOf = (c: string) => ids(sortRows(users.filter((u) => enrollments.some((e) => e.class === c && e.user === u.sourcedId)), ORDER));

  it('every class\'s users walked with first/after, all classes in the same requests', async () => {
    const seen = new Map<string, string[]>(classIds.map((c) => [c, []]));
    const cursors = new Map<string, string | null>(classIds.map((c) => [c, null]));
    // The same `after` for all classes per request: positions are per owner, so one cursor fits all.
    for (let round = 0; round < 20 && cursors.size; round++) {
      const after = [...cursors.values()][0];
      const r = await ok(db, `query($after: String, $o: [UserOrder!]) { classes(first: 1000) { nodes { sourcedId
        users(first: 4, after: $after, orderBy: $o) { ${PAGE} } } } }`, { after, o: ORDER });
      expect(r.statements).toBe(2); // the classes, and the users of all of them
      for (const c of r.data.classes.nodes) {
        if (!cursors.has(c.sourcedId)) continue;
        expect(c.users.totalCount).toBe(membersOf(c.sourcedId).length);
        seen.get(c.sourcedId)!.push(...c.users.nodes.map((n: Row) => n.sourcedId));
        if (c.users.pageInfo.hasNextPage) cursors.set(c.sourcedId, c.users.pageInfo.endCursor);
        else cursors.delete(c.sourcedId);
      }
    }
    expect(cursors.size).toBe(0);
    for (const c of classIds) expect(seen.get(c), c).toEqual(membersOf(c));
  });

  it('offset/limit per owner, and an empty page past the end keeps its total', async () => {
    for (const [offset, limit] of [[0, 3], [3, 3], [6, 100], [500, 2]]) {
      const r = await ok(db, `query($o: [UserOrder!]) { classes(first: 1000) { nodes { sourcedId
        users(offset: ${offset}, limit: ${limit}, orderBy: $o) { totalCount pageInfo { hasNextPage hasPreviousPage } nodes { sourcedId } } } } }`, { o: ORDER });
      for (const c of r.data.classes.nodes) {
        const all = membersOf(c.sourcedId);
        expect(c.users.nodes.map((n: Row) => n.sourcedId), `${c.sourcedId} ${offset}`).toEqual(all.slice(offset, offset + limit));
        expect(c.users.totalCount).toBe(all.length);
        expect(c.users.pageInfo.hasNextPage).toBe(offset + limit < all.length);
        expect(c.users.pageInfo.hasPreviousPage).toBe(offset > 0);
      }
    }
  });

  it('last per owner reads each owner\'s tail', async () => {
    const r = await ok(db, `query($o: [UserOrder!]) { classes(first: 1000) { nodes { sourcedId users(last: 2, orderBy: $o) { totalCount nodes { sourcedId } } } } }`, { o: ORDER });
    expect(r.data.classes.nodes).toHaveLength(classIds.length);
    for (const c of r.data.classes.nodes) {
      expect(c.users.nodes.map((n: Row) => n.sourcedId)).toEqual(membersOf(c.sourcedId).slice(-2));
    }
  });
});

describe('column selection follows the query, fragments included', () => {
  it('fields asked through named and inline fragments, edges, tokens and references are all read', async () => {
    const r = await ok(db, `
      fragment Person on User { givenName ... on User { familyName } }
      { classes(first: 2) { edges { node { sourcedId classTypeToken
          users(first: 100) { nodes { ...Person roles { roleToken role org { name } } demographics { sexToken birthDate } } } } } } }`);
    const byId = new Map(users.map((u) => [u.sourcedId, u]));
    const roles = rows.get('UserRole')!;
    const demographics = new Map(rows.get('Demographics')!.map((d) => [d.sourcedId, d]));
    const orgs = new Map(rows.get('Org')!.map((o) => [o.sourcedId, o]));
    const klass = new Map(rows.get('Class')!.map((c) => [c.sourcedId, c]));
    let checked = 0;
    for (const { node } of r.data.classes.edges) {
      expect(node.classTypeToken).toBe(klass.get(node.sourcedId)!.classType);
      const members = new Set(rows.get('Enrollment')!.filter((e) => e.class === node.sourcedId).map((e) => e.user));
      expect(node.users.nodes).toHaveLength(members.size);
      for (const u of node.users.nodes) {
        const id = [...members].find((m) => byId.get(m)!.givenName === u.givenName && byId.get(m)!.familyName === u.familyName);
        expect(id, `${u.givenName} ${u.familyName}`).toBeDefined();
        const own = roles.filter((x) => x.user === id);
        expect(u.roles.map((x: Row) => x.roleToken).sort()).toEqual(own.map((x) => x.role).sort());
        expect(u.roles.map((x: any) => x.org.name).sort()).toEqual(own.map((x) => orgs.get(x.org)!.name).sort());
        const d = demographics.get(id!);
        expect(u.demographics).toEqual(d ? { sexToken: d.sex, birthDate: d.birthDate } : null);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});
