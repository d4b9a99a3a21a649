/**
 * `serve`'s grade push: every few seconds, one pass over the grade outbox (src/sync/outbox-deliver.ts)
 * when some push source has a row due. Passes never overlap in a process; between processes the
 * claims of the rows keep two instances from sending the same row at once.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AppConfig } from '../db/config.js';
import type { Database } from '../db/orm.js';
import { pushGrades, pushSourcesPending, type PushOptions } from './outbox-deliver.js';
import { startSourceLoop, type SourceLoop } from './source-loop.js';

export type GradePush = SourceLoop;

export function startGradePush(db: Database, config: Pick<AppConfig, 'sourcesKey'>, log: FastifyBaseLogger,
  opts: { tickMs?: number } & PushOptions = {}): GradePush {
  return startSourceLoop(db, config, log, {
    tickMs: opts.tickMs ?? 5_000,
    due: pushSourcesPending,
    each: async (key, source) => {
      const [r] = await pushGrades(db, key, { ...opts, source });
      if (!r) return;
      if (r.delivered || r.failed) log.info({ ...r }, 'grades pushed');
      if (r.waiting) log.warn({ source, pending: r.pending, error: r.waiting }, 'grade push waits for its source');
    },
    messages: {
      noKey: 'grades wait in the outbox but SOURCES_KEY is not set: not sending',
      skipped: 'grade push skipped',
      tickFailed: 'grade push tick failed',
    },
  });
}
