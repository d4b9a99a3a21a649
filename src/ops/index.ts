/**
 * Everything operational the app registers with one call (src/app.ts): per-request counters, the
 * access log and /metrics.
 */
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../db/config.js';
import type { Database } from '../db/orm.js';
import { installAccessLog } from './access-log.js';
import { installMetrics, type Metrics } from './metrics.js';
import { trackRequestStats } from './request-stats.js';

export function installOps(app: FastifyInstance, db: Database, config: Pick<AppConfig, 'metricsPort' | 'metricsHost'>): Metrics {
  trackRequestStats(app);
  installAccessLog(app);
  return installMetrics(app, db, { port: config.metricsPort, host: config.metricsHost });
}
