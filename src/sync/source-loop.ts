/**
 * A timer in `serve` that works through the sources that have something due: the sync schedule and
 * the grade push. One tick at a time (ticks during a long pass are skipped, not queued); a source that
 * fails is logged and the next one goes on; without SOURCES_KEY nothing is sent and that is said once.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppConfig } from '../db/config.js';
import type { Database } from '../db/orm.js';
import { sourcesKey } from './source-secrets.js';

export interface SourceLoop { stop(): Promise<void> }

export interface SourceLoopSpec {
  tickMs: number;
  /** The sources with something to do now. */
  due(em: EntityManager): Promise<string[]>;
  /** One source's work, to be cut short when `signal` aborts (the server is stopping); a throw is logged as `skipped` with its message. */
  each(key: Buffer, source: string, signal: AbortSignal): Promise<void>;
  /** Log messages: work waits for SOURCES_KEY; a source skipped; a tick failed. */
  messages: { noKey: string; skipped: string; tickFailed: string };
}

export function startSourceLoop(db: Database, config: Pick<AppConfig, 'sourcesKey'>, log: FastifyBaseLogger, spec: SourceLoopSpec): SourceLoop {
  let stopped = false;
  let running: Promise<void> | undefined;
  let warned = false;
  const stopping = new AbortController();
  const tick = async () => {
    const due = await spec.due(db.orm.em.fork());
    if (!due.length) return;
    if (!config.sourcesKey) {
      if (!warned) log.warn({ sources: due }, spec.messages.noKey);
      warned = true;
      return;
    }
    const key = sourcesKey(config.sourcesKey);
    for (const source of due) {
      if (stopped) return;
      try {
        await spec.each(key, source, stopping.signal);
      } catch (err) {
        log.warn({ source, error: (err as Error).message }, spec.messages.skipped);
      }
    }
  };
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = tick()
      .catch((err: unknown) => log.error({ error: (err as Error).message }, spec.messages.tickFailed))
      .finally(() => { running = undefined; });
  }, spec.tickMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      stopping.abort(new Error('interrupted: the server is stopping; nothing of the run was kept'));
      await running;
    },
  };
}
