/**
 * One access-log line per request: route template (never the URL, whose query could carry a token),
 * method, status, duration, client id, records returned and graph statements. Nothing of the request's
 * headers or body is logged, so no secret or token can reach the log from here.
 */
import type { FastifyInstance } from 'fastify';
import { routeOf } from './metrics.js';
import { statsOf } from './request-stats.js';

export function installAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    const stats = statsOf(req);
    req.log.info({
      route: routeOf(req), method: req.method, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10,
      clientId: req.principal?.clientId, records: stats?.records ?? (stats?.statements ? stats.rows : undefined), statements: stats?.statements,
    }, 'request');
  });
}
