import type { EntityDef, EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import type { Relation } from '../model/relations.js';
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
}

export interface Page { rows: Row[]; total?: number; hasMore: boolean; offset: number }

/** ORDER BY the requested fields, always ending with sourcedId so that paging is stable. */
function orderSql(def: EntityDef, orderBy: OrderSpec[] | undefined, alias: string, flip: boolean): string {
  const dir = (d: 'ASC' | 'DESC') => ((d === 'DESC') !== flip ? 'desc nulls last' : 'asc nulls first');
  const parts = (orderBy ?? []).filter((o) => o.field !== 'sourcedId')
    .map((o) => `${columnExpr(def, o.field, alias)} ${dir(o.direction)}`);
  const idDir = orderBy?.find((o) => o.field === 'sourcedId')?.direction ?? 'ASC';
  parts.push(`${alias}.sourced_id ${dir(idDir)}`);
  return parts.join(', ');
}

export async function findByIds(exec: Exec, name: EntityName, ids: readonly string[]): Promise<Map<string, Row>> {
  const def = entityDef(name);
  const p = new SqlParams();
  const { sql, values } = p.finish(
    `select ${selectList(def)} from ${def.table} t where t.sourced_id in (select jsonb_array_elements_text(${p.add(JSON.stringify(ids))}::jsonb))`);
  const rows = await exec(sql, values);
  return new Map(rows.map((r) => [r.sourcedId as string, r]));
}

/** A root collection: every row of `name` matching `where` (a fixed view such as "schools") and the filter. */
export async function listRoot(exec: Exec, name: EntityName, where: string | undefined, args: ListArgs): Promise<Page> {
  const def = entityDef(name);
  const p = new SqlParams();
  const cond = `${where ?? 'true'} and ${compileFilter(name, args.filter, p)}`;
  const page = p.finish(`select ${selectList(def)} from ${def.table} t where ${cond}
    order by ${orderSql(def, args.orderBy, 't', !!args.fromEnd)} limit ${args.limit + 1} offset ${args.offset}`);
  const rows = await exec(page.sql, page.values);
  let total: number | undefined;
  if (args.withTotal) {
    const c = new SqlParams();
    const count = c.finish(`select count(*)::int as n from ${def.table} t where ${where ?? 'true'} and ${compileFilter(name, args.filter, c)}`);
    total = (await exec(count.sql, count.values))[0].n as number;
  }
  return pageOf(rows, args, total);
}

function pageOf(rows: Row[], args: ListArgs, total: number | undefined): Page {
  const hasMore = rows.length > args.limit;
  if (hasMore) rows.length = args.limit;
  if (args.fromEnd) rows.reverse();
  return { rows, total, hasMore, offset: args.offset };
}

/**
 * One statement for a nested collection of many owners at once: rows are numbered per owner by the
 * requested order, and each owner's page is cut with the window, so 10 or 1,000 parents cost the same.
 */
export async function listNested(exec: Exec, rel: Relation, ownerIds: readonly string[], args: ListArgs): Promise<Map<string, Page>> {
  const def = entityDef(rel.target);
  const p = new SqlParams();
  const owners = `(select jsonb_array_elements_text(${p.add(JSON.stringify(ownerIds))}::jsonb))`;
  const direct = 'fk' in rel.source;
  const owner = direct ? `t.${(rel.source as { fk: string }).fk}` : 'l.owner';
  const from = direct ? `${def.table} t` : `(select distinct l0.owner, l0.target from (${(rel.source as { link: string }).link}) l0
      where l0.owner in ${owners}) l join ${def.table} t on t.sourced_id = l.target`;
  const cond = `${direct ? `${owner} in ${owners}` : 'true'} and ${rel.where ?? 'true'} and ${compileFilter(rel.target, args.filter, p)}`;
  const order = orderSql(def, args.orderBy, 't', !!args.fromEnd);
  const total = args.withTotal ? `, count(*) over (partition by ${owner})::int as "__total"` : '';
  // With an offset, row 1 is kept too so that an owner whose page is empty still reports its total.
  const keepFirst = args.withTotal && args.offset > 0 ? ' or "__rn" = 1' : '';
  const { sql, values } = p.finish(`select * from (
      select ${selectList(def)}, ${owner} as "__owner", row_number() over (partition by ${owner} order by ${order}) as "__rn"${total}
      from ${from} where ${cond}
    ) x where ("__rn" > ${args.offset} and "__rn" <= ${args.offset + args.limit + 1})${keepFirst} order by "__owner", "__rn"`);
  const rows = await exec(sql, values);
  const byOwner = new Map<string, { rows: Row[]; total?: number }>();
  for (const row of rows) {
    const key = row.__owner as string;
    let entry = byOwner.get(key);
    if (!entry) byOwner.set(key, (entry = { rows: [], total: row.__total as number | undefined }));
    if (Number(row.__rn) > args.offset) entry.rows.push(row);
  }
  const pages = new Map<string, Page>();
  for (const id of ownerIds) {
    const entry = byOwner.get(id);
    pages.set(id, pageOf(entry?.rows ?? [], args, args.withTotal ? (entry?.total ?? 0) : undefined));
  }
  return pages;
}
