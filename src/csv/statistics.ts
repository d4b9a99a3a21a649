import { joined, sql, type SqlSession } from '../db/sql.js';
import type { FileSpec } from './columns.js';
import { linkTablesOf, type LoadCount } from './load.js';

/**
 * Fresh planner statistics for the tables an import changed much. Until autovacuum gets to a table
 * the planner keeps the size it last knew (none, for a table loaded from empty) and can pick plans
 * that take seconds for a nested REST page instead of milliseconds. Autovacuum's own rule, applied
 * at once: analyse a table when the import wrote more than a tenth of the rows the planner knew of,
 * or the planner never counted it. Link tables filled from a file go with their owner's table.
 *
 * Only the indexed columns (keys, references, the filtered ones) and `status` are analysed: the
 * planner's join and index choices depend on those, and sampling them alone costs about a third of
 * the whole row's statistics. `status` has no index but
 * is in most consumers' filters and in the export's; without its statistics the planner takes
 * `status = 'active'` to match 0.5 % of the rows and picks plans for a handful.
 */
export async function analyzeChanged(session: SqlSession, specs: readonly FileSpec[], written: Record<string, LoadCount>): Promise<string[]> {
  const changed = specs.filter((s) => written[s.table]);
  if (!changed.length) return [];
  const rows = await session.run(sql`select c.relname::text as table, c.reltuples::float8 as tuples,
       array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
             and (a.attname = 'status' or exists (select 1 from pg_index i where i.indrelid = c.oid and a.attnum = any(i.indkey)))
             order by 1) as columns
     from pg_class c where c.relname = any(${[...new Set(changed.flatMap((s) => [s.table, ...linkTablesOf(s)]))]}::text[]) and c.relkind = 'r'`);
  const tables = new Map(rows.map((r) => [String(r.table), { tuples: Number(r.tuples), columns: r.columns as string[] }]));
  const stale = changed.filter((s) => {
    const count = written[s.table]!.upserted + written[s.table]!.markedDeleted;
    const tuples = Number(tables.get(s.table)?.tuples ?? -1);
    return count > 0 && (tuples < 0 || count > Math.max(50, tuples / 10));
  });
  const analysed = [...new Set(stale.flatMap((s) => [s.table, ...linkTablesOf(s)]))];
  if (!analysed.length) return [];
  const target = (t: string) => {
    const columns = tables.get(t)?.columns ?? [];
    return columns.length ? sql`${sql.table(t)} (${joined(columns.map((c) => sql.id(c)))})` : sql.table(t);
  };
  await session.run(sql`analyze ${joined(analysed.map(target))}`);
  return analysed;
}
