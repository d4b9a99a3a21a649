import type { EntityDef, EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { live, type Relation } from '../model/relations.js';
import { columnExpr, selectList } from './columns.js';
import { compileFilter, type FilterInput } from './filters.js';
import { SqlParams } from './sql-params.js';

export type Row = Record<string, unknown>;
/** Runs one statement; the single path by which the graph reads the database. */
export type Exec = (sql: string, values: unknown[]) => Promise<Row[]>;

export interface OrderSpec { field: string; direction: 'ASC' | 'DESC' }

export interface ListArgs {
  filter?: FilterInput;
  orderBy?: OrderSpec[];
  offset: number;
  limit: number;
  /** Count all matching rows (only when `totalCount` is asked for). */
  withTotal: boolean;
  /** Read from the end (Relay `last` without `before`). */
  fromEnd?: boolean;
  /** Properties to read (sourcedId always); all when absent. */
  props?: readonly string[];
  /** Small relations of each row read along with the page (see Embed). */
  embeds?: readonly Embed[];
}

/**
 * A small relation of every row of a page (a user's roles, agents or resources), read in the same
 * statement as the page: each row gets the relation's own page as a JSON array in column
 * `embedColumn(key)`, turned into a Page before the rows leave this module. One statement instead of
 * one more per relation, and no loader call per row.
 */
export interface Embed { key: string; rel: Relation; args: ListArgs }

const embedColumnNames = new Map<string, string>();
/**
 * The row property of an embed, memoised: it is looked up for every row and relation of a page.
 * Keys are response keys, which clients choose (aliases), so the memo is bounded.
 */
export function embedColumn(key: string): string {
  const known = embedColumnNames.get(key);
  if (known) return known;
  const column = `__embed:${key}`;
  if (embedColumnNames.size < 1000) embedColumnNames.set(key, column);
  return column;
}

export interface Page { rows: Row[]; total?: number; hasMore: boolean; offset: number }

/** The column of a page row with embeds that says whether the row is live (not `tobedeleted`). */
const LIVE_COLUMN = '__live';

/** ORDER BY the requested fields, always ending with sourcedId so that paging is stable. */
function orderSql(def: EntityDef, orderBy: OrderSpec[] | undefined, alias: string, flip: boolean): string {
  const dir = (d: 'ASC' | 'DESC') => ((d === 'DESC') !== flip ? 'desc nulls last' : 'asc nulls first');
  const parts = (orderBy ?? []).filter((o) => o.field !== 'sourcedId')
    .map((o) => `${columnExpr(def, o.field, alias)} ${dir(o.direction)}`);
  const idDir = orderBy?.find((o) => o.field === 'sourcedId')?.direction ?? 'ASC';
  // The primary key is never null: a plain asc/desc lets its index serve the order (`nulls first` forced a full sort).
  parts.push(`${alias}.sourced_id ${(idDir === 'DESC') !== flip ? 'desc' : 'asc'}`);
  return parts.join(', ');
}

/**
 * One page of the rows of `def` matching `cond` (one row more than the limit, to tell whether there
 * are more). Past the first page the keys are paged first and only the page's rows are read: OFFSET
 * otherwise reads and projects every row it skips (the keys alone come from an index-only walk).
 * /enrollments at offset 80,000: 124 ms → 27 ms.
 */
function pageSql(def: EntityDef, args: ListArgs, cond: string): string {
  const order = orderSql(def, args.orderBy, 't', !!args.fromEnd);
  // Rows with embeds carry their own liveness: a tombstoned row's embedded relations are empty (withEmbedColumns).
  const columns = `${selectList(def, 't', args.props)}${args.embeds?.length && def.base ? `, ${live('t')} as "${LIVE_COLUMN}"` : ''}`;
  if (args.offset === 0 || !def.base) return `select ${columns} from ${def.table} t where ${cond} order by ${order} limit ${args.limit + 1} offset ${args.offset}`;
  return `select ${columns} from ${def.table} t where t.sourced_id = any(array(select t.sourced_id from ${def.table} t where ${cond}
      order by ${order} limit ${args.limit + 1} offset ${args.offset})) order by ${order}`;
}

export async function findByIds(exec: Exec, name: EntityName, ids: readonly string[], props?: readonly string[]): Promise<Map<string, Row>> {
  const def = entityDef(name);
  const p = new SqlParams();
  const { sql, values } = p.finish(
    `select ${selectList(def, 't', props)} from ${def.table} t where t.sourced_id in (select jsonb_array_elements_text(${p.add(JSON.stringify(ids))}::jsonb))`);
  const rows = await exec(sql, values);
  return new Map(rows.map((r) => [r.sourcedId as string, r]));
}

/** A root collection: every row of `name` matching `where` (a fixed view such as "schools") and the filter. */
export async function listRoot(exec: Exec, name: EntityName, where: string | undefined, args: ListArgs): Promise<Page> {
  const def = entityDef(name);
  const p = new SqlParams();
  const cond = `${where ?? 'true'} and ${compileFilter(name, args.filter, p)}`;
  const page = p.finish(withEmbedColumns(pageSql(def, args, cond), args.embeds, p));
  const countTotal = async () => {
    const c = new SqlParams();
    const count = c.finish(`select count(*)::int as n from ${def.table} t where ${where ?? 'true'} and ${compileFilter(name, args.filter, c)}`);
    return (await exec(count.sql, count.values))[0].n as number;
  };
  // The page and the count are independent: on a server they run on two connections at once.
  const [rows, total] = await Promise.all([exec(page.sql, page.values), args.withTotal ? countTotal() : undefined]);
  return pageOf(withEmbeds(rows, args.embeds), args, total);
}

/**
 * Adds the embeds to a page query: each relation's page for every row, as one JSON array per row.
 * Around the page, not inside it: rows skipped by OFFSET would otherwise run the subqueries too.
 * The page's ORDER BY ... LIMIT keeps it from being flattened, so its rows keep their order; and a
 * sorted subquery feeds json_agg in its order (the PostgreSQL idiom for ordered aggregates).
 */
function withEmbedColumns(pageSql: string, embeds: readonly Embed[] | undefined, p: SqlParams): string {
  if (!embeds?.length) return pageSql;
  // Keys are GraphQL response keys ([_A-Za-z][_0-9A-Za-z]*), safe inside a quoted identifier.
  const columns = embeds.map((e) => `(select coalesce(json_agg(e), '[]'::json) from (${ownerPage(e.rel, e.args, p, 'p."sourcedId"', `p."${LIVE_COLUMN}"`)}) e)
    as "${embedColumn(e.key)}"`);
  return `select p.*, ${columns.join(', ')} from (${pageSql}) p`;
}

function withEmbeds(rows: Row[], embeds: readonly Embed[] | undefined): Row[] {
  if (embeds?.length) {
    for (const row of rows) {
      // A nested page's placeholder row for an owner without rows (left join) has no embeds.
      for (const e of embeds) {
        const column = embedColumn(e.key);
        row[column] = pageOf((row[column] as Row[] | null) ?? [], e.args, undefined);
      }
    }
  }
  return rows;
}

function pageOf(rows: Row[], args: ListArgs, total: number | undefined): Page {
  const hasMore = rows.length > args.limit;
  if (hasMore) rows.length = args.limit;
  if (args.fromEnd) rows.reverse();
  return { rows, total, hasMore, offset: args.offset };
}

/**
 * The owner id `owner` (an SQL expression) names a live record: a tombstoned owner has no related
 * rows. It reads no column of `t`, so PostgreSQL checks it once per owner (a one-time filter), not per row.
 */
const ownerLive = (rel: Relation, owner: string) =>
  `exists (select 1 from ${entityDef(rel.owner).table} ow where ow.sourced_id = ${owner} and ${live('ow')})`;

/**
 * The target rows of `rel` that belong to the owner id `owner` (an SQL expression) and match the
 * filter. Every relation's rows pass here: the owner and the target must be live, and the link
 * (relations.ts) leaves out its tombstoned rows.
 */
function owned(rel: Relation, args: ListArgs, p: SqlParams, owner: string, ownerIsLive = ownerLive(rel, owner)): string {
  const link = 'fk' in rel.source ? `t.${rel.source.fk} = ${owner}`
    : `t.sourced_id in (select l0.target from (${rel.source.link}) l0 where l0.owner = ${owner})`;
  return `${link} and ${live('t')} and ${ownerIsLive} and ${rel.where ?? 'true'} and ${compileFilter(rel.target, args.filter, p)}`;
}

/**
 * One owner's page of `rel` (one row more than the limit, to tell whether there are more).
 * `ownerIsLive` is the owner's liveness when the caller has it at hand (an embed's page row).
 */
function ownerPage(rel: Relation, args: ListArgs, p: SqlParams, owner: string, ownerIsLive = ownerLive(rel, owner)): string {
  const def = entityDef(rel.target);
  if ('link' in rel.source && idsOnly(rel, args)) {
    // Only the linked sourcedIds are read (a user's agents as references): they come from the link,
    // and the target table is visited only by primary key, for its status (tombstones make no relation).
    return `select distinct l0.target as "sourcedId" from (${rel.source.link}) l0 join ${def.table} t on t.sourced_id = l0.target
      where l0.owner = ${owner} and ${live('t')} and ${ownerIsLive} order by 1 limit ${args.limit + 1} offset ${args.offset}`;
  }
  return withEmbedColumns(pageSql(def, args, owned(rel, args, p, owner, ownerIsLive)), args.embeds, p);
}

const idsOnly = (rel: Relation, args: ListArgs) => !rel.where && !args.filter && !args.orderBy?.length
  && !args.fromEnd && !args.embeds?.length && args.props?.length === 1 && args.props[0] === 'sourcedId';

/**
 * One statement for a nested collection of many owners at once, so 10 or 1,000 parents cost the
 * same: for each owner id a LATERAL subquery reads that owner's page through the foreign-key (or
 * link) index, ordered and cut with LIMIT/OFFSET, and a second LATERAL counts the owner's matches
 * when totalCount is asked for. Many small per-owner sorts are cheaper than numbering all rows with
 * a window, and an owner whose page is empty (offset past its end) still reports its total.
 */
export async function listNested(exec: Exec, rel: Relation, ownerIds: readonly string[], args: ListArgs): Promise<Map<string, Page>> {
  const def = entityDef(rel.target);
  const p = new SqlParams();
  const owners = p.add(JSON.stringify(ownerIds));
  const page = ownerPage(rel, args, p, 'o.owner');
  // One owner (a REST path under one parent): its count runs beside the page on a second connection,
  // as listRoot's does, instead of after it in the same statement. Many owners: one statement counts all.
  const countApart = args.withTotal && ownerIds.length === 1;
  const countSql = (q: SqlParams, owner: string) => `select count(*)::int as n from ${def.table} t where ${owned(rel, args, q, owner)}`;
  const count = args.withTotal && !countApart ? ` cross join lateral (${countSql(p, 'o.owner')}) c` : '';
  const { sql, values } = p.finish(`select o.owner as "__owner"${count ? ', c.n as "__total"' : ''}, x.*
    from jsonb_array_elements_text(${owners}::jsonb) o(owner) left join lateral (${page}) x on true${count}`);
  const countOne = async () => {
    const c = new SqlParams();
    const q = c.finish(countSql(c, `${c.add(ownerIds[0])}::text`));
    return (await exec(q.sql, q.values))[0].n as number;
  };
  const [rows, apart] = await Promise.all([exec(sql, values), countApart ? countOne() : undefined]);
  const byOwner = new Map<string, { rows: Row[]; total?: number }>();
  for (const row of withEmbeds(rows, args.embeds)) {
    const key = row.__owner as string;
    let entry = byOwner.get(key);
    if (!entry) byOwner.set(key, (entry = { rows: [], total: apart ?? (row.__total as number | undefined) }));
    if (row.sourcedId != null) entry.rows.push(row);
  }
  const pages = new Map<string, Page>();
  for (const id of ownerIds) {
    const entry = byOwner.get(id);
    pages.set(id, pageOf(entry?.rows ?? [], args, args.withTotal ? (entry?.total ?? 0) : undefined));
  }
  return pages;
}
