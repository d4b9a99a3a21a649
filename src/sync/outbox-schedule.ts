/**
 * `serve`'s grade push: every few seconds, one pass over the grade outbox (src/sync/outbox-deliver.ts)
 * when some push source has a row due. Passes never overlap in a process; between processes the
 * claims of the rows keep two instances from sending the same row at once.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AppConfig } from '../db/config.js';
import type { Database } from '../db/orm.js';
import { pushGrades, pushSourcesPending, type PushOptions } from './outbox-deliver.js';
import { sourcesKey } from './source-secrets.js';

export interface GradePush { stop(): Promise<void> }

export function startGradePush(db: Database, config: Pick<AppConfig, 'sourcesKey'>, log: FastifyBaseLogger,
  opts: { tickMs?: number } & PushOptions = {}): GradePush {
  let stopped = false;
  let running: Promise<void> | undefined;
  let warned = false;
  const tick = async () => {
    const due = await pushSourcesPending(db.orm.em.fork());
    if (!due.length) return;
    if (!config.sourcesKey) {
      if (!warned) log.warn({ sources: due }, 'grades wait in the outbox but SOURCES_KEY is not set: not sending');
      warned = true;
      return;
    }
    const key = sourcesKey(config.sourcesKey);
    for (const source of due) {
      if (stopped) return;
      try {
        const [r] = await pushGrades(db, key, { ...opts, source });
        if (!r) continue;
        if (r.delivered || r.failed) log.info({ ...r }, 'grades pushed');
        if (r.waiting) log.warn({ source, pending: r.pending, error: r.waiting }, 'grade push waits for its source');
      } catch (err) {
        log.warn({ source, error: (err as Error).message }, 'grade push skipped');
      }
    }
  };
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = tick()
      .catch((err: unknown) => log.error({ error: (err as Error).message }, 'grade push tick failed'))
      .finally(() => { running = undefined; });
  }, opts.tickMs ?? 5_000);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
