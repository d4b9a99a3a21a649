/**
 * The one rule between the grade outbox and the sync of a source whose gradebook is also pulled: a line
 * item or result written here that the source has not yet received (an outbox row of that source without
 * `delivered_at`, one that failed for good included: the upstream never took it, and `push-grades NAME
 * --retry-failed` may still send it) keeps the local write.
 * A sync neither overwrites it, nor its parts (score scale, learning objectives), nor marks it
 * tobedeleted, nor reports it as someone else's record. Once delivered, the upstream's copy is the
 * source's record like any other (outbox-deliver.ts registers it), and the next incremental run reads it.
 */
import { column, sql, type Sql } from '../db/sql.js';
import { columnOf, type EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import type { PushedType } from './outbox-body.js';
import { laterRowOf } from './outbox-rows.js';
import { PART_OWNERS } from './records.js';

/** The record types grades are pushed as. */
export const PUSHED: readonly PushedType[] = ['Category', 'ScoreScale', 'LineItem', 'Result'];

/** Table → the outbox record type and the column holding its sourcedId: the pushed records themselves, and their parts (by owner). */
const HELD = new Map<string, { type: PushedType; column: string }>([
  ...PUSHED.map((type): [string, { type: PushedType; column: string }] => [entityDef(type).table, { type, column: 'sourced_id' }]),
  ...[...PART_OWNERS].filter(([, p]) => (PUSHED as readonly EntityName[]).includes(p.owner))
    .map(([part, p]): [string, { type: PushedType; column: string }] =>
      [entityDef(part).table, { type: p.owner as PushedType, column: columnOf(p.ownerField, entityDef(part).fields[p.ownerField]!) }]),
]);

/**
 * True for a row of `table` (under `alias`, with the table's columns) that waits to be pushed to `source`;
 * constant false for tables whose records are never pushed.
 */
export function awaitingPush(source: string, table: string, alias: string): Sql {
  const held = HELD.get(table);
  if (!held) return sql`false`;
  // A failed row followed by a later delivered row of the record holds nothing: the upstream has the newer write.
  return sql`exists (select 1 from grade_outbox o where o.source_name = ${source} and o.record_type = ${held.type}
    and o.sourced_id = ${column(alias, held.column)} and o.delivered_at is null
    and not ${laterRowOf('o', sql`n.delivered_at is not null`)})`;
}

/** The part tables of a pushed record type with their owner column (outbox-deliver.ts registers them with the record). */
export const partTablesOf = (type: PushedType) =>
  [...HELD].filter(([, h]) => h.type === type && h.column !== 'sourced_id').map(([table, h]) => ({ table, column: h.column }));
