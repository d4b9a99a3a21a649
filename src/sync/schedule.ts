/**
 * `serve`'s sync schedule: sources added with `--every` are synced when their interval has passed
 * since their last run started. Runs go one at a time; a source being synced by another instance
 * (its advisory lock is held) is simply skipped until the next tick.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AppConfig } from '../db/config.js';
import type { Database } from '../db/orm.js';
import { syncSource } from './run.js';
import { sourcesKey } from './source-secrets.js';
import { dueSources } from './sources.js';

export interface SyncSchedule { stop(): Promise<void> }

export function startSyncSchedule(db: Database, config: Pick<AppConfig, 'sourcesKey'>, log: FastifyBaseLogger, opts: { tickMs?: number } = {}): SyncSchedule {
  let stopped = false;
  let running: Promise<void> | undefined;
  let warned = false;
  const tick = async () => {
    const due = await dueSources(db.orm.em.fork());
    if (!due.length) return;
    if (!config.sourcesKey) {
      if (!warned) log.warn({ sources: due }, 'sources have a sync schedule but SOURCES_KEY is not set: not syncing');
      warned = true;
      return;
    }
    const key = sourcesKey(config.sourcesKey);
    for (const name of due) {
      if (stopped) return;
      try {
        const report = await syncSource(db, key, name);
        const summary = { source: name, mode: report.mode, changed: report.changed, deleted: report.deleted, seconds: report.seconds };
        if (report.ok) log.info(summary, 'scheduled sync done');
        // Where, not what: a rejected value may be student data, so the log names records and fields only.
        else log.error({ ...summary, error: report.error, invalid: report.errors.slice(0, 10).map(({ url, sourcedId, field }) => ({ url, sourcedId, field })) }, 'scheduled sync failed');
      } catch (err) {
        log.warn({ source: name, error: (err as Error).message }, 'scheduled sync skipped');
      }
    }
  };
  const timer = setInterval(() => {
    // One tick at a time: ticks during a long run are skipped rather than queued.
    if (running || stopped) return;
    running = tick()
      .catch((err: unknown) => log.error({ error: (err as Error).message }, 'sync schedule tick failed'))
      .finally(() => { running = undefined; });
  }, opts.tickMs ?? 30_000);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
