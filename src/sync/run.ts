/**
 * One sync run of one source: lock, fetch every collection, read and check the records, apply them
 * in one transaction (readers keep seeing the previous data until it commits), and record the run
 * in sync_runs. A run that fails for any reason keeps nothing.
 */
import v8 from 'node:v8';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Database } from '../db/orm.js';
import { run, runOnClient, sql } from '../db/sql.js';
import type { EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { reportSync } from '../ops/job-events.js';
import { applyStaged, type TableCount } from './apply.js';
import { collectionsOf, emptyBatch, RecordReader, type KeptIds, type SyncIssue } from './records.js';
import { readCollection } from './read-collection.js';
import { PUSHED } from './outbox-pending.js';
import { loadSource } from './sources.js';
import { SyncStage } from './stage.js';
import { Upstream, type UpstreamOptions } from './upstream.js';
import { V1p1Reader } from './v1p1.js';

export interface SyncOptions {
  /** Fetch everything and mark what the source no longer lists tobedeleted (also the first run's mode). */
  full?: boolean;
  dryRun?: boolean;
  /** Records here that belong to no source (CSV, API) and that the upstream delivers become this source's (apply.ts). */
  adopt?: boolean;
  /** An incremental run asks for records changed since the last successful run's start minus this margin (clock skew, late commits upstream). */
  marginMs?: number;
  upstream?: UpstreamOptions;
  /** Progress lines (never credentials). */
  onProgress?: (message: string) => void;
  /** After each page: the collection, records fetched so far, and the upstream's total when it sends one. */
  onPage?: (collection: string, fetched: number, total?: number) => void;
  /**
   * Stops the run (Ctrl-C, `serve` shutting down): requests in flight are cut, an apply under way is rolled
   * back when it ends, and the run fails with the signal's reason, keeping nothing.
   */
  signal?: AbortSignal;
}

export interface SyncReport {
  source: string;
  ok: boolean;
  mode: 'full' | 'incremental';
  dryRun: boolean;
  /** Incremental: the dateLastModified the upstream was asked to exceed. */
  since?: string;
  fetched: Record<string, number>;
  changed: number;
  deleted: number;
  /** With `adopt`: records here of no source that became this source's. */
  adopted?: number;
  tables: Record<string, TableCount>;
  /** Optional collections the upstream does not offer this client (not-offered.ts), with why: read by no run until it does. */
  skipped: Record<string, string>;
  /** Why the run failed, in one line. */
  error?: string;
  /** Invalid records: upstream URL, sourcedId, field and reason. */
  errors: SyncIssue[];
  seconds: number;
}

const DEFAULT_MARGIN_MS = 5 * 60_000;
/** First key of the per-source advisory lock (the second is the hash of the source name). */
const SYNC_LOCK_SPACE = 7_410_018;
/** The embedded database is one backend, where advisory locks do not exclude anything: one run per source per process. */
const runningHere = new Set<string>();

/** The error of a run whose process ended while it went on (its staging tables go at the next run's start). */
export const INTERRUPTED = 'interrupted: the process running it ended before it finished; nothing of it was kept';

class RunFailed extends Error {}
class DryRunDone extends Error {}

/**
 * Grades written here under ids without the source's prefix and delivered to it (registered as its records
 * by outbox-deliver.ts): the upstream has them under those very ids, and a sync must read them back as
 * themselves, not as new records under prefixed ids.
 */
async function keptIds(em: EntityManager, source: string, prefix: string): Promise<KeptIds> {
  const kept = new Map<EntityName, Set<string>>();
  if (!prefix) return kept;
  const byTable = new Map(PUSHED.map((type) => [entityDef(type).table, type]));
  const rows = await run(em, sql`select table_name, sourced_id from source_records where source_name = ${source}
    and table_name = any(${[...byTable.keys()]}::text[]) and left(sourced_id, ${prefix.length}) <> ${prefix}`);
  for (const r of rows) {
    const entity = byTable.get(String(r.table_name))!;
    kept.set(entity, (kept.get(entity) ?? new Set()).add(String(r.sourced_id)));
  }
  return kept;
}

/** The source's last successful run (dry runs aside): when it started, and the collections it went without. */
async function lastSuccess(em: EntityManager, source: string): Promise<{ startedAt: Date; skipped: string[] } | undefined> {
  const [row] = await run(em, sql`select started_at, skipped from sync_runs where source_name = ${source} and status = 'succeeded' and not dry_run
    order by id desc limit 1`);
  return row && { startedAt: new Date(row.started_at as string | Date), skipped: Object.keys((row.skipped as Record<string, string> | null) ?? {}) };
}

/**
 * Holds the source's advisory lock for the whole run on a connection of its own (session-level, so a
 * crash releases it). The embedded database is one backend, where advisory locks exclude nothing:
 * there the in-process guard is the lock.
 */
async function withSourceLock<T>(db: Database, name: string, work: () => Promise<T>): Promise<T> {
  if (db.embedded) return work();
  const client = new pg.Client({ connectionString: db.orm.config.get('clientUrl') });
  client.on('error', () => undefined); // a lost connection surfaces as the failing statement's error
  await client.connect();
  try {
    const [lock] = await runOnClient(client, sql`select pg_try_advisory_lock(${SYNC_LOCK_SPACE}::int, hashtext(${name})) as ok`);
    if (!lock.ok) throw new Error(`a sync of ${name} is already running (another process holds its lock)`);
    return await work();
  } finally {
    await client.end().catch(() => undefined); // ending the session releases the lock
  }
}

/**
 * A run's garbage is parsed pages that outlive a few awaits (the next pages are in flight meanwhile) and so
 * reach V8's old space, which V8 lets grow to several times the live data before it collects. Growth of at
 * most 1.5x the live heap keeps a run's peak memory near what it holds, at no CPU cost that bench:sync could
 * measure (figures in bench/README.md). V8 flags are process-wide: the bound holds while some run of this
 * process is going on, and V8's own heuristics (0) come back after the last one, for `serve`'s requests.
 */
const heapGrowthPercent = (percent: number) => v8.setFlagsFromString(`--heap-growing-percent=${percent}`);

export async function syncSource(db: Database, key: Buffer, name: string, opts: SyncOptions = {}): Promise<SyncReport> {
  if (runningHere.has(name)) throw new Error(`a sync of ${name} is already running`);
  if (runningHere.size === 0) heapGrowthPercent(50);
  runningHere.add(name);
  try {
    return await withSourceLock(db, name, () => syncLocked(db, key, name, opts));
  } finally {
    runningHere.delete(name);
    if (runningHere.size === 0) heapGrowthPercent(0);
  }
}

async function syncLocked(db: Database, key: Buffer, name: string, opts: SyncOptions): Promise<SyncReport> {
  const started = performance.now();
  const em = db.orm.em.fork();
  const source = await loadSource(em, key, name);
  const last = opts.full ? undefined : await lastSuccess(em, name);
  const report: SyncReport = {
    source: name, ok: false, mode: last ? 'incremental' : 'full', dryRun: !!opts.dryRun, fetched: {}, skipped: {}, changed: 0, deleted: 0, tables: {}, errors: [], seconds: 0,
  };
  if (last) report.since = new Date(last.startedAt.getTime() - (opts.marginMs ?? DEFAULT_MARGIN_MS)).toISOString();
  // This process holds the source's lock: a run still marked running died with its process (killed, crashed).
  await run(em, sql`update sync_runs set status = 'failed', error = ${INTERRUPTED} where source_name = ${name} and status = 'running'`);
  const [runRow] = await run(em, sql`insert into sync_runs (source_name, mode, dry_run, started_at, status)
    values (${name}, ${report.mode}, ${report.dryRun}, now(), 'running') returning id`);
  let stage: SyncStage | undefined;
  try {
    const batch = emptyBatch();
    stage = await SyncStage.open(db, name, Number(runRow.id));
    // A 1.1 source's records are converted to the 1.2 shape first (src/sync/v1p1.ts); 1.1 sources sync rostering only.
    const services = source.version === '1.1' ? ['rostering' as const] : source.services;
    const prefix = source.prefix ?? '';
    const reader = source.version === '1.1' ? new V1p1Reader(batch, prefix) : new RecordReader(batch, prefix, services, await keptIds(em, name, prefix));
    const upstream = new Upstream(source, {
      pageSize: source.pageSize,
      ...opts.upstream,
      signal: opts.signal,
      onRetry: (url, reason, attempt) => { opts.onProgress?.(`retrying (${attempt}) after: ${reason}`); opts.upstream?.onRetry?.(url, reason, attempt); },
    });
    const since = report.since ? `dateLastModified>'${report.since}'` : undefined;
    const collections = collectionsOf(source.services);
    for (const c of collections) {
      opts.signal?.throwIfAborted();
      // A collection the last successful run went without is read whole: its changes before that run were never read.
      const read = await readCollection(c, { upstream, reader, stage, batch, filter: last?.skipped.includes(c.wrapper) ? undefined : since, onPage: opts.onPage });
      if ('skipped' in read) {
        report.skipped[c.wrapper] = read.skipped;
        opts.onProgress?.(`skipped ${c.wrapper}: ${read.skipped}`);
      } else {
        report.fetched[c.wrapper] = read.records;
        opts.onProgress?.(`fetched ${c.wrapper}: ${read.records}`);
      }
    }
    if (batch.issues.length) {
      report.errors = batch.issues;
      throw new RunFailed(`${batch.issues.length}${batch.issues.length >= 100 ? '+' : ''} invalid upstream records; nothing was written`);
    }
    opts.signal?.throwIfAborted();
    await stage.seal();
    const staged = stage;
    // The upstream did not list these this run: a full run marks none of their records tobedeleted.
    const unlisted = new Set(collections.filter((c) => c.wrapper in report.skipped).map((c) => c.entity));
    try {
      await em.transactional(async (tx) => {
        await run(tx, sql`set local statement_timeout = 0`);
        const applied = await applyStaged(tx, { source: name, stage: staged, batch, services, full: report.mode === 'full', unlisted, adopt: opts.adopt });
        if (applied.issues.length) {
          report.errors = applied.issues;
          throw new RunFailed(`${applied.issues.length} upstream records cannot be stored; nothing was written`);
        }
        Object.assign(report, { changed: applied.changed, deleted: applied.deleted, tables: applied.tables, ...(opts.adopt ? { adopted: applied.adopted } : {}) });
        opts.signal?.throwIfAborted(); // before the commit: rolled back
        if (opts.dryRun) throw new DryRunDone();
      });
    } catch (err) {
      if (!(err instanceof DryRunDone)) throw err;
    }
    report.ok = true;
  } catch (err) {
    report.error = err instanceof Error ? err.message : String(err);
    // Counted by an apply that was then rolled back (stopped, or the commit failed): nothing changed.
    Object.assign(report, { changed: 0, deleted: 0, tables: {}, ...(opts.adopt ? { adopted: 0 } : {}) });
  } finally {
    await stage?.close();
  }
  report.seconds = (performance.now() - started) / 1000;
  await run(em, sql`update sync_runs set finished_at = now(), status = ${report.ok ? 'succeeded' : 'failed'}, error = ${report.error ?? null},
    fetched = ${Object.values(report.fetched).reduce((a, b) => a + b, 0)}, changed = ${report.changed}, deleted = ${report.deleted},
    skipped = ${Object.keys(report.skipped).length ? JSON.stringify(report.skipped) : null}::jsonb
    where id = ${runRow.id}`);
  reportSync(report);
  return report;
}
