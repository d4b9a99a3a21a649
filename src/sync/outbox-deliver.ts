/**
 * Grades back to the SIS, the sending half: delivers the grade outbox (src/sync/outbox-enqueue.ts)
 * to each `--push-grades` source's gradebook service, at least once and in order.
 *
 * Order is kept per source, not only per record: a result names its line item, so a line item's PUT
 * must reach the upstream before the results written after it. Each source's oldest undelivered row
 * is its head; nothing behind it is sent until it is delivered or has failed for good.
 *
 * Claiming the head is a short transaction that locks the source's row (FOR NO KEY UPDATE SKIP LOCKED,
 * so an instance claiming meanwhile skips the source) and marks the head claimed for a while. The HTTP
 * request runs outside any transaction (the embedded database has a single backend, which a transaction
 * held across a request would stall). A worker that dies mid-request leaves a claim that runs out; the
 * row is then sent again, which is why delivery is at least once rather than exactly once.
 *
 * A delivered line item or result (with its parts) becomes the source's record in source_records, in the
 * transaction that marks its row delivered: from then on the upstream holds it, so a sync of the
 * source's gradebook reads it back as the source's own (src/sync/outbox-pending.ts says what a sync does
 * before that). Not at enqueue: a row the upstream refuses for good leaves a record the upstream never had.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Database } from '../db/orm.js';
import { run, sql, type Row } from '../db/sql.js';
import { basePath } from '../rest/endpoints.js';
import { entityDef } from '../model/index.js';
import { apiVersionOf, upstreamId, type PushedType } from './outbox-body.js';
import { partTablesOf } from './outbox-pending.js';
import { loadSource } from './sources.js';
import { Upstream, UpstreamError, type UpstreamOptions } from './upstream.js';

export interface PushOptions {
  /** Only this source (it must have --push-grades); every push source with undelivered rows otherwise. */
  source?: string;
  upstream?: UpstreamOptions;
  /** First retry delay after a transient failure; doubled per attempt, times a random factor of 1-2, at most maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** How long a claimed row is left to its worker before another may send it. */
  claimMs?: number;
  /** Rows sent per source in one pass, so that a pass ends. */
  maxRows?: number;
  /** Rows of the source that failed for good are queued again first (`push-grades NAME --retry-failed`); needs `source`. */
  retryFailed?: boolean;
}

const DEFAULTS = { minDelayMs: 5_000, maxDelayMs: 3_600_000, claimMs: 120_000, maxRows: 1000 };

export interface PushReport {
  source: string;
  delivered: number;
  /** Rows refused by the upstream for good in this pass (a 4xx other than 408/429). */
  failed: number;
  /** Rows still waiting after the pass. */
  pending: number;
  /** Why the head of the source waits (a transient failure of this pass), if it does. */
  waiting?: string;
  /** With `retryFailed`: the failed rows queued again before the pass. */
  requeued?: number;
}

const COLLECTION: Record<string, string> = { LineItem: 'lineItems', Result: 'results' };

/** Sources with --push-grades whose head row (oldest not delivered nor failed) is due and claimed by nobody. */
export async function pushSourcesPending(em: EntityManager): Promise<string[]> {
  const rows = await run(em, sql`select s.name from sources s
    join lateral (select o.next_attempt_at, o.claimed_until from grade_outbox o
      where o.source_name = s.name and o.delivered_at is null and o.failed_at is null order by o.id limit 1) head on true
    where s.push_grades and head.next_attempt_at <= now() and (head.claimed_until is null or head.claimed_until <= now())
    order by s.name`);
  return rows.map((r) => String(r.name));
}

/** The source's head row if it is due and nobody holds it, claimed for `claimMs`; otherwise nothing. */
async function claimHead(db: Database, source: string, claimMs: number): Promise<Row | undefined> {
  return db.orm.em.fork().transactional(async (tx) => {
    const [locked] = await run(tx, sql`select name from sources where name = ${source} and push_grades for no key update skip locked`);
    if (!locked) return undefined;
    const [head] = await run(tx, sql`select id, record_type, sourced_id, method, body, attempts,
        next_attempt_at <= now() as due, coalesce(claimed_until > now(), false) as claimed
      from grade_outbox where source_name = ${source} and delivered_at is null and failed_at is null order by id limit 1`);
    if (!head || !head.due || head.claimed) return undefined;
    await run(tx, sql`update grade_outbox set claimed_until = now() + ${claimMs} * interval '1 millisecond' where id = ${head.id}`);
    return head;
  });
}

const backoffMs = (attempts: number, o: typeof DEFAULTS, retryAfterMs = 0) =>
  Math.max(retryAfterMs, Math.min(o.maxDelayMs, o.minDelayMs * 2 ** Math.min(attempts, 30)) * (1 + Math.random()));

/** Delivers what is due of one source, head first, until its outbox is empty, its head must wait, or maxRows were sent. */
async function pushSource(db: Database, key: Buffer, name: string, opts: PushOptions): Promise<PushReport> {
  const o = { ...DEFAULTS, ...opts };
  const em = db.orm.em.fork();
  const source = await loadSource(em, key, name);
  const upstream = new Upstream(source, { ...opts.upstream, retries: 0 });
  const report: PushReport = { source: name, delivered: 0, failed: 0, pending: 0 };
  for (let sent = 0; sent < o.maxRows; sent++) {
    const row = await claimHead(db, name, o.claimMs);
    if (!row) break;
    const collection = COLLECTION[String(row.record_type)]!;
    const url = `${source.baseUrl}${basePath('gradebook', apiVersionOf(source.version))}/${collection}/${encodeURIComponent(upstreamId(source.prefix, String(row.sourced_id)))}`;
    try {
      await upstream.send(row.method === 'DELETE' ? 'DELETE' : 'PUT', url, row.method === 'DELETE' ? undefined : row.body);
    } catch (err) {
      const e = err instanceof UpstreamError ? err : new UpstreamError((err as Error).message, url, true);
      if (e.retryable) {
        const wait = Math.round(backoffMs(Number(row.attempts), o, e.retryAfterMs));
        await run(em, sql`update grade_outbox set attempts = attempts + 1, last_error = ${e.message}, claimed_until = null,
          next_attempt_at = now() + ${wait} * interval '1 millisecond' where id = ${row.id}`);
        report.waiting = e.message;
        break;
      }
      await run(em, sql`update grade_outbox set attempts = attempts + 1, last_error = ${e.message}, claimed_until = null, failed_at = now()
        where id = ${row.id}`);
      report.failed++;
      continue;
    }
    await markDelivered(db, name, row);
    report.delivered++;
  }
  const [left] = await run(em, sql`select count(*)::int as n from grade_outbox where source_name = ${name} and delivered_at is null and failed_at is null`);
  report.pending = Number(left?.n ?? 0);
  // Delivered rows are history only; a month of it is kept for whoever asks what was sent.
  await run(em, sql`delete from grade_outbox where source_name = ${name} and delivered_at < now() - interval '30 days'`);
  return report;
}

/** Marks the row delivered and registers the record and its parts as the source's (unless another source delivered them first). */
async function markDelivered(db: Database, source: string, row: Row): Promise<void> {
  const type = String(row.record_type) as PushedType;
  const id = String(row.sourced_id);
  await db.orm.em.fork().transactional(async (tx) => {
    await run(tx, sql`update grade_outbox set attempts = attempts + 1, delivered_at = now(), claimed_until = null where id = ${row.id}`);
    await run(tx, sql`insert into source_records (table_name, sourced_id, source_name) values (${entityDef(type).table}, ${id}, ${source})
      on conflict do nothing`);
    for (const part of partTablesOf(type)) {
      await run(tx, sql`insert into source_records (table_name, sourced_id, source_name)
        select ${part.table}, p.sourced_id, ${source} from ${sql.table(part.table)} p where ${sql.ref(`p.${part.column}`)} = ${id}
        on conflict do nothing`);
    }
  });
}

/**
 * Queues the source's failed rows again: due now, attempts kept, in their place among the rows still
 * waiting (order is by id, so they go first, as they were written first). A failed row followed by a later
 * row of the same record stays failed: that later row carries the newer record and is sent (or was).
 * Returns how many rows were queued again.
 */
export async function retryFailed(em: EntityManager, source: string): Promise<number> {
  const rows = await run(em, sql`update grade_outbox o set failed_at = null, next_attempt_at = now(), claimed_until = null
    where o.source_name = ${source} and o.failed_at is not null and o.delivered_at is null
      and not exists (select 1 from grade_outbox n where n.source_name = o.source_name and n.record_type = o.record_type
        and n.sourced_id = o.sourced_id and n.id > o.id)
    returning o.id`);
  return rows.length;
}

/** One pass over the outbox: each source's due rows, in order (`oneroster-graph push-grades`, and `serve` every few seconds). */
export async function pushGrades(db: Database, key: Buffer, opts: PushOptions = {}): Promise<PushReport[]> {
  const em = db.orm.em.fork();
  let names: string[];
  let requeued: number | undefined;
  if (opts.source) {
    const [row] = await run(em, sql`select push_grades from sources where name = ${opts.source}`);
    if (!row) throw new Error(`no source ${opts.source}`);
    if (row.push_grades !== true) throw new Error(`source ${opts.source} does not push grades; turn it on with \`sources update ${opts.source} --push-grades\``);
    names = [opts.source];
    if (opts.retryFailed) requeued = await retryFailed(em, opts.source);
  } else {
    if (opts.retryFailed) throw new Error('--retry-failed needs a source name: push-grades NAME --retry-failed');
    names = await pushSourcesPending(em);
  }
  const reports: PushReport[] = [];
  for (const name of names) reports.push(await pushSource(db, key, name, opts));
  if (requeued !== undefined) reports[0]!.requeued = requeued;
  return reports;
}
