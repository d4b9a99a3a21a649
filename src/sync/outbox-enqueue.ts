/**
 * Grades back to the SIS, the writing half: the gradebook write service calls this inside the write's
 * own transaction, so a grade and its outbox row commit or roll back together. A line item goes to
 * the source that delivered its class, a result to the source of its line item's class, and only
 * when that source has `--push-grades`; everything else enqueues nothing.
 *
 * The category and score scale a line item names, and a result's score scale, are not sent for a class:
 * one goes to a push source when a record sent there names it and the source does not have it yet (made by
 * a vendor here, or loaded by CSV), just before that record, since a SIS refuses a record whose references
 * it lacks (a 1.1 source has no score scales). Once the source has it (delivered, or synced from its
 * gradebook), later writes of it go there too.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql, tableAs, column, type Sql } from '../db/sql.js';
import type { Context } from '../graph/context.js';
import { columnOf, type EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { apiVersionOf, pushBody, type PushedType } from './outbox-body.js';

/** A write of any gradebook type; only line items, results and what they name (categories, score scales) are ever sent. */
export interface GradeWrite { type: string; sourcedId: string; method: 'PUT' | 'DELETE' }

interface PushSource { name: string; baseUrl: string; version: ReturnType<typeof apiVersionOf>; prefix: string | null }

const ref = (type: EntityName, field: string) => columnOf(field, entityDef(type).fields[field]!);

/** Records sent because others name them. */
type Named = 'Category' | 'ScoreScale';

/** What a line item or result names, as a statement of `id`s over the record's sourcedId. */
const NAMES: Record<'LineItem' | 'Result', { type: Named; ids: (sourcedId: string) => Sql }[]> = {
  LineItem: [
    { type: 'Category', ids: (id) => sql`select ${sql.ref(ref('LineItem', 'category'))} as id from ${sql.table(entityDef('LineItem').table)} where sourced_id = ${id}` },
    { type: 'ScoreScale', ids: (id) => scaleOf('LineItemScoreScale', 'lineItem', id) },
  ],
  Result: [{ type: 'ScoreScale', ids: (id) => scaleOf('ResultScoreScale', 'result', id) }],
};

function scaleOf(part: 'LineItemScoreScale' | 'ResultScoreScale', owner: string, id: string): Sql {
  return sql`select ${sql.ref(ref(part, 'scoreScale'))} as id from ${sql.table(entityDef(part).table)}
    where ${sql.ref(ref(part, owner))} = ${id} and status <> 'tobedeleted'`;
}

/** Whether the source has the record of `type` with sourcedId `id` (an SQL expression): its record, or sent there (or on its way) from here. */
const sourceHas = (type: Named, id: Sql, source: Sql) => sql`(exists (select 1 from source_records sr where sr.table_name = ${entityDef(type).table}
    and sr.sourced_id = ${id} and sr.source_name = ${source})
  or exists (select 1 from grade_outbox o where o.source_name = ${source} and o.record_type = ${type} and o.sourced_id = ${id} and o.failed_at is null))`;

const pushSourceOf = (r: Record<string, unknown>): PushSource => ({
  name: String(r.name), baseUrl: String(r.base_url), version: apiVersionOf(String(r.version)), prefix: (r.prefix as string | null) ?? null,
});

/** Record sourcedId → the push source of its class, for line items or results (tombstones included: a DELETE is sent too). */
async function classSources(tx: EntityManager, type: 'LineItem' | 'Result', ids: string[]): Promise<Map<string, PushSource[]>> {
  const li = tableAs(entityDef('LineItem').table, 'li');
  const [record, from] = type === 'LineItem'
    ? [column('li', 'sourced_id'), li]
    : [column('r', 'sourced_id'), sql`${tableAs(entityDef('Result').table, 'r')}
        join ${li} on ${column('li', 'sourced_id')} = ${column('r', ref('Result', 'lineItem'))}`];
  const rows = await run(tx, sql`select ${record} as id, s.name, s.base_url, s.version, s.prefix from ${from}
    join source_records sr on sr.table_name = ${entityDef('Class').table} and sr.sourced_id = ${column('li', ref('LineItem', 'class'))}
    join sources s on s.name = sr.source_name and s.push_grades
    where ${record} = any(${ids}::text[])`);
  return new Map(rows.map((r) => [String(r.id), [pushSourceOf(r)]]));
}

/** Sourced ids of a named type → the push sources that have them. */
async function holders(tx: EntityManager, type: Named, ids: string[]): Promise<Map<string, PushSource[]>> {
  const rows = await run(tx, sql`select c.id, s.name, s.base_url, s.version, s.prefix from unnest(${ids}::text[]) c(id)
    join sources s on s.push_grades and ${sourceHas(type, sql.ref('c.id'), sql.ref('s.name'))}`);
  const found = new Map<string, PushSource[]>();
  for (const r of rows) found.set(String(r.id), [...(found.get(String(r.id)) ?? []), pushSourceOf(r)]);
  return found;
}

/** What a line item or result sent to `source` names that the source does not have yet, in the order to send it. */
async function missingNames(tx: EntityManager, type: 'LineItem' | 'Result', sourcedId: string, source: PushSource): Promise<{ type: Named; id: string }[]> {
  const missing: { type: Named; id: string }[] = [];
  for (const named of NAMES[type]) {
    if (named.type === 'ScoreScale' && source.version === 'v1p1') continue; // OneRoster 1.1 has no score scales
    const rows = await run(tx, sql`select n.id from (${named.ids(sourcedId)}) n
      where n.id is not null and not ${sourceHas(named.type, sql.ref('n.id'), sql`${source.name}`)}`);
    missing.push(...rows.map((r) => ({ type: named.type, id: String(r.id) })));
  }
  return missing;
}

async function enqueue(ctx: Context, tx: EntityManager, type: PushedType, sourcedId: string, method: 'PUT' | 'DELETE', source: PushSource): Promise<void> {
  if (method === 'PUT' && !ctx.schema) throw new Error('a grade for a --push-grades source was written without the schema in its context');
  const body = method === 'PUT' ? await pushBody(ctx.schema!, tx, type, sourcedId, source) : null;
  await run(tx, sql`insert into grade_outbox (source_name, record_type, sourced_id, method, body)
    values (${source.name}, ${type}, ${sourcedId}, ${method}, ${body === null ? null : JSON.stringify(body)}::jsonb)`);
}

/**
 * One outbox row per written or deleted record of a push source, in write order (what a record names that
 * the source lacks just before it). A PUT carries the record as it now stands in `tx`; a DELETE carries no body.
 * Called after the record is written: writes of one record queue on its row lock, so their outbox ids
 * follow their commits, and a result's line item is committed (its write checked that) before the
 * result's row gets an id.
 */
export async function enqueueGradeWrites(ctx: Context, tx: EntityManager, writes: readonly GradeWrite[]): Promise<void> {
  for (const type of ['Category', 'ScoreScale', 'LineItem', 'Result'] as const) {
    const mine = writes.filter((w) => w.type === type);
    if (!mine.length) continue;
    const ids = [...new Set(mine.map((w) => w.sourcedId))];
    const sources = type === 'Category' || type === 'ScoreScale' ? await holders(tx, type, ids) : await classSources(tx, type, ids);
    for (const w of mine) {
      for (const source of sources.get(w.sourcedId) ?? []) {
        if (type === 'ScoreScale' && source.version === 'v1p1') continue;
        const names = (type === 'LineItem' || type === 'Result') && w.method === 'PUT' ? await missingNames(tx, type, w.sourcedId, source) : [];
        for (const n of names) await enqueue(ctx, tx, n.type, n.id, 'PUT', source);
        await enqueue(ctx, tx, type, w.sourcedId, w.method, source);
      }
    }
  }
}
