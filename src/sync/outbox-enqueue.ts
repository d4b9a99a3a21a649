/**
 * Grades back to the SIS, the writing half: the gradebook write service calls this inside the write's
 * own transaction, so a grade and its outbox row commit or roll back together. A line item goes to
 * the source that delivered its class, a result to the source of its line item's class, and only
 * when that source has `--push-grades`; everything else enqueues nothing.
 *
 * A category has no class: it goes to a push source when a line item sent there names it and the source
 * does not have it yet (a category the vendor created here, or one loaded by CSV), just before that line
 * item, since a SIS refuses a line item whose category it lacks. Once the source has it (delivered, or
 * synced from its gradebook), a later write of the category goes there too.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql, tableAs, column } from '../db/sql.js';
import type { Context } from '../graph/context.js';
import { columnOf } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { apiVersionOf, pushBody, type PushedType } from './outbox-body.js';

/** A write of any gradebook type; only categories, line items and results are ever sent. */
export interface GradeWrite { type: string; sourcedId: string; method: 'PUT' | 'DELETE' }

interface PushSource { name: string; baseUrl: string; version: ReturnType<typeof apiVersionOf>; prefix: string | null }

const ref = (type: PushedType, field: string) => columnOf(field, entityDef(type).fields[field]!);
const CATEGORIES = entityDef('Category').table;

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

/** Category sourcedId → the push sources that have it: their record, or sent there (or on its way) from here. */
async function categoryHolders(tx: EntityManager, ids: string[]): Promise<Map<string, PushSource[]>> {
  const rows = await run(tx, sql`select c.id, s.name, s.base_url, s.version, s.prefix from unnest(${ids}::text[]) c(id)
    join sources s on s.push_grades
      and (exists (select 1 from source_records sr where sr.table_name = ${CATEGORIES} and sr.sourced_id = c.id and sr.source_name = s.name)
        or exists (select 1 from grade_outbox o where o.source_name = s.name and o.record_type = 'Category' and o.sourced_id = c.id and o.failed_at is null))`);
  const holders = new Map<string, PushSource[]>();
  for (const r of rows) holders.set(String(r.id), [...(holders.get(String(r.id)) ?? []), pushSourceOf(r)]);
  return holders;
}

/** The category a line item sent to `source` names, when the source does not have it yet. */
async function missingCategory(tx: EntityManager, lineItem: string, source: PushSource): Promise<string | undefined> {
  const category = sql.ref(`li.${ref('LineItem', 'category')}`);
  const [row] = await run(tx, sql`select ${category} as id from ${tableAs(entityDef('LineItem').table, 'li')} where li.sourced_id = ${lineItem}
    and ${category} is not null and not exists (select 1 from source_records sr where sr.table_name = ${CATEGORIES}
      and sr.sourced_id = ${category} and sr.source_name = ${source.name})
    and not exists (select 1 from grade_outbox o where o.source_name = ${source.name} and o.record_type = 'Category'
      and o.sourced_id = ${category} and o.failed_at is null)`);
  return row ? String(row.id) : undefined;
}

async function enqueue(ctx: Context, tx: EntityManager, type: PushedType, sourcedId: string, method: 'PUT' | 'DELETE', source: PushSource): Promise<void> {
  if (method === 'PUT' && !ctx.schema) throw new Error('a grade for a --push-grades source was written without the schema in its context');
  const body = method === 'PUT' ? await pushBody(ctx.schema!, tx, type, sourcedId, source) : null;
  await run(tx, sql`insert into grade_outbox (source_name, record_type, sourced_id, method, body)
    values (${source.name}, ${type}, ${sourcedId}, ${method}, ${body === null ? null : JSON.stringify(body)}::jsonb)`);
}

/**
 * One outbox row per written or deleted record of a push source, in write order (a line item's missing
 * category just before it). A PUT carries the record as it now stands in `tx`; a DELETE carries no body.
 * Called after the record is written: writes of one record queue on its row lock, so their outbox ids
 * follow their commits, and a result's line item is committed (its write checked that) before the
 * result's row gets an id.
 */
export async function enqueueGradeWrites(ctx: Context, tx: EntityManager, writes: readonly GradeWrite[]): Promise<void> {
  for (const type of ['Category', 'LineItem', 'Result'] as const) {
    const mine = writes.filter((w) => w.type === type);
    if (!mine.length) continue;
    const ids = [...new Set(mine.map((w) => w.sourcedId))];
    const sources = type === 'Category' ? await categoryHolders(tx, ids) : await classSources(tx, type, ids);
    for (const w of mine) {
      for (const source of sources.get(w.sourcedId) ?? []) {
        const category = type === 'LineItem' && w.method === 'PUT' ? await missingCategory(tx, w.sourcedId, source) : undefined;
        if (category) await enqueue(ctx, tx, 'Category', category, 'PUT', source);
        await enqueue(ctx, tx, type, w.sourcedId, w.method, source);
      }
    }
  }
}
