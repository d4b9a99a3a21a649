import type { EntityManager } from '@mikro-orm/postgresql';
import { upsertRows } from '../db/bulk.js';
import { emSession, joined, run, sql } from '../db/sql.js';
import type { EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { generateDistrict, type DistrictOptions } from './district.js';

export interface SeedReport { rows: Record<string, number>; total: number; seconds: number }

/** Loads a generated district in one transaction: all of it or nothing. */
export async function seedDistrict(em: EntityManager, opts: DistrictOptions, onBatch?: (entity: string, n: number) => void): Promise<SeedReport> {
  const started = performance.now();
  const rows: Record<string, number> = {};
  await em.fork().transactional(async (tx) => {
    for (const batch of generateDistrict(opts)) {
      if (!batch.rows.length) continue;
      await upsertRows(emSession(tx), batch.entity, batch.rows);
      rows[batch.entity] = (rows[batch.entity] ?? 0) + batch.rows.length;
      onBatch?.(batch.entity, batch.rows.length);
    }
  });
  // Fresh planner statistics: until autovacuum gets to it, the planner guesses empty tables and can pick
  // plans that take seconds for a nested REST page instead of milliseconds.
  const tables = Object.keys(rows).map((name) => entityDef(name as EntityName).table);
  if (tables.length) await run(em.fork(), sql`analyze ${joined(tables.map((t) => sql.table(t)))}`);
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  return { rows, total, seconds: (performance.now() - started) / 1000 };
}

/**
 * What the store holds: a roster (any org), and whether it was set up for real data (an API client or an
 * upstream source added). The demo district goes only into a store with neither: a district that has added its
 * vendors' clients or its SIS (with the server stopped, as the embedded store asks) would have it mixed in.
 */
export async function storeContents(em: EntityManager): Promise<{ roster: boolean; setUp: boolean }> {
  const [row] = await run(em.fork(), sql`select exists (select 1 from ${sql.table(entityDef('Org').table)}) as roster,
    exists (select 1 from oauth_clients) or exists (select 1 from sources) as set_up`);
  return { roster: !!row.roster, setUp: !!row.set_up };
}
