/**
 * Grades back to the SIS, the sending half: delivers the grade outbox (src/sync/outbox-enqueue.ts)
 * to each `--push-grades` source's gradebook service, at least once and in order.
 *
 * Order is kept per record and between the two types: a result names its line item, so a line item's
 * PUT must reach the upstream before the results written after it. Rows go out in batches taken from
 * the source's oldest undelivered rows (its head first): consecutive rows of one type, each record at
 * most once, up to the source's `--push-concurrency`, sent at once. The next batch starts when the whole
 * batch is answered, so a record's later row and a line item's later results always wait for what came
 * before them; over a network's latency that is what makes a term's grades arrive in minutes, not hours.
 *
 * Claiming a batch is a short transaction that locks the source's row (FOR NO KEY UPDATE SKIP LOCKED,
 * so an instance claiming meanwhile skips the source) and marks the batch claimed for a while. The HTTP
 * requests run outside any transaction (the embedded database has a single backend, which a transaction
 * held across a request would stall). A worker that dies mid-request leaves a claim that runs out; the
 * row is then sent again, which is why delivery is at least once rather than exactly once.
 *
 * A delivered line item, result, category or score scale (with its parts) becomes the source's record in source_records, in the
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
import { laterRowOf } from './outbox-rows.js';
import { DEFAULT_PUSH_CONCURRENCY, loadSource, type Source } from './sources.js';
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
  /** Requests in flight to the source at once; default: the source's `--push-concurrency`. */
  concurrency?: number;
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

const COLLECTION: Record<PushedType, string> = { Category: 'categories', ScoreScale: 'scoreScales', LineItem: 'lineItems', Result: 'results' };

/** Sources with --push-grades whose head row (oldest not delivered nor failed) is due and claimed by nobody. */
export async function pushSourcesPending(em: EntityManager): Promise<string[]> {
  const rows = await run(em, sql`select s.name from sources s
    join lateral (select o.next_attempt_at, o.claimed_until from grade_outbox o
      where o.source_name = s.name and o.delivered_at is null and o.failed_at is null order by o.id limit 1) head on true
    where s.push_grades and head.next_attempt_at <= now() and (head.claimed_until is null or head.claimed_until <= now())
    order by s.name`);
  return rows.map((r) => String(r.name));
}

/**
 * The rows that may go out together, claimed for `claimMs`: from the head on, while each is due and
 * unclaimed, of the head's type, and of a record not already in the batch. Nothing when the head waits.
 */
async function claimBatch(db: Database, source: string, claimMs: number, max: number): Promise<Row[]> {
  return db.orm.em.fork().transactional(async (tx) => {
    const [locked] = await run(tx, sql`select name from sources where name = ${source} and push_grades for no key update skip locked`);
    if (!locked) return [];
    const rows = await run(tx, sql`select id, record_type, sourced_id, method, body, attempts,
        next_attempt_at <= now() as due, coalesce(claimed_until > now(), false) as claimed
      from grade_outbox where source_name = ${source} and delivered_at is null and failed_at is null order by id limit ${max}`);
    const batch: Row[] = [];
    const records = new Set<string>();
    for (const row of rows) {
      if (!row.due || row.claimed || row.record_type !== rows[0]!.record_type || records.has(String(row.sourced_id))) break;
      records.add(String(row.sourced_id));
      batch.push(row);
    }
    if (batch.length) {
      await run(tx, sql`update grade_outbox set claimed_until = now() + ${claimMs} * interval '1 millisecond'
        where id = any(${batch.map((r) => String(r.id))}::bigint[])`);
    }
    return batch;
  });
}

const backoffMs = (attempts: number, o: typeof DEFAULTS, retryAfterMs = 0) =>
  Math.max(retryAfterMs, Math.min(o.maxDelayMs, o.minDelayMs * 2 ** Math.min(attempts, 30)) * (1 + Math.random()));

/** One row's request; an UpstreamError when it was not accepted. */
async function send(upstream: Upstream, source: Source, row: Row): Promise<UpstreamError | undefined> {
  const collection = COLLECTION[String(row.record_type) as PushedType];
  const url = `${source.baseUrl}${basePath('gradebook', apiVersionOf(source.version))}/${collection}/${encodeURIComponent(upstreamId(source.prefix, String(row.sourced_id)))}`;
  try {
    await upstream.send(row.method === 'DELETE' ? 'DELETE' : 'PUT', url, row.method === 'DELETE' ? undefined : row.body);
    return undefined;
  } catch (err) {
    return err instanceof UpstreamError ? err : new UpstreamError((err as Error).message, url, true);
  }
}

/** Delivers what is due of one source, batch by batch, until its outbox is empty, its head must wait, or maxRows were sent. */
async function pushSource(db: Database, key: Buffer, name: string, opts: PushOptions): Promise<PushReport> {
  const o = { ...DEFAULTS, ...opts };
  const em = db.orm.em.fork();
  const source = await loadSource(em, key, name);
  const concurrency = opts.concurrency ?? source.pushConcurrency ?? DEFAULT_PUSH_CONCURRENCY;
  const upstream = new Upstream(source, { ...opts.upstream, retries: 0 });
  const report: PushReport = { source: name, delivered: 0, failed: 0, pending: 0 };
  for (let sent = 0; sent < o.maxRows && !report.waiting;) {
    const batch = await claimBatch(db, name, o.claimMs, Math.min(concurrency, o.maxRows - sent));
    if (!batch.length) break;
    sent += batch.length;
    const errors = await Promise.all(batch.map((row) => send(upstream, source, row)));
    await markDelivered(db, name, batch.filter((_, i) => !errors[i]));
    report.delivered += errors.filter((e) => !e).length;
    for (const [i, e] of errors.entries()) {
      if (!e) continue;
      const row = batch[i]!;
      if (e.retryable) {
        // The pass ends after this batch: the row (now the head, or behind one) waits out its backoff.
        const wait = Math.round(backoffMs(Number(row.attempts), o, e.retryAfterMs));
        await run(em, sql`update grade_outbox set attempts = attempts + 1, last_error = ${e.message}, claimed_until = null,
          next_attempt_at = now() + ${wait} * interval '1 millisecond' where id = ${row.id}`);
        report.waiting ??= e.message;
      } else {
        await run(em, sql`update grade_outbox set attempts = attempts + 1, last_error = ${e.message}, claimed_until = null, failed_at = now()
          where id = ${row.id}`);
        report.failed++;
      }
    }
  }
  const [left] = await run(em, sql`select count(*)::int as n from grade_outbox where source_name = ${name} and delivered_at is null and failed_at is null`);
  report.pending = Number(left?.n ?? 0);
  // Delivered rows are history only; a month of it is kept for whoever asks what was sent.
  await run(em, sql`delete from grade_outbox where source_name = ${name} and delivered_at < now() - interval '30 days'`);
  return report;
}

/**
 * Marks the rows (one type, as a batch is) delivered and registers their records and the records' parts as
 * the source's (unless another source delivered them first), in one transaction.
 */
async function markDelivered(db: Database, source: string, rows: Row[]): Promise<void> {
  if (!rows.length) return;
  const type = String(rows[0]!.record_type) as PushedType;
  const ids = rows.map((r) => String(r.sourced_id));
  await db.orm.em.fork().transactional(async (tx) => {
    await run(tx, sql`update grade_outbox set attempts = attempts + 1, delivered_at = now(), claimed_until = null
      where id = any(${rows.map((r) => String(r.id))}::bigint[])`);
    await run(tx, sql`insert into source_records (table_name, sourced_id, source_name)
      select ${entityDef(type).table}, id, ${source} from unnest(${ids}::text[]) id on conflict do nothing`);
    for (const part of partTablesOf(type)) {
      await run(tx, sql`insert into source_records (table_name, sourced_id, source_name)
        select ${part.table}, p.sourced_id, ${source} from ${sql.table(part.table)} p where ${sql.ref(`p.${part.column}`)} = any(${ids}::text[])
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
      and not ${laterRowOf('o')}
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
