import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql } from '../../db/sql.js';
import type { EntityName } from '../../model/dsl.js';
import { entityDef } from '../../model/index.js';
import { forbidden, notFound } from '../../shared/errors.js';
import { textArray } from './policy.js';
import type { Sharing } from './rules.js';

/**
 * Gradebook writes of a client limited to some orgs (README "Data sharing"):
 * - a record it may not see is, to it, absent: a path parent or a DELETE target answers 404 word for
 *   word as a sourcedId that does not exist;
 * - a body referring to a class, school, line item, user or score scale outside what it sees (whether
 *   that record exists or not, so the answer tells nothing), replacing a record it may not see, or
 *   leaving the written record outside its orgs is refused with 403, and nothing is written.
 * - a category has no org: the client reads those its line items use and those no line item uses
 *   (policy.ts), and changes those its line items use and those it created that no line item uses yet,
 *   never an unused category of the district or of another client (403).
 */

/** Referenced types whose visibility hides them from a limited client's writes (district-wide vocabularies are not). */
const HIDDEN_WHEN_INVISIBLE = new Set<EntityName>(['Org', 'Class', 'User', 'LineItem', 'Result', 'ScoreScale', 'AssessmentLineItem']);

async function visibleIds(tx: EntityManager, sharing: Sharing, entity: EntityName, ids: readonly string[]): Promise<Set<string>> {
  const predicate = sharing.policy.rows(entity, 't');
  if (!predicate) return new Set(ids);
  const rows = await run(tx, sql`select t.sourced_id from ${sql.table(entityDef(entity).table)} as t
    where t.sourced_id = any(${textArray(ids)}) and ${predicate}`);
  return new Set(rows.map((r) => String(r.sourced_id)));
}

/** Drops the rows a limited client may not see from a write's looked-up references (keys `Type:sourcedId`). */
export async function hideInvisible(tx: EntityManager, sharing: Sharing, found: Map<string, unknown>): Promise<void> {
  if (!sharing.limited) return;
  const byType = new Map<EntityName, string[]>();
  for (const key of found.keys()) {
    const at = key.indexOf(':');
    const type = key.slice(0, at) as EntityName;
    if (!HIDDEN_WHEN_INVISIBLE.has(type)) continue;
    byType.set(type, [...(byType.get(type) ?? []), key.slice(at + 1)]);
  }
  for (const [type, ids] of byType) {
    const visible = await visibleIds(tx, sharing, type, ids);
    for (const id of ids) if (!visible.has(id)) found.delete(`${type}:${id}`);
  }
}

/** After hideInvisible: a body reference the client may not see (absent or outside its orgs) refuses the write. */
export function requireRefsWithinOrgs(sharing: Sharing, refs: ReadonlyArray<{ field: string; target: EntityName; sourcedId: string }>, found: Map<string, unknown>): void {
  if (!sharing.limited) return;
  for (const r of refs) {
    if (HIDDEN_WHEN_INVISIBLE.has(r.target) && !found.has(`${r.target}:${r.sourcedId}`)) {
      throw forbidden(`${r.field}: '${r.sourcedId}' is not a ${r.target === 'Org' ? 'school' : r.target} this client can see; it may write only gradebook records of the classes and schools it can see (its sharing rules)`);
    }
  }
}

/** Whether a limited client may change an existing category: one its visible line items use, or one it created that no line item uses. */
async function categoryChangeable(tx: EntityManager, sharing: Sharing, clientId: string | undefined, sourcedId: string): Promise<boolean> {
  const visibleLineItem = sharing.policy.rows('LineItem', 'li') ?? sql`true`;
  const [row] = await run(tx, sql`select exists (select 1 from line_items li where li.category_sourced_id = ${sourcedId} and ${visibleLineItem})
    or (not exists (select 1 from line_items lu where lu.category_sourced_id = ${sourcedId})
      and exists (select 1 from category_creators cc where cc.sourced_id = ${sourcedId} and cc.client_id = ${clientId ?? null})) as ok`);
  return row?.ok === true;
}

const notItsCategory = (sourcedId: string) =>
  forbidden(`Category ${sourcedId}: no line item of this client's schools uses it and it did not create it, so it is not this client's to change (its sharing rules)`);

/** Before a PUT: an existing record the client may not see (a category: may not change) is not its to replace. */
export async function requireReplaceable(tx: EntityManager, sharing: Sharing, type: EntityName, sourcedId: string, clientId: string | undefined): Promise<void> {
  if (!sharing.limited) return;
  const exists = await run(tx, sql`select 1 from ${sql.table(entityDef(type).table)} where sourced_id = ${sourcedId}`);
  if (!exists.length) return;
  if (type === 'Category') {
    if (!(await categoryChangeable(tx, sharing, clientId, sourcedId))) throw notItsCategory(sourcedId);
  } else if (!(await visibleIds(tx, sharing, type, [sourcedId])).has(sourcedId)) {
    throw outside(type, [sourcedId]);
  }
}

/** After a PUT that created a category: a limited client's own, which it may send again before its line items use it. */
export async function noteCreated(tx: EntityManager, sharing: Sharing, type: EntityName, sourcedId: string, clientId: string | undefined): Promise<void> {
  if (!sharing.limited || type !== 'Category' || !clientId) return;
  await run(tx, sql`insert into category_creators (sourced_id, client_id) values (${sourcedId}, ${clientId}) on conflict (sourced_id) do nothing`);
}

/** After the rows are written (same transaction): each must be visible to the client, else the write is undone. */
export async function requireWithinOrgs(tx: EntityManager, sharing: Sharing, type: EntityName, sourcedIds: readonly string[]): Promise<void> {
  if (!sharing.limited || sourcedIds.length === 0) return;
  const visible = await visibleIds(tx, sharing, type, sourcedIds);
  const outsideIds = sourcedIds.filter((id) => !visible.has(id));
  if (outsideIds.length) throw outside(type, outsideIds);
}

/** Before a DELETE: a record the client may not see answers as one that does not exist; a category it sees but may not change, 403. */
export async function requireDeletable(tx: EntityManager, sharing: Sharing, type: EntityName, sourcedId: string, clientId: string | undefined): Promise<void> {
  if (!sharing.limited) return;
  if (!(await visibleIds(tx, sharing, type, [sourcedId])).has(sourcedId)) throw notFound(type, sourcedId);
  if (type === 'Category' && !(await categoryChangeable(tx, sharing, clientId, sourcedId))) throw notItsCategory(sourcedId);
}

const outside = (type: EntityName, ids: readonly string[]) =>
  forbidden(`${type} ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', ...' : ''}: this client may write only gradebook records of the classes and schools it can see (its sharing rules)`);
