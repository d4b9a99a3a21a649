import type { EntityManager } from '@mikro-orm/postgresql';
import { columnOf, type EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { runSql, type Row } from './sql.js';

export type { Row };

const BATCH = 5000;

/** Converts a row keyed by property names into one keyed by column names, as jsonb_populate_recordset reads it. */
function toColumns(name: EntityName, row: Row): Row {
  const def = entityDef(name);
  const out: Row = {};
  if (def.base) {
    out.sourced_id = row.sourcedId;
    out.status = row.status ?? 'active';
    out.date_last_modified = row.dateLastModified ?? new Date().toISOString();
    out.metadata = row.metadata ?? null;
  }
  for (const [prop, f] of Object.entries(def.fields)) {
    const v = row[prop];
    out[columnOf(prop, f)] = v === undefined ? null : v;
  }
  return out;
}

/**
 * Inserts (or upserts) rows set-based: each batch is one JSON parameter expanded by
 * jsonb_populate_recordset into the table's own row type. Works the same on a server and on the
 * embedded database, and runs on the given EntityManager (inside its transaction, if any).
 */
export async function insertRows(em: EntityManager, name: EntityName, rows: Row[], opts: { upsert?: boolean } = {}): Promise<number> {
  const def = entityDef(name);
  let conflict = '';
  if (opts.upsert) {
    const cols = [...(def.base ? ['status', 'date_last_modified', 'metadata'] : []),
      ...Object.entries(def.fields).filter(([, f]) => !(f.kind === 'ref' && f.primary)).map(([p, f]) => columnOf(p, f))];
    const key = def.base ? 'sourced_id' : Object.entries(def.fields).map(([p, f]) => columnOf(p, f)).join(', ');
    conflict = cols.length
      ? ` on conflict (${key}) do update set ${cols.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`
      : ` on conflict (${key}) do nothing`;
  }
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH).map((r) => toColumns(name, r));
    await runSql(em, `insert into ${def.table} select * from jsonb_populate_recordset(null::${def.table}, ?::jsonb)${conflict}`,
      [JSON.stringify(batch)]);
  }
  return rows.length;
}
