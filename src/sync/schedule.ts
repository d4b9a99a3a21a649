/**
 * `serve`'s sync schedule: sources added with `--every` are synced when their interval has passed
 * since their last run started. Runs go one at a time; a source being synced by another instance
 * (its advisory lock is held) is simply skipped until the next tick.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AppConfig } from '../db/config.js';
import type { Database } from '../db/orm.js';
import { syncSource } from './run.js';
import { startSourceLoop, type SourceLoop } from './source-loop.js';
import { dueSources } from './sources.js';

export type SyncSchedule = SourceLoop;

export function startSyncSchedule(db: Database, config: Pick<AppConfig, 'sourcesKey'>, log: FastifyBaseLogger, opts: { tickMs?: number } = {}): SyncSchedule {
  return startSourceLoop(db, config, log, {
    tickMs: opts.tickMs ?? 30_000,
    due: dueSources,
    each: async (key, name, signal) => {
      const report = await syncSource(db, key, name, { signal });
      const summary = { source: name, mode: report.mode, changed: report.changed, deleted: report.deleted, seconds: report.seconds,
        ...(Object.keys(report.skipped).length ? { skipped: report.skipped } : {}) };
      if (report.ok) log.info(summary, 'scheduled sync done');
      // Where, not what: a rejected value may be student data, so the log names records and fields only.
      else log.error({ ...summary, error: report.error, invalid: report.errors.slice(0, 10).map(({ url, sourcedId, field }) => ({ url, sourcedId, field })) }, 'scheduled sync failed');
    },
    messages: {
      noKey: 'sources have a sync schedule but SOURCES_KEY is not set: not syncing',
      skipped: 'scheduled sync skipped',
      tickFailed: 'sync schedule tick failed',
    },
  });
}
