import type { EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { sql, type Row, type Sql } from '../db/sql.js';
import type { Relation } from '../model/relations.js';
import type { CollectionArgs } from './connections.js';
import type { Context } from './context.js';
import type { TableStats } from './table-stats.js';

/**
 * The estimated cost of a connection is its page size times the cost of one node, and a page is
 * never larger than what the data can hold: a root collection has at most its table's rows, a nested
 * one at most what a parent has on average, so that the estimate of a nested tree is the work it
 * is expected to do. Both come from PostgreSQL's statistics (pg_class.reltuples; pg_stats n_distinct
 * and null_frac of the foreign-key column), read once and kept for a minute. Without statistics (a
 * table never analysed) the requested page size counts. The statement timeout bounds what an
 * unusually busy parent costs beyond its estimate.
 */

type Exec = (statement: Sql) => Promise<Row[]>;

export async function readTableStats(exec: Exec): Promise<TableStats> {
  const rows = new Map<string, number>();
  for (const r of await exec(sql`select c.relname as name, c.reltuples as rows from pg_class c
      where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p') and c.reltuples >= 0`)) {
    rows.set(String(r.name), Number(r.rows));
  }
  const perValue = new Map<string, number>();
  for (const s of await exec(sql`select tablename, attname, n_distinct, null_frac from pg_stats where schemaname = current_schema()`)) {
    const total = rows.get(String(s.tablename));
    if (total === undefined) continue;
    const nDistinct = Number(s.n_distinct);
    const distinct = nDistinct >= 0 ? nDistinct : -nDistinct * total;
    if (!(distinct > 0)) continue;
    perValue.set(`${s.tablename}.${s.attname}`, Math.ceil((total * (1 - Number(s.null_frac ?? 0))) / distinct));
  }
  return { rows, perValue };
}

/** The statistics, refreshed in the background once older than `ttlMs`; undefined until first read. */
export class TableStatsCache {
  private value?: TableStats;
  private readAt = 0;
  private pending?: Promise<void>;

  constructor(private readonly read: () => Promise<TableStats>, private readonly ttlMs = 60_000) {}

  async current(): Promise<TableStats | undefined> {
    if (Date.now() - this.readAt > this.ttlMs && !this.pending) {
      this.pending = this.read()
        .then((v) => { this.value = v; }, () => { /* no statistics: page sizes count */ })
        .finally(() => { this.readAt = Date.now(); this.pending = undefined; });
    }
    if (!this.value && this.pending) await this.pending;
    return this.value;
  }
}

/** The page a connection asks for, as the data layer will read it (connections.ts). */
const requestedPage = (args: CollectionArgs, ctx: Context, fallback: number) =>
  args.first ?? args.last ?? args.limit ?? Math.min(fallback, ctx.limits.maxLimit);

/** The table and column whose values name a relation's owner, when the relation reads one table. */
export function ownerColumn(rel: Relation): { table: string; column: string } | undefined {
  if ('fk' in rel.source) return { table: entityDef(rel.target).table, column: rel.source.fk };
  // A link through one table (relations.ts `through`): its owner column is a column of that table.
  const [path, ...others] = rel.source.paths;
  const [hop, ...more] = path?.hops ?? [];
  if (!path || others.length || !hop || more.length || path.owner.alias !== hop.alias) return undefined;
  return { table: hop.table, column: path.owner.column };
}

/** Pothos complexity of a nested connection: one per node, nodes capped by what a parent holds. */
export function relationComplexity(rel: Relation) {
  const owner = ownerColumn(rel);
  return (args: CollectionArgs, ctx: Context) => {
    const held = owner && ctx.costStats?.perValue.get(`${owner.table}.${owner.column}`);
    const page = requestedPage(args, ctx, held === undefined ? 10 : 100);
    return { field: 1, multiplier: held === undefined ? page : Math.min(page, held) };
  };
}

/** Pothos complexity of a root collection: nodes capped by the table's rows. */
export function rootComplexity(entity: EntityName) {
  const table = entityDef(entity).table;
  return (args: CollectionArgs, ctx: Context) => {
    const held = ctx.costStats?.rows.get(table);
    const page = requestedPage(args, ctx, held === undefined ? 10 : 100);
    return { field: 1, multiplier: held === undefined ? page : Math.min(page, Math.ceil(held)) };
  };
}
