import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRows } from '../../src/db/bulk.js';
import { conditionsSql, linkSql } from '../../src/data/links.js';
import { wholeDistrict } from '../../src/data/read-policy.js';
import { and, column, run as runStatement, sql, tableAs, type Sql } from '../../src/db/sql.js';
import { rootViews } from '../../src/graph/root.js';
import type { EntityName } from '../../src/model/dsl.js';
import { entityDef, entityDefs } from '../../src/model/index.js';
import { relations, type LinkPath, type Relation } from '../../src/model/relations.js';
import { basePath, ENDPOINTS, type Endpoint } from '../../src/rest/endpoints.js';
import { shapeOf } from '../../src/rest/translate.js';
import { run } from '../graph/support.js';
import { restFixture, sampleUrl, type RestFixture } from './support.js';

/**
 * Issue 13.2: a `tobedeleted` record is still served by its own endpoint and collection, but never
 * makes a relation. Generated from the model: for every relation, one related pair (owner, target)
 * of the seeded district is picked, then the target, the owner and each kind of link row between them
 * are tombstoned in turn. The graph relation (every way it is read: a single owner with totalCount,
 * many owners at once, embedded in a page, sourcedIds only), its relation filter, every REST path
 * that serves it (v1p2 and v1p1, body and X-Total-Count) and the owner's own REST read where it lists
 * the relation (`terms`, `agents`, `roles`, ...) must leave the pair out; the tombstoned records stay
 * readable by sourcedId and in their root collection. Statuses are restored after each case.
 */
let fx: RestFixture;
beforeAll(async () => {
  fx = await restFixture();
  await addMissingLinks();
}, 120_000);
afterAll(async () => { await fx?.close(); });

const query = (statement: Sql) => runStatement(fx.db.orm.em.fork(), statement);
const q = (id: string) => JSON.stringify(id);

/** The plain root view of an entity (`user`/`users`), when it has one. */
const plainView = (e: EntityName) => rootViews.find((v) => v.entity === e && !v.where);
const viewByField = (field: string) => rootViews.find((v) => v.single === field || v.plural === field)!;
const tableOf = (e: EntityName) => entityDef(e).table;
const entityOfTable = (table: string) => entityDefs.find((d) => d.table === table)!;

/** Links the district lacks, so that every relation has a pair: result score scales and objectives, scaled assessment results. */
async function addMissingLinks() {
  const em = fx.db.orm.em.fork();
  const results = (await query(sql`select sourced_id from results where line_item_sourced_id = 'li-class-001-0001-1' order by 1 limit 2`)).map((r) => r.sourced_id as string);
  const base = (sourcedId: string, extra: Record<string, unknown>) => ({ sourcedId, status: 'active', dateLastModified: '2025-08-01T08:00:00.000Z', ...extra });
  await insertRows(em, 'ResultScoreScale', results.map((result, i) => base(`rss-${i}`, { result, scoreScale: 'scale-001' })));
  await insertRows(em, 'ResultLearningObjective', [0, 1].map((i) => base(`rlo-${i}`, { result: results[0], source: 'case', learningObjectiveId: `lo-${i}`, score: i })));
  await query(sql`update assessment_results set score_scale_sourced_id = 'scale-001'`);
}

async function gql(query: string): Promise<any> {
  const r = await run(fx.db, query);
  if (r.errors?.length) throw new Error(`${query}: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.data;
}

/** A REST read: the ids of the body's records and X-Total-Count. */
async function rest(url: string, wrapper: string): Promise<{ ids: string[]; total: number }> {
  const res = await fx.get(url);
  expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(200);
  return { ids: (res.body[wrapper] as { sourcedId: string }[]).map((r) => r.sourcedId), total: Number(res.headers['x-total-count']) };
}

/** REST paths that read the relation: nested under its owner, or a root list filtered by it (`/students/{id}/classes`). */
interface RestUse { endpoint: Endpoint; kind: 'nested' | 'filter' }
function restUses(rel: Relation): RestUse[] {
  const uses: RestUse[] = [];
  for (const e of ENDPOINTS) {
    if (!e.list) continue;
    if (e.list.from !== 'root') {
      if (viewByField(e.parents[e.list.from]!.field).entity === rel.owner && e.list.field === rel.name) uses.push({ endpoint: e, kind: 'nested' });
    } else if (e.list.where && viewByField(e.list.field).entity === rel.owner && Object.keys(e.list.where(e.parents.map((_, i) => `@${i}`))).includes(rel.name)) {
      uses.push({ endpoint: e, kind: 'filter' });
    }
  }
  return uses;
}

/** `where` of a root view on alias `alias`. */
const viewWhere = (field: string, alias: string) => and(conditionsSql(viewByField(field).where, alias, wholeDistrict));

/** One related pair, the owner inside the views the REST paths name (a school, a term, a student), preferring an owner with more than one target. */
async function pickPair(rel: Relation, uses: RestUse[]): Promise<{ owner: string; target: string }> {
  const relWhere = and(conditionsSql(rel.where, 't', wholeDistrict));
  const pairs = 'fk' in rel.source
    ? sql`select ${column('t', rel.source.fk)} as owner, t.sourced_id as target from ${tableAs(tableOf(rel.target), 't')} where ${column('t', rel.source.fk)} is not null and ${relWhere}`
    : sql`select l.owner, l.target from (${linkSql(rel.source, wholeDistrict)}) l join ${tableAs(tableOf(rel.target), 't')} on t.sourced_id = l.target where ${relWhere}`;
  const conds = uses.map(({ endpoint: e, kind }) => (kind === 'nested'
    ? viewWhere(e.parents[e.list!.from as number]!.field, 'ow')
    : and([viewWhere(e.parents[0]!.field, 'tg'), viewWhere(e.list!.field, 'ow')])));
  const rows = await query(sql`select x.owner, x.target from (${pairs}) x join ${tableAs(tableOf(rel.owner), 'ow')} on ow.sourced_id = x.owner
    join ${tableAs(tableOf(rel.target), 'tg')} on tg.sourced_id = x.target where ${and(conds)}
    order by (count(*) over (partition by x.owner) >= 2) desc, x.owner, x.target limit 1`);
  expect(rows.length, `the fixture has no pair of ${rel.owner}.${rel.name}`).toBe(1);
  return { owner: rows[0]!.owner as string, target: rows[0]!.target as string };
}

interface Read { ids: string[]; total?: number }

/**
 * Every way the graph reads the relation of `owner` (one document, one root field per way): the target
 * ids, totalCount where asked, and the count of owners the relation filter `{ rel: { sourcedId: target } }` keeps.
 */
async function graphReads(rel: Relation, pair: { owner: string; target: string }, other: string): Promise<{ reads: Record<string, Read>; filtered?: number }> {
  const v = plainView(rel.owner)!;
  const { owner, target } = pair;
  const ids = (nodes: { sourcedId: string }[]) => nodes.map((n) => n.sourcedId);
  const ofOwner = (d: any) => d.nodes.find((n: any) => n.sourcedId === owner);
  const filtered = rel.filterable
    ? `filtered: ${v.plural}(filter: { sourcedId: { eq: ${q(owner)} }, ${rel.name}: { sourcedId: { eq: ${q(target)} } } }) { totalCount }` : '';
  if (rel.single || rel.list) {
    const d = await gql(`{ one: ${v.single}(sourcedId: ${q(owner)}) { r: ${rel.name} { sourcedId } }
      page: ${v.plural}(filter: { sourcedId: { eq: ${q(owner)} } }) { nodes { sourcedId r: ${rel.name} { sourcedId } } } ${filtered} }`);
    const list = (r: any) => (rel.single ? (r ? [r.sourcedId] : []) : ids(r));
    return { reads: { loader: { ids: list(d.one.r) }, page: { ids: list(ofOwner(d.page).r) } }, filtered: d.filtered?.totalCount };
  }
  const conn = (sel: string) => `r: ${rel.name}(limit: 1000) { ${sel} }`;
  const page = (ids: string[], sel: string) => `${v.plural}(filter: { sourcedId: { in: [${ids.map(q).join(', ')}] } }) { nodes { sourcedId ${conn(sel)} } }`;
  // Without totalCount, filter or cursors a small relation is embedded in the owners' page (embeds.ts);
  // with only sourcedIds asked, a link is read without the target's columns (queries.ts idsOnly).
  const d = await gql(`{ single: ${v.single}(sourcedId: ${q(owner)}) { ${conn('totalCount nodes { sourcedId status }')} }
    many: ${page([owner, other], 'totalCount nodes { sourcedId }')}
    plain: ${page([owner], 'nodes { sourcedId status }')}
    idsOnly: ${page([owner], 'nodes { sourcedId }')} ${filtered} }`);
  return {
    reads: {
      single: { ids: ids(d.single.r.nodes), total: d.single.r.totalCount },
      many: { ids: ids(ofOwner(d.many).r.nodes), total: ofOwner(d.many).r.totalCount },
      plain: { ids: ids(ofOwner(d.plain).r.nodes) },
      idsOnly: { ids: ids(ofOwner(d.idsOnly).r.nodes) },
    },
    filtered: d.filtered?.totalCount,
  };
}

/** Path parameters of a REST use for the pair: the owner (or the target), and the parents derived from them. */
async function restUrl(use: RestUse, pair: { owner: string; target: string }, rel: Relation): Promise<string> {
  const e = use.endpoint;
  const params: string[] = [];
  if (use.kind === 'filter') params[0] = pair.target;
  else {
    const from = e.list!.from as number;
    params[from] = pair.owner;
    const parent = e.parents[from]!;
    if (parent.within) {
      const d = await gql(`{ p: ${parent.field}(sourcedId: ${q(pair.owner)}) { r: ${parent.within.ref} { sourcedId } } }`);
      params[parent.within.parent] = d.p.r.sourcedId;
    }
    // A `where` naming another parameter (the student of /classes/{id}/students/{id}/results) takes it from the target.
    const where = e.list!.where?.(e.parents.map((_, i) => `@${i}`)) ?? {};
    for (const [field, cond] of Object.entries(where)) {
      const i = Number(String((cond as { sourcedId: { eq: string } }).sourcedId.eq).slice(1));
      const d = await gql(`{ t: ${plainView(rel.target)!.single}(sourcedId: ${q(pair.target)}) { r: ${field} { sourcedId } } }`);
      params[i] = d.t.r.sourcedId;
    }
  }
  let i = 0;
  return `${basePath(e.service, e.version)}${e.path.replace(/\{\w+\}/g, () => encodeURIComponent(params[i++]!))}?limit=1000`;
}

/** Properties of the owner's own REST reads that list the relation (a class's `terms`, a user's `agents` and `roles`). */
function restProps(rel: Relation) {
  const v = plainView(rel.owner);
  if (!v) return [];
  const named = new RegExp(`^${rel.name}\\b`);
  return ENDPOINTS.filter((e) => e.single === v.single).flatMap((e) => Object.entries(shapeOf(e).properties)
    .filter(([, p]) => (p.serialise.as === 'refs' || p.serialise.as === 'embedded') && named.test(p.select))
    .map(([prop, p]) => ({ e, prop, refs: p.serialise.as === 'refs' })));
}

/** The relation as the owner's REST read lists it: the referenced ids (for references) and the number of entries. */
async function restProp(use: ReturnType<typeof restProps>[number], owner: string): Promise<{ ids?: string[]; length: number }> {
  const url = `${basePath(use.e.service, use.e.version)}${use.e.path.replace('{sourcedId}', encodeURIComponent(owner))}`;
  const res = await fx.get(url);
  expect(res.status, url).toBe(200);
  const value = (res.body[use.e.wrapper][use.prop] ?? []) as { sourcedId?: string }[];
  return use.refs ? { ids: value.map((r) => r.sourcedId!), length: value.length } : { length: value.length };
}

/** The rows of each status-bearing table a link path goes through (other than the owner's and the target's) that pair owner with target. */
async function linkRows(rel: Relation, path: LinkPath, pair: { owner: string; target: string }) {
  const ends = [tableOf(rel.owner), tableOf(rel.target)];
  const out: { table: string; ids: string[] }[] = [];
  for (const hop of path.hops) {
    if (ends.includes(hop.table) || !entityOfTable(hop.table).base) continue;
    const from = sql.join(path.hops.map((h) => (h.on
      ? sql`join ${tableAs(h.table, h.alias)} on ${column(h.alias, h.on.column)} = ${column(h.on.equals.alias, h.on.equals.column)}`
      : tableAs(h.table, h.alias))), sql` `);
    const rows = await query(sql`select distinct ${column(hop.alias, 'sourced_id')} as id from ${from}
      where ${and([...(path.where ?? []).map((w) => sql`${column(w.alias, w.column)} = ${w.equals}`),
        sql`${column(path.owner.alias, path.owner.column)} = ${pair.owner}`, sql`${column(path.target.alias, path.target.column)} = ${pair.target}`])}`);
    out.push({ table: hop.table, ids: rows.map((r) => r.id as string) });
  }
  return out;
}

async function setStatus(table: string, ids: string[], status: string) {
  await query(sql`update ${sql.table(table)} set status = ${status} where sourced_id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`);
}

/** A tombstoned record is still served by sourcedId and in its root collection (graph and REST, where it has them). */
const servedChecked = new Set<EntityName>();
async function stillServed(entity: EntityName, id: string) {
  const v = plainView(entity);
  // Once per entity: the reads by sourcedId do not depend on the relation that tombstoned the record.
  if (!v || servedChecked.has(entity)) return;
  servedChecked.add(entity);
  const d = await gql(`{ one: ${v.single}(sourcedId: ${q(id)}) { status } all: ${v.plural}(filter: { sourcedId: { eq: ${q(id)} } }) { totalCount nodes { status } } }`);
  expect(d.one?.status, `${v.single} ${id}`).toBe('tobedeleted');
  expect(d.all.totalCount).toBe(1);
  for (const e of ENDPOINTS.filter((x) => x.single === v.single)) {
    const res = await fx.get(`${basePath(e.service, e.version)}${e.path.replace('{sourcedId}', encodeURIComponent(id))}`);
    expect(res.status, e.path).toBe(200);
    expect(res.body[e.wrapper].status).toBe('tobedeleted');
  }
  for (const e of ENDPOINTS.filter((x) => x.list?.from === 'root' && x.list.field === v.plural && !x.list.where)) {
    const list = await rest(`${basePath(e.service, e.version)}${e.path}?filter=${encodeURIComponent(`sourcedId='${id}'`)}`, e.wrapper);
    expect(list, e.path).toEqual({ ids: [id], total: 1 });
  }
}

describe.each(relations.map((rel) => [`${rel.owner}.${rel.name}`, rel] as const))('%s', (_name, rel) => {
  it('leaves out tombstoned targets, owners and link rows everywhere it is read', async () => {
    const uses = restUses(rel);
    const pair = await pickPair(rel, uses);
    const other = (await query(sql`select sourced_id from ${sql.table(tableOf(rel.owner))} where sourced_id <> ${pair.owner} order by 1 limit 1`))[0]!.sourced_id as string;
    const urls = await Promise.all(uses.map((u) => restUrl(u, pair, rel)));

    const { reads: beforeGraph, filtered } = await graphReads(rel, pair, other);
    for (const [how, r] of Object.entries(beforeGraph)) {
      expect(r.ids, `before, ${how}`).toContain(pair.target);
      if (r.total !== undefined) expect(r.total).toBe(r.ids.length);
    }
    expect(filtered).toBe(rel.filterable ? 1 : undefined);
    const beforeRest = await Promise.all(uses.map((u, i) => rest(urls[i]!, u.endpoint.wrapper)));
    uses.forEach((u, i) => {
      expect(beforeRest[i]!.ids, `before, ${urls[i]}`).toContain(u.kind === 'nested' ? pair.target : pair.owner);
      expect(beforeRest[i]!.total).toBe(beforeRest[i]!.ids.length);
    });

    const props = restProps(rel);
    const beforeProps = await Promise.all(props.map((u) => restProp(u, pair.owner)));
    props.forEach((u, i) => {
      if (u.refs) expect(beforeProps[i]!.ids, `before, ${u.e.version} ${u.e.path} ${u.prop}`).toContain(pair.target);
      else expect(beforeProps[i]!.length, `before, ${u.e.version} ${u.e.path} ${u.prop}`).toBe(beforeGraph.loader!.ids.length);
    });

    const cases: { what: string; table: string; ids: string[]; entity?: EntityName }[] = [
      { what: 'target', table: tableOf(rel.target), ids: [pair.target], entity: rel.target },
      { what: 'owner', table: tableOf(rel.owner), ids: [pair.owner], entity: rel.owner },
    ];
    if ('paths' in rel.source) {
      for (const path of rel.source.paths) {
        for (const rows of await linkRows(rel, path, pair)) {
          expect(rows.ids.length, `link rows in ${rows.table}`).toBeGreaterThan(0);
          cases.push({ what: `link rows in ${rows.table}`, table: rows.table, ids: rows.ids, entity: entityOfTable(rows.table).name });
        }
      }
    }

    for (const c of cases) {
      await setStatus(c.table, c.ids, 'tobedeleted');
      try {
        const after = await graphReads(rel, pair, other);
        for (const [how, r] of Object.entries(after.reads)) {
          const before = beforeGraph[how]!;
          const label = `${c.what} tombstoned, ${how}`;
          if (c.what === 'owner') expect(r.ids, label).toEqual([]);
          else if (c.what === 'target' && !rel.single) expect(r.ids, label).toEqual(before.ids.filter((id) => id !== pair.target));
          else {
            expect(r.ids, label).not.toContain(pair.target);
            for (const id of r.ids) expect(before.ids, label).toContain(id);
          }
          if (r.total !== undefined) expect(r.total, label).toBe(r.ids.length);
        }
        expect(after.filtered, `${c.what} tombstoned, relation filter`).toBe(rel.filterable ? 0 : undefined);
        const afterRest = await Promise.all(uses.map((u, i) => rest(urls[i]!, u.endpoint.wrapper)));
        for (const [i, u] of uses.entries()) {
          const after = afterRest[i]!;
          const label = `${c.what} tombstoned, ${urls[i]}`;
          const gone = u.kind === 'nested' ? pair.target : pair.owner;
          expect(after.ids, label).not.toContain(gone);
          for (const id of after.ids) expect(beforeRest[i]!.ids, label).toContain(id);
          if (u.kind === 'nested' && c.what === 'owner') expect(after.ids, label).toEqual([]);
          if (u.kind === 'nested' && c.what === 'target') expect(after.ids, label).toEqual(beforeRest[i]!.ids.filter((id) => id !== gone));
          expect(after.total, label).toBe(after.ids.length);
        }
        const afterProps = await Promise.all(props.map((u) => restProp(u, pair.owner)));
        props.forEach((u, i) => {
          const [before, after] = [beforeProps[i]!, afterProps[i]!];
          const label = `${c.what} tombstoned, ${u.e.version} ${u.e.path} ${u.prop}`;
          if (c.what === 'owner') expect(after.length, label).toBe(0);
          else if (!u.refs) expect(after.length, label).toBe(before.length - 1);
          else if (c.what === 'target') expect(after.ids, label).toEqual(before.ids!.filter((id) => id !== pair.target));
          else expect(after.ids, label).not.toContain(pair.target);
        });
        if (c.entity) for (const id of c.ids) await stillServed(c.entity, id);
      } finally {
        await setStatus(c.table, c.ids, 'active');
      }
    }
  }, 60_000);
});

/** The path parameters of a sample URL (test/rest/support.ts), in path order. */
function sampleParams(e: Endpoint): { url: string; params: string[] } {
  const url = sampleUrl(e);
  const template = e.path.split('/');
  const actual = url.slice(basePath(e.service, e.version).length).split('/');
  return { url, params: template.flatMap((seg, i) => (seg.startsWith('{') ? [decodeURIComponent(actual[i]!)] : [])) };
}

describe('a REST path under a tombstoned ancestor', () => {
  // The parent a list starts from is covered above through its relation; these are the others on the path.
  const cases = ENDPOINTS.filter((e) => e.list && e.parents.length > 1).flatMap((e) =>
    e.parents.map((parent, i) => ({ e, parent, i })).filter(({ i }) => i !== e.list!.from));
  it.each(cases.map((c) => [`${c.e.version} ${c.e.path}, ${c.parent.field}`, c] as const))('%s lists nothing', async (_name, { e, parent, i }) => {
    const { url, params } = sampleParams(e);
    const before = await rest(`${url}?limit=1000`, e.wrapper);
    expect(before.ids.length).toBeGreaterThan(0);
    const table = tableOf(viewByField(parent.field).entity);
    await setStatus(table, [params[i]!], 'tobedeleted');
    try {
      expect(await rest(`${url}?limit=1000`, e.wrapper)).toEqual({ ids: [], total: 0 });
    } finally {
      await setStatus(table, [params[i]!], 'active');
    }
  });
});

describe('students and teachers are users with a live role of that kind', () => {
  const R = '/ims/oneroster/rostering/v1p2';
  const R1 = '/ims/oneroster/v1p1';
  it.each([['student', 'students', 'student-000001'], ['teacher', 'teachers', 'teacher-001-0001']] as const)('%s', async (role, plural, id) => {
    const read = async () => {
      const d = await gql(`{ one: ${role}(sourcedId: ${q(id)}) { status } all: ${plural}(filter: { sourcedId: { eq: ${q(id)} } }) { totalCount } }`);
      const rests = await Promise.all([R, R1].map(async (b) => ({
        one: (await fx.get(`${b}/${plural}/${id}`)).status,
        all: (await rest(`${b}/${plural}?filter=${encodeURIComponent(`sourcedId='${id}'`)}`, 'users')).total,
        classes: (await fx.get(`${b}/${plural}/${id}/classes`)).status,
      })));
      return { graph: { one: d.one?.status ?? null, all: d.all.totalCount }, rest: rests };
    };
    expect(await read()).toEqual({ graph: { one: 'active', all: 1 }, rest: [{ one: 200, all: 1, classes: 200 }, { one: 200, all: 1, classes: 200 }] });
    // A tombstoned role row makes no role: the user is no longer one of them.
    const roles = (await query(sql`select sourced_id from user_roles where user_sourced_id = ${id} and role = ${role}`)).map((r) => r.sourced_id as string);
    expect(roles.length).toBeGreaterThan(0);
    await setStatus('user_roles', roles, 'tobedeleted');
    try {
      expect(await read()).toEqual({ graph: { one: null, all: 0 }, rest: [{ one: 404, all: 0, classes: 404 }, { one: 404, all: 0, classes: 404 }] });
    } finally {
      await setStatus('user_roles', roles, 'active');
    }
    // A tombstoned user with a live role is still listed and readable (delta consumers learn of the deletion).
    await setStatus('users', [id], 'tobedeleted');
    try {
      expect(await read()).toEqual({ graph: { one: 'tobedeleted', all: 1 }, rest: [{ one: 200, all: 1, classes: 200 }, { one: 200, all: 1, classes: 200 }] });
    } finally {
      await setStatus('users', [id], 'active');
    }
  });
});
