import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_READ_SCOPES } from '../../src/auth/scopes.js';
import { rootViews } from '../../src/graph/root.js';
import { exposedDefs } from '../../src/graph/node-refs.js';
import type { EntityName } from '../../src/model/dsl.js';
import { relationsOf } from '../../src/model/relations.js';
import { ENDPOINTS, type Endpoint } from '../../src/rest/endpoints.js';
import { routePath, shapeOf } from '../../src/rest/translate.js';
import { graphql } from '../support/app.js';
import { guidRefs, sharingFixture, type SharingFixture } from './support.js';
import { expectedVisibility, readAll, type Visible } from './visibility.js';

/**
 * Two clients limited to two schools of one seeded district walk every REST endpoint (v1.2 and v1.1,
 * generated from the endpoint table) and every root field and relation of the graph. What each sees
 * equals the visibility table computed from the seed (test/sharing/visibility.ts) intersected with what
 * a whole-district client gets for the same request; counts equal the records returned; GUIDRefs name
 * only visible records; invisible sourcedIds answer 404 exactly like absent ones; the two schools' sets
 * are disjoint where the records belong to one school.
 */
interface Vendor { school: string; auth: string; visible: Visible }

let f: SharingFixture;
let all: Awaited<ReturnType<typeof readAll>>;
let open: string;
const vendors: Vendor[] = [];

beforeAll(async () => {
  f = await sharingFixture();
  all = await readAll(f.db.orm.em);
  open = (await f.client([...ALL_READ_SCOPES])).auth;
  for (const school of ['school-001', 'school-002']) {
    vendors.push({ school, auth: (await f.client([...ALL_READ_SCOPES], { orgs: [school] })).auth, visible: expectedVisibility(all, [school]) });
  }
}, 240_000);
afterAll(async () => { await f?.close(); });

const get = async (url: string, auth: string) => {
  const res = await f.app.inject({ method: 'GET', url, headers: { authorization: auth } });
  return { status: res.statusCode, body: res.json(), total: res.headers['x-total-count'] };
};

/** Path parameters for an endpoint's parents, all inside the vendor's school. */
function paramsFor(e: Endpoint, school: string): string[] {
  const klass = all.Class.find((c) => c.school_sourced_id === school)!.sourced_id as string;
  const enrolled = (role: string) => all.Enrollment.find((x) => x.class_sourced_id === klass && x.role === role)!.user_sourced_id as string;
  const pick: Record<string, () => string> = {
    school: () => school, class: () => klass, student: () => enrolled('student'), user: () => enrolled('student'), teacher: () => enrolled('teacher'),
    course: () => all.Class.find((c) => c.sourced_id === klass)!.course_sourced_id,
    lineItem: () => all.LineItem.find((l) => l.class_sourced_id === klass)!.sourced_id,
    term: () => all.ClassTerm.find((t) => t.class_sourced_id === klass)!.term_sourced_id,
  };
  return e.parents.map((p) => pick[p.field]!());
}
const urlOf = (e: Endpoint, params: string[]) => { let i = 0; return routePath(e).replace(/\{[^}]+\}/g, () => encodeURIComponent(params[i++]!)); };
const sameAsAbsent = async (url: (id: string) => string, id: string, auth: string) => {
  const [hidden, absent] = [await get(url(id), auth), await get(url('no-such-record'), auth)];
  expect(hidden.status, url(id)).toBe(404);
  expect(JSON.stringify(hidden.body).replaceAll(id, 'ID'), url(id)).toBe(JSON.stringify(absent.body).replaceAll('no-such-record', 'ID'));
};
const SCHOOL_BOUND: EntityName[] = ['Class', 'Enrollment', 'LineItem', 'Result', 'AssessmentLineItem', 'AssessmentResult', 'Demographics', 'ScoreScale'];

describe('REST: every endpoint, v1.2 and v1.1, for two clients limited to two schools', () => {
  for (const e of ENDPOINTS) {
    it(`${e.version} ${e.service} ${e.path}`, async () => {
      const entity = shapeOf(e).entity;
      const seenBy: Array<Set<string>> = [];
      for (const v of vendors) {
        const params = paramsFor(e, v.school);
        if (e.list) {
          const url = `${urlOf(e, params)}?limit=10000`;
          const [mine, whole] = [await get(url, v.auth), await get(url, open)];
          expect(mine.status, url).toBe(200);
          const records = mine.body[e.wrapper] as Array<Record<string, unknown>>;
          const ids = records.map((r) => String(r.sourcedId)).sort();
          const expected = (whole.body[e.wrapper] as Array<{ sourcedId: string }>).map((r) => r.sourcedId).filter((id) => v.visible[entity].has(id)).sort();
          expect(ids, url).toEqual(expected);
          expect(Number(mine.total), url).toBe(ids.length);
          for (const [type, id] of guidRefs(records)) expect(v.visible[type].has(id), `${url}: GUIDRef ${type} ${id}`).toBe(true);
          seenBy.push(new Set(ids));
          // A parent outside the vendor's school answers as an absent one.
          if (e.parents.length) {
            const other = paramsFor(e, vendors.find((w) => w !== v)!.school);
            const last = e.parents.length - 1;
            // Terms are shared by the schools' classes: a parent both see is no probe.
            const parentEntity = rootViews.find((r) => r.single === e.parents[last]!.field)!.entity;
            if (!v.visible[parentEntity].has(other[last]!)) await sameAsAbsent((id) => `${urlOf(e, [...params.slice(0, last), id])}`, other[last]!, v.auth);
          }
        } else {
          const url = (id: string) => urlOf(e, [...params, id]);
          const candidates = [...v.visible[entity]].sort().slice(0, 3);
          for (const id of candidates) {
            if ((await get(url(id), open)).status !== 200) continue; // outside the view (a term is no school)
            const mine = await get(url(id), v.auth);
            expect([mine.status, mine.body[e.wrapper]?.sourcedId], url(id)).toEqual([200, id]);
            for (const [type, ref] of guidRefs(mine.body)) expect(v.visible[type].has(ref), `${url(id)}: GUIDRef ${type} ${ref}`).toBe(true);
          }
          const hidden = [...vendors.find((w) => w !== v)!.visible[entity]].sort().filter((id) => !v.visible[entity].has(id));
          for (const id of hidden.slice(0, 2)) if ((await get(url(id), open)).status === 200) await sameAsAbsent(url, id, v.auth);
        }
      }
      if (e.list && e.parents.length === 0 && SCHOOL_BOUND.includes(entity)) {
        expect(seenBy[0]!.size + seenBy[1]!.size).toBeGreaterThan(0);
        expect([...seenBy[0]!].filter((id) => seenBy[1]!.has(id))).toEqual([]);
      }
    });
  }
});

describe('GraphQL: every root field and relation for two clients limited to two schools', () => {
  for (const view of rootViews) {
    it(`root ${view.plural}`, async () => {
      for (const v of vendors) {
        const q = `{ list: ${view.plural}(first: 10000) { totalCount nodes { sourcedId } } }`;
        const [mine, whole] = [await graphql(f.app, q, v.auth), await graphql(f.app, q, open)];
        expect(mine.body.errors, q).toBeUndefined();
        const ids = mine.body.data.list.nodes.map((n: { sourcedId: string }) => n.sourcedId).sort();
        expect(ids).toEqual(whole.body.data.list.nodes.map((n: { sourcedId: string }) => n.sourcedId).filter((id: string) => v.visible[view.entity].has(id)).sort());
        expect(mine.body.data.list.totalCount).toBe(ids.length);
        const hidden = [...vendors.find((w) => w !== v)!.visible[view.entity]].find((id) => !v.visible[view.entity].has(id));
        if (hidden) expect((await graphql(f.app, `{ one: ${view.single}(sourcedId: "${hidden}") { sourcedId } }`, v.auth)).body.data.one).toBeNull();
      }
    });
  }

  for (const def of exposedDefs) {
    const root = rootViews.find((r) => r.entity === def.name && !r.where);
    if (!root) continue;
    for (const rel of relationsOf(def.name)) {
      it(`${def.name}.${rel.name}`, async () => {
        for (const v of vendors) {
          const owners = [...v.visible[def.name]].sort().slice(0, 4);
          for (const owner of owners) {
            const selection = rel.single || rel.list ? `${rel.name} { sourcedId }` : `${rel.name}(first: 10000) { totalCount nodes { sourcedId } }`;
            const q = `{ one: ${root.single}(sourcedId: "${owner}") { ${selection} } }`;
            const [mine, whole] = [await graphql(f.app, q, v.auth), await graphql(f.app, q, open)];
            expect(mine.body.errors, q).toBeUndefined();
            const ids = (value: any): string[] => (value == null ? [] : Array.isArray(value) ? value.map((n) => n.sourcedId) : value.nodes ? value.nodes.map((n: any) => n.sourcedId) : [value.sourcedId]);
            const got = ids(mine.body.data.one[rel.name]).sort();
            const target = v.visible[rel.target];
            const want = ids(whole.body.data.one[rel.name]).filter((id) => target.has(id)).sort();
            // Single relations serve their first visible match; the others every visible one.
            if (rel.single) expect(got.every((id) => target.has(id)) && got.length <= 1 && (got.length === 1) === (want.length > 0), q).toBe(true);
            else expect(got, q).toEqual(want);
            if (!rel.single && !rel.list) expect(mine.body.data.one[rel.name].totalCount, q).toBe(got.length);
          }
        }
      });
    }
  }
});
