import type { EntityManager } from '@mikro-orm/postgresql';
import { and, column, joined, run, sql, tableAs } from '../db/sql.js';
import { live } from '../data/links.js';
import type { EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { validationFailed } from '../shared/errors.js';
import type { RefCheck, Row } from './records.js';

/** Live rows by `Target:sourcedId`, as stored (snake_case columns). Tombstones count as absent. */
export type Found = Map<string, Row>;
export const foundKey = (target: EntityName, sourcedId: string) => `${target}:${sourcedId}`;

/**
 * Reads every referenced row of a write in one statement (one branch per target table), inside
 * the write's transaction. A reference to a `tobedeleted` record is as good as unknown: a grade
 * must not hang off a deleted line item or student.
 */
export async function lookup(tx: EntityManager, wanted: Array<{ target: EntityName; sourcedId: string }>): Promise<Found> {
  const byTarget = new Map<EntityName, Set<string>>();
  for (const w of wanted) {
    const ids = byTarget.get(w.target) ?? new Set<string>();
    ids.add(w.sourcedId);
    byTarget.set(w.target, ids);
  }
  const found: Found = new Map();
  if (!byTarget.size) return found;
  const parts = [...byTarget].map(([target, ids]) => sql`select ${target}::text as target, to_jsonb(t) as row from ${tableAs(entityDef(target).table, 't')}
      where ${and([sql`${column('t', 'sourced_id')} in (select jsonb_array_elements_text(${JSON.stringify([...ids])}::jsonb))`, live('t')])}`);
  for (const r of await run(tx, joined(parts, sql` union all `))) {
    const row = r.row as Row;
    found.set(foundKey(r.target as EntityName, String(row.sourced_id)), row);
  }
  return found;
}

const LABELS: Partial<Record<EntityName, string>> = { Org: 'org', AcademicSession: 'academic session', User: 'user' };
const label = (target: EntityName) => LABELS[target] ?? target.replace(/[A-Z]/g, (c, i) => (i ? ' ' : '') + c.toLowerCase());

/** Fails on the first reference that is unknown (or deleted), naming its field. */
export function requireAll(refs: RefCheck[], found: Found) {
  for (const r of refs) {
    if (!found.has(foundKey(r.target, r.sourcedId))) {
      throw validationFailed(r.field, `unknown ${label(r.target)} '${r.sourcedId}' (no such record, or it is marked tobedeleted)`);
    }
  }
}
