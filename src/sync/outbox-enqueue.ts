/**
 * Grades back to the SIS, the writing half: the gradebook write service calls this inside the write's
 * own transaction, so a grade and its outbox row commit or roll back together. A line item goes to
 * the source that delivered its class, a result to the source of its line item's class, and only
 * when that source has `--push-grades`; everything else enqueues nothing.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql, tableAs, column } from '../db/sql.js';
import type { Context } from '../graph/context.js';
import { columnOf } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { apiVersionOf, pushBody, type PushedType } from './outbox-body.js';

/** A write of any gradebook type; only line items and results are ever sent. */
export interface GradeWrite { type: string; sourcedId: string; method: 'PUT' | 'DELETE' }

const ref = (type: PushedType, field: string) => columnOf(field, entityDef(type).fields[field]!);

/** Record sourcedId → the push source of its class, for records of one type (tombstones included: a DELETE is sent too). */
async function pushSources(tx: EntityManager, type: PushedType, ids: string[]) {
  const li = tableAs(entityDef('LineItem').table, 'li');
  const [record, from] = type === 'LineItem'
    ? [column('li', 'sourced_id'), li]
    : [column('r', 'sourced_id'), sql`${tableAs(entityDef('Result').table, 'r')}
        join ${li} on ${column('li', 'sourced_id')} = ${column('r', ref('Result', 'lineItem'))}`];
  const rows = await run(tx, sql`select ${record} as id, s.name, s.base_url, s.version, s.prefix from ${from}
    join source_records sr on sr.table_name = ${entityDef('Class').table} and sr.sourced_id = ${column('li', ref('LineItem', 'class'))}
    join sources s on s.name = sr.source_name and s.push_grades
    where ${record} = any(${ids}::text[])`);
  return new Map(rows.map((r) => [String(r.id), {
    name: String(r.name), baseUrl: String(r.base_url), version: apiVersionOf(String(r.version)), prefix: (r.prefix as string | null) ?? null,
  }]));
}

/**
 * One outbox row per written or deleted line item or result of a push source's class, in write order.
 * A PUT carries the record as it now stands in `tx`; a DELETE carries no body. Called after the record
 * is written: writes of one record queue on its row lock, so their outbox ids follow their commits,
 * and a result's line item is committed (its write checked that) before the result's row gets an id.
 */
export async function enqueueGradeWrites(ctx: Context, tx: EntityManager, writes: readonly GradeWrite[]): Promise<void> {
  for (const type of ['LineItem', 'Result'] as const) {
    const mine = writes.filter((w) => w.type === type);
    if (!mine.length) continue;
    const sources = await pushSources(tx, type, [...new Set(mine.map((w) => w.sourcedId))]);
    for (const w of mine) {
      const source = sources.get(w.sourcedId);
      if (!source) continue;
      if (w.method === 'PUT' && !ctx.schema) throw new Error('a grade for a --push-grades source was written without the schema in its context');
      const body = w.method === 'PUT' ? await pushBody(ctx.schema!, tx, type, w.sourcedId, source) : null;
      await run(tx, sql`insert into grade_outbox (source_name, record_type, sourced_id, method, body)
        values (${source.name}, ${type}, ${w.sourcedId}, ${w.method}, ${body === null ? null : JSON.stringify(body)}::jsonb)`);
    }
  }
}
