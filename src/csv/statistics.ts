import type pg from 'pg';
import type { FileSpec } from './columns.js';
import { LINKS, type LoadCount } from './load.js';

/**
 * Fresh planner statistics for the tables an import changed much. Until autovacuum gets to a table
 * the planner keeps the size it last knew (none, for a table loaded from empty) and can pick plans
 * that take seconds for a nested REST page instead of milliseconds. Autovacuum's own rule, applied
 * at once: analyse a table when the import wrote more than a tenth of the rows the planner knew of,
 * or the planner never counted it. Link tables filled from a file go with their owner's table.
 */
export async function analyzeChanged(client: pg.ClientBase, specs: readonly FileSpec[], written: Record<string, LoadCount>): Promise<string[]> {
  const tables = specs.map((s) => s.table).filter((t) => written[t]);
  if (!tables.length) return [];
  const { rows } = await client.query<{ table: string; tuples: number }>(
    `select relname as table, reltuples::float8 as tuples from pg_class where relname = any($1::text[]) and relkind = 'r'`, [tables]);
  const known = new Map(rows.map((r) => [r.table, Number(r.tuples)]));
  const stale = specs.filter((s) => {
    const count = written[s.table];
    const changed = count ? count.upserted + count.markedDeleted : 0;
    const tuples = known.get(s.table) ?? -1;
    return changed > 0 && (tuples < 0 || changed > Math.max(50, tuples / 10));
  });
  const analysed = [...new Set(stale.flatMap((s) => [s.table, ...s.extra.filter((e) => e in LINKS).map((e) => LINKS[e].table)]))];
  if (!analysed.length) return [];
  // Only the indexed columns (keys, references, the filtered ones): those are what the planner's join
  // and index choices depend on, and sampling them alone costs about a third of the whole row's
  // statistics (1.7 s for a first load of 2.4 million rows).
  const { rows: indexed } = await client.query<{ table: string; columns: string[] }>(
    `select c.relname as table, array_agg(distinct a.attname::text) as columns
     from pg_index i join pg_class c on c.oid = i.indrelid join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where c.relname = any($1::text[]) group by c.relname`, [analysed]);
  const columns = new Map(indexed.map((r) => [r.table, r.columns]));
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  await client.query(`analyze ${analysed.map((t) => (columns.has(t) ? `${t} (${columns.get(t)!.map(quote).join(', ')})` : t)).join(', ')}`);
  return analysed;
}
