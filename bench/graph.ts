/**
 * `npm run bench:graph`: a nested dashboard query through the graph against one hand-written SQL
 * statement (json_agg) returning the same tree, on a generated district of 20 schools and 20,000
 * students. Seeds a scratch database on the DATABASE_URL server (dropped afterwards), else an
 * in-memory embedded one. BENCH_DATABASE_URL names an already seeded database to reuse instead
 * (kept afterwards; handy when profiling). Results go in bench/README.md. A last run reads the same
 * tree as a client limited to school-001 (README "Data sharing"): scoped / unscoped time per record.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { execute, parse, type DocumentNode, type SelectionSetNode } from 'graphql';
import pg from 'pg';
import { ClientStore } from '../src/auth/clients.js';
import { SharingRules } from '../src/auth/sharing/rules.js';
import { SCOPES } from '../src/auth/scopes.js';
import { openDatabase, type Database } from '../src/db/orm.js';
import { runSql } from '../test/support/sql.js';
import { createContext } from '../src/graph/context.js';
import { schema } from '../src/graph/schema.js';
import { seedDistrict } from '../src/seed/seed.js';
import { seedInChild } from './seed-child.js';

const SCHOOLS = 20;
const STUDENTS = 20_000;
const SCHOOL = 'school-001';
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const QUERY = `query Dashboard($school: ID!) {
  school(sourcedId: $school) {
    sourcedId
    name
    classes(first: 1000) {
      nodes {
        sourcedId
        title
        students(first: 100) { nodes { sourcedId givenName familyName } }
        lineItems(first: 100) {
          nodes {
            sourcedId
            title
            dueDate
            results(first: 100) { nodes { sourcedId score scoreStatus student { sourcedId } } }
          }
        }
      }
    }
  }
}`;

/** The same tree in one statement, each list in the graph's default order (sourcedId). */
const SQL = `select json_build_object(
  'sourcedId', s.sourced_id, 'name', s.name,
  'classes', json_build_object('nodes', coalesce((select json_agg(json_build_object(
    'sourcedId', c.sourced_id, 'title', c.title,
    'students', json_build_object('nodes', coalesce((select json_agg(json_build_object(
        'sourcedId', u.sourced_id, 'givenName', u.given_name, 'familyName', u.family_name) order by u.sourced_id)
      from users u where u.sourced_id in (select e.user_sourced_id from enrollments e where e.class_sourced_id = c.sourced_id and e.role = 'student')), '[]')),
    'lineItems', json_build_object('nodes', coalesce((select json_agg(json_build_object(
        'sourcedId', li.sourced_id, 'title', li.title,
        'dueDate', to_char(li.due_date at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'results', json_build_object('nodes', coalesce((select json_agg(json_build_object(
            'sourcedId', r.sourced_id, 'score', r.score,
            'scoreStatus', case when r.score_status like 'ext:%' then 'EXTENSION' else replace(r.score_status, ' ', '_') end,
            'student', json_build_object('sourcedId', r.student_sourced_id)) order by r.sourced_id)
          from results r where r.line_item_sourced_id = li.sourced_id), '[]'))) order by li.sourced_id)
      from line_items li where li.class_sourced_id = c.sourced_id), '[]'))) order by c.sourced_id)
    from classes c where c.school_sourced_id = s.sourced_id), '[]'))) as tree
from orgs s where s.sourced_id = ? and s.type = 'school'`;

/** Deepest field nesting of the document, and how many levels of it read records (lists or objects). */
function depthOf(doc: DocumentNode): number {
  const visit = (set: SelectionSetNode | undefined): number =>
    !set ? 0 : Math.max(0, ...set.selections.map((s) => (s.kind === 'Field' ? 1 + visit(s.selectionSet) : 0)));
  const op = doc.definitions[0];
  return op.kind === 'OperationDefinition' ? visit(op.selectionSet) : 0;
}
const RECORD_LEVELS = 4; // school → classes → students | line items → results (student read for its sourcedId only)

async function scratchDatabase(): Promise<Database & { where: string; seeded?: boolean }> {
  const serverUrl = process.env.DATABASE_URL;
  const base = { dataDir: '', embeddedConnections: 4, statementTimeoutMs: 600_000 };
  const reuse = process.env.BENCH_DATABASE_URL;
  if (reuse) return { ...(await openDatabase({ ...base, databaseUrl: reuse })), where: 'the seeded database BENCH_DATABASE_URL', seeded: true };
  if (!serverUrl) return { ...(await openDatabase({ ...base, databaseUrl: undefined }, { inMemory: true })), where: 'embedded PGlite (in memory)' };
  const name = `og_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try { await client.query(sql); } finally { await client.end(); }
  };
  await admin(`create database ${name}`);
  const drop = () => admin(`drop database if exists ${name} with (force)`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    const started = performance.now();
    seedInChild(url.toString(), { schools: SCHOOLS, students: STUDENTS, seed: 1 });
    console.log(`seeded ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s (child process)`);
    const db = await openDatabase({ ...base, databaseUrl: url.toString() });
    // The steady state of a loaded database, and no autovacuum working on the new rows mid-measurement.
    await runSql(db.orm.em.fork(), 'vacuum analyze');
    return { ...db, where: `PostgreSQL server (scratch database ${name})`, seeded: true, async close() { await db.close(); await drop(); } };
  } catch (err) {
    await drop();
    throw err;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Medians (ms) of `a` and `b` run alternately RUNS times each, after 3 warm-up rounds. */
async function alternate(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  for (let i = 0; i < 3; i++) { await a(); await b(); }
  const aMs: number[] = [];
  const bMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await a();
    aMs.push(performance.now() - t);
    t = performance.now();
    await b();
    bMs.push(performance.now() - t);
  }
  return [median(aMs), median(bMs)];
}


async function main() {
  const db = await scratchDatabase();
  try {
    console.log(`database: ${db.where}`);
    if (!db.seeded) {
      const seeded = await seedDistrict(db.orm.em, { schools: SCHOOLS, students: STUDENTS, seed: 1 });
      console.log(`seeded ${seeded.total.toLocaleString('en')} rows in ${seeded.seconds.toFixed(1)} s`);
      await runSql(db.orm.em.fork(), 'vacuum analyze');
    }

    const document = parse(QUERY);
    const scopes = new Set(Object.values(SCOPES));
    const limits = { maxLimit: 10_000, maxDepth: 20, maxComplexity: Number.MAX_SAFE_INTEGER };
    let statements = 0;
    const viaGraph = async () => {
      const ctx = createContext({ em: db.orm.em, scopes, limits });
      const result = await execute({ schema, document, contextValue: ctx, variableValues: { school: SCHOOL } });
      if (result.errors) throw new Error(result.errors.map((e) => e.message).join('; '));
      statements = ctx.stats.statements;
      return (result.data as { school: unknown }).school;
    };
    const viaSql = async () => (await runSql(db.orm.em.fork(), SQL, [SCHOOL]))[0].tree;

    // Same answer first: the comparison is only fair if both produce the same tree.
    const [graphTree, sqlTree] = [JSON.parse(JSON.stringify(await viaGraph())), await viaSql()];
    if (!isDeepStrictEqual(graphTree, sqlTree)) throw new Error('the graph and the SQL statement return different trees');
    const tree = graphTree as { classes: { nodes: { students: { nodes: unknown[] }; lineItems: { nodes: { results: { nodes: unknown[] } }[] } }[] } };
    const classes = tree.classes.nodes;
    const students = classes.reduce((n, c) => n + c.students.nodes.length, 0);
    const lineItems = classes.flatMap((c) => c.lineItems.nodes);
    const results = lineItems.reduce((n, li) => n + li.results.nodes.length, 0);
    console.log(`tree: 1 school, ${classes.length} classes, ${students} class students, ${lineItems.length} line items, ${results} results`);

    const [g, s] = await alternate(viaGraph, viaSql);
    const depth = depthOf(document);
    console.log(`runs: ${RUNS} each, alternating, after 3 warm-up runs`);
    console.log(`graph (in process, fresh context per run): median ${g.toFixed(1)} ms`);
    console.log(`hand-written SQL (json_agg):               median ${s.toFixed(1)} ms`);
    console.log(`ratio graph / SQL: ${(g / s).toFixed(2)} (target ≤ 1.5)`);
    console.log(`SQL statements per graph query: ${statements} (record levels ${RECORD_LEVELS}, GraphQL field depth ${depth}; target ≤ ${RECORD_LEVELS + 1})`);

    // Sharing: the same tree read by a client limited to the school; every statement carries its predicates.
    const vendor = await new ClientStore(db.orm.em).add('bench vendor', ['roster.readonly', 'gradebook.readonly'], { orgs: [SCHOOL] });
    const sharing = await new SharingRules(db.orm.em, Number.MAX_SAFE_INTEGER).for(vendor.client_id);
    let scopedStatements = 0;
    const viaScopedGraph = async () => {
      const ctx = createContext({ em: db.orm.em, scopes, limits, sharing });
      const result = await execute({ schema, document, contextValue: ctx, variableValues: { school: SCHOOL } });
      if (result.errors) throw new Error(result.errors.map((e) => e.message).join('; '));
      scopedStatements = ctx.stats.statements;
      return (result.data as { school: unknown }).school;
    };
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(await viaScopedGraph())), graphTree)) throw new Error('the scoped graph returns another tree for its own school');
    const [w, sc] = await alternate(viaGraph, viaScopedGraph);
    console.log(`sharing, the same tree as a client limited to ${SCHOOL}: median ${sc.toFixed(1)} ms against ${w.toFixed(1)} ms whole-district`);
    console.log(`ratio scoped / unscoped per record: ${(sc / w).toFixed(2)} (target ≤ 1.3); statements ${scopedStatements} against ${statements}`);
  } finally {
    await db.close();
  }
}

await main();
