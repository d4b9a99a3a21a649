import { and, column, joined, sql, tableAs, type Row, type Sql } from '../db/sql.js';
import type { EntityDef, EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import type { Relation, RowCondition } from '../model/relations.js';
import { columnExpr, selectList } from './columns.js';
import { compileFilter, type FilterInput } from './filters.js';
import { conditionsSql, linkSql, live, visible } from './links.js';
import type { ReadPolicy } from './read-policy.js';

/**
 * A page size or offset as a literal: they are whole numbers checked by the caller, and a statement
 * without bound values travels as one simple-protocol message, which the embedded database's socket
 * never interleaves with another connection's statements (bound values on a page read there failed with
 * "unnamed prepared statement does not exist" while an import ran: test/csv/import-latency.test.ts).
 */
const count = (n: number): Sql => sql.lit(Math.max(0, Math.trunc(n)));

export type { Row };

/** Runs one statement; the single path by which the graph reads the database. */
export type Exec = (statement: Sql) => Promise<Row[]>;

/** What every read needs: where statements run, and what the caller may see (added to every statement). */
export interface Reader { readonly exec: Exec; readonly policy: ReadPolicy }

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

const ASC = sql`asc nulls first`;
const DESC = sql`desc nulls last`;

/** ORDER BY the requested fields, always ending with sourcedId so that paging is stable. */
function orderSql(def: EntityDef, orderBy: OrderSpec[] | undefined, alias: string, flip: boolean): Sql {
  const dir = (d: 'ASC' | 'DESC') => ((d === 'DESC') !== flip ? DESC : ASC);
  const parts = (orderBy ?? []).filter((o) => o.field !== 'sourcedId')
    .map((o) => sql`${columnExpr(def, o.field, alias)} ${dir(o.direction)}`);
  const idDir = orderBy?.find((o) => o.field === 'sourcedId')?.direction ?? 'ASC';
  // The primary key is never null: a plain asc/desc lets its index serve the order (`nulls first` forced a full sort).
  parts.push(sql`${column(alias, 'sourced_id')} ${(idDir === 'DESC') !== flip ? sql`desc` : sql`asc`}`);
  return joined(parts);
}

/**
 * One page of the rows of `def` matching `cond` (one row more than the limit, to tell whether there
 * are more). Past the first page the keys are paged first and only the page's rows are read: OFFSET
 * otherwise reads and projects every row it skips (the keys alone come from an index-only walk).
 */
function pageSql(def: EntityDef, args: ListArgs, cond: Sql): Sql {
  const order = orderSql(def, args.orderBy, 't', !!args.fromEnd);
  const from = tableAs(def.table, 't');
  const id = column('t', 'sourced_id');
  const columns = rowColumns(def, args.props, args.embeds);
  if (args.offset === 0 || !def.base) return sql`select ${columns} from ${from} where ${cond} order by ${order} limit ${count(args.limit + 1)} offset ${count(args.offset)}`;
  return sql`select ${columns} from ${from} where ${id} = any(array(select ${id} from ${from} where ${cond}
      order by ${order} limit ${count(args.limit + 1)} offset ${count(args.offset)})) order by ${order}`;
}

/** The columns of `t` a read returns; rows with embeds carry their own liveness (a tombstoned row's embedded relations are empty). */
function rowColumns(def: EntityDef, props: readonly string[] | undefined, embeds: readonly Embed[] | undefined): Sql {
  const list = selectList(def, 't', props);
  return embeds?.length && def.base ? sql`${list}, ${live('t')} as ${sql.id(LIVE_COLUMN)}` : list;
}

/** Records of `name` by sourcedId, with `embeds` read along; one the policy hides is simply absent. */
export async function findByIds(r: Reader, name: EntityName, ids: readonly string[], props?: readonly string[], embeds?: readonly Embed[]): Promise<Map<string, Row>> {
  const def = entityDef(name);
  const rows = await r.exec(withEmbedColumns(sql`select ${rowColumns(def, props, embeds)} from ${tableAs(def.table, 't')}
    where ${and([sql`${column('t', 'sourced_id')} in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`, ...visible(r.policy, name, 't')])}`, embeds, r));
  return new Map(withEmbeds(rows, embeds).map((row) => [row.sourcedId as string, row]));
}

/** A root collection: every row of `name` matching `where` (the fixed conditions of a view such as "schools") and the filter. */
export async function listRoot(r: Reader, name: EntityName, where: readonly RowCondition[] | undefined, args: ListArgs): Promise<Page> {
  const def = entityDef(name);
  const cond = () => and([...conditionsSql(where, 't', r.policy), compileFilter(name, args.filter, r.policy), ...visible(r.policy, name, 't')]);
  const page = withEmbedColumns(pageSql(def, args, cond()), args.embeds, r);
  const countTotal = async () =>
    (await r.exec(sql`select count(*)::int as n from ${tableAs(def.table, 't')} where ${cond()}`))[0]!.n as number;
  // The page and the count are independent: on a server they run on two connections at once.
  const [rows, total] = await Promise.all([r.exec(page), args.withTotal ? countTotal() : undefined]);
  return pageOf(withEmbeds(rows, args.embeds), args, total);
}

/**
 * Adds the embeds to a page query: each relation's page for every row, as one JSON array per row.
 * Around the page, not inside it: rows skipped by OFFSET would otherwise run the subqueries too.
 * The page's ORDER BY ... LIMIT keeps it from being flattened, so its rows keep their order; and a
 * sorted subquery feeds json_agg in its order (the PostgreSQL idiom for ordered aggregates).
 */
function withEmbedColumns(page: Sql, embeds: readonly Embed[] | undefined, r: Reader): Sql {
  if (!embeds?.length) return page;
  const columns = embeds.map((e) => sql`(select coalesce(json_agg(e), '[]'::json) from (${ownerPage(e.rel, e.args, r, column('p', 'sourcedId'), column('p', LIVE_COLUMN))}) e)
    as ${sql.id(embedColumn(e.key))}`);
  return sql`select p.*, ${joined(columns)} from (${page}) p`;
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
 * The owner id `owner` (an SQL expression) names a live record the caller may see: otherwise it has
 * no related rows. It reads no column of `t`, so PostgreSQL checks it once per owner (a one-time
 * filter), not per row.
 */
const ownerLive = (rel: Relation, r: Reader, owner: Sql): Sql =>
  sql`exists (select 1 from ${tableAs(entityDef(rel.owner).table, 'ow')} where ${and([sql`${column('ow', 'sourced_id')} = ${owner}`, live('ow'), ...visible(r.policy, rel.owner, 'ow')])})`;

/**
 * The target rows of `rel` that belong to the owner id `owner` (an SQL expression) and match the
 * filter. Every relation's rows pass here: the owner and the target must be live and visible, and
 * the link (links.ts) leaves out its tombstoned and hidden rows.
 */
function owned(rel: Relation, args: ListArgs, r: Reader, owner: Sql, ownerIsLive = ownerLive(rel, r, owner)): Sql {
  const link = 'fk' in rel.source ? sql`${column('t', rel.source.fk)} = ${owner}`
    : sql`${column('t', 'sourced_id')} in (select l0.target from (${linkSql(rel.source, r.policy)}) l0 where l0.owner = ${owner})`;
  return and([link, live('t'), ownerIsLive, ...conditionsSql(rel.where, 't', r.policy), compileFilter(rel.target, args.filter, r.policy),
    ...visible(r.policy, rel.target, 't')]);
}

/**
 * One owner's page of `rel` (one row more than the limit, to tell whether there are more).
 * `ownerIsLive` is the owner's liveness when the caller has it at hand (an embed's page row).
 */
function ownerPage(rel: Relation, args: ListArgs, r: Reader, owner: Sql, ownerIsLive = ownerLive(rel, r, owner)): Sql {
  const def = entityDef(rel.target);
  if ('paths' in rel.source && idsOnly(rel, args)) {
    // Only the linked sourcedIds are read (a user's agents as references): they come from the link,
    // and the target table is visited only by primary key, for its status and visibility (tombstones make no relation).
    return sql`select distinct l0.target as "sourcedId" from (${linkSql(rel.source, r.policy)}) l0 join ${tableAs(def.table, 't')} on t.sourced_id = l0.target
      where ${and([sql`l0.owner = ${owner}`, live('t'), ownerIsLive, ...visible(r.policy, rel.target, 't')])} order by 1 limit ${count(args.limit + 1)} offset ${count(args.offset)}`;
  }
  return withEmbedColumns(pageSql(def, args, owned(rel, args, r, owner, ownerIsLive)), args.embeds, r);
}

const idsOnly = (rel: Relation, args: ListArgs) => !rel.where?.length && !args.filter && !args.orderBy?.length
  && !args.fromEnd && !args.embeds?.length && args.props?.length === 1 && args.props[0] === 'sourcedId';

/**
 * One statement for a nested collection of many owners at once, so 10 or 1,000 parents cost the
 * same: for each owner id a LATERAL subquery reads that owner's page through the foreign-key (or
 * link) index, ordered and cut with LIMIT/OFFSET, and a second LATERAL counts the owner's matches
 * when totalCount is asked for. Many small per-owner sorts are cheaper than numbering all rows with
 * a window, and an owner whose page is empty (offset past its end) still reports its total.
 */
export async function listNested(r: Reader, rel: Relation, ownerIds: readonly string[], args: ListArgs): Promise<Map<string, Page>> {
  const def = entityDef(rel.target);
  const owner = column('o', 'owner');
  const page = ownerPage(rel, args, r, owner);
  // One owner (a REST path under one parent): its count runs beside the page on a second connection,
  // as listRoot's does, instead of after it in the same statement. Many owners: one statement counts all.
  const countApart = args.withTotal && ownerIds.length === 1;
  const countSql = (of: Sql) => sql`select count(*)::int as n from ${tableAs(def.table, 't')} where ${owned(rel, args, r, of)}`;
  const countTogether = args.withTotal && !countApart;
  const statement = sql`select ${owner} as "__owner"${countTogether ? sql`, c.n as "__total"` : sql``}, x.*
    from jsonb_array_elements_text(${JSON.stringify(ownerIds)}::jsonb) o(owner) left join lateral (${page}) x on true${countTogether ? sql` cross join lateral (${countSql(owner)}) c` : sql``}`;
  const countOne = async () => (await r.exec(countSql(sql`${ownerIds[0]}::text`)))[0]!.n as number;
  const [rows, apart] = await Promise.all([r.exec(statement), countApart ? countOne() : undefined]);
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
