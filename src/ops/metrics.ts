/**
 * Prometheus metrics (prom-client): requests by route template, method, status and client id;
 * request latency; the database pool; statements per GraphQL operation; CSV import and sync run durations and
 * records. Served as /metrics on the service port to tokens with the metrics scope, or, with
 * METRICS_PORT, on a port of its own without a token (bind it where only the scraper can reach it).
 */
import { createServer, type Server } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AuthError } from '../auth/tokens.js';
import { METRICS_SCOPE } from '../auth/scopes.js';
import type { Database } from '../db/orm.js';
import { statementsInFlight } from '../db/sql.js';
import { jobEvents, type ImportOutcome, type SyncOutcome } from './job-events.js';
import { statsOf } from './request-stats.js';

export const METRICS_PATH = '/metrics';
/** Requests no route matched share one label value, so a scan of random URLs adds no series. */
export const UNMATCHED_ROUTE = 'unmatched';

export function routeOf(req: FastifyRequest): string {
  return req.routeOptions?.url ?? UNMATCHED_ROUTE;
}

export function createMetrics(db: Database) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'oneroster_http_requests_total', help: 'HTTP requests by route template, method, status and client id',
    labelNames: ['route', 'method', 'status', 'client_id'] as const, registers: [registry],
  });
  const latency = new Histogram({
    name: 'oneroster_http_request_duration_seconds', help: 'HTTP request latency by route template and method',
    labelNames: ['route', 'method'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry],
  });
  const statements = new Histogram({
    name: 'oneroster_graphql_operation_statements', help: 'SQL statements run per GraphQL operation',
    buckets: [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100], registers: [registry],
  });
  // The pool's own counters are not public API of knex or MikroORM; what the service knows is how many
  // statements it has handed to the pool and its size: beyond the size, statements wait for a connection.
  const poolMax = Number(db.orm.config.get('pool')?.max ?? 0);
  new Gauge({
    name: 'oneroster_db_pool_connections', help: 'Database pool: size (max), in_use (statements running), waiting (statements queued for a connection)',
    labelNames: ['state'] as const, registers: [registry],
    collect() {
      const n = statementsInFlight();
      this.set({ state: 'max' }, poolMax);
      this.set({ state: 'in_use' }, Math.min(n, poolMax));
      this.set({ state: 'waiting' }, Math.max(0, n - poolMax));
    },
  });
  const importSeconds = new Histogram({
    name: 'oneroster_csv_import_duration_seconds', help: 'CSV package imports by outcome (ok, failed, dry_run)',
    labelNames: ['outcome'] as const, buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800], registers: [registry],
  });
  const importRecords = new Counter({
    name: 'oneroster_csv_import_records_total', help: 'Records written by CSV imports, by table and action (upserted, marked_deleted)',
    labelNames: ['table', 'action'] as const, registers: [registry],
  });

  const onImport = (o: ImportOutcome) => {
    importSeconds.observe({ outcome: o.dryRun ? 'dry_run' : o.ok ? 'ok' : 'failed' }, o.seconds);
    if (!o.ok || o.dryRun) return;
    for (const [table, w] of Object.entries(o.written)) {
      importRecords.inc({ table, action: 'upserted' }, w.upserted);
      importRecords.inc({ table, action: 'marked_deleted' }, w.markedDeleted);
    }
  };
  const syncSeconds = new Histogram({
    name: 'oneroster_sync_duration_seconds', help: 'Sync runs of upstream sources by source, mode (full, incremental) and outcome (ok, failed, dry_run)',
    labelNames: ['source', 'mode', 'outcome'] as const, buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600], registers: [registry],
  });
  const syncFetched = new Counter({
    name: 'oneroster_sync_fetched_records_total', help: 'Records fetched from upstream sources, by source and collection',
    labelNames: ['source', 'collection'] as const, registers: [registry],
  });
  const syncRecords = new Counter({
    name: 'oneroster_sync_records_total', help: 'Records written by sync runs, by source, table and action (changed, marked_deleted)',
    labelNames: ['source', 'table', 'action'] as const, registers: [registry],
  });
  const onSync = (o: SyncOutcome) => {
    syncSeconds.observe({ source: o.source, mode: o.mode, outcome: o.dryRun ? 'dry_run' : o.ok ? 'ok' : 'failed' }, o.seconds);
    for (const [collection, n] of Object.entries(o.fetched)) syncFetched.inc({ source: o.source, collection }, n);
    if (!o.ok || o.dryRun) return;
    for (const [table, w] of Object.entries(o.tables)) {
      syncRecords.inc({ source: o.source, table, action: 'changed' }, w.changed);
      syncRecords.inc({ source: o.source, table, action: 'marked_deleted' }, w.deleted);
    }
  };
  jobEvents.on('import', onImport);
  jobEvents.on('sync', onSync);

  return {
    registry,
    observe(req: FastifyRequest, reply: FastifyReply) {
      const route = routeOf(req);
      requests.inc({ route, method: req.method, status: String(reply.statusCode), client_id: req.principal?.clientId ?? '' });
      latency.observe({ route, method: req.method }, reply.elapsedTime / 1000);
      const stats = statsOf(req);
      if (route === '/graphql' && req.method !== 'OPTIONS' && stats && reply.getHeader('content-type')?.toString().includes('json')) {
        statements.observe(stats.statements);
      }
    },
    stop: () => { jobEvents.off('import', onImport); jobEvents.off('sync', onSync); },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Counts every request, and serves /metrics: on `port` without a token when given, otherwise on the
 * app itself behind METRICS_SCOPE.
 */
export function installMetrics(app: FastifyInstance, db: Database, opts: { port?: number; host: string }): Metrics {
  const metrics = createMetrics(db);
  app.addHook('onResponse', async (req, reply) => metrics.observe(req, reply));
  let server: Server | undefined;
  if (opts.port !== undefined) {
    server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== METRICS_PATH) {
        res.writeHead(404).end();
        return;
      }
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    app.addHook('onReady', () => new Promise<void>((resolve, reject) => {
      server!.once('error', reject).listen(opts.port, opts.host, () => resolve());
    }));
  } else {
    app.get(METRICS_PATH, async (req, reply) => {
      try {
        req.principal = await app.authenticatePrincipal(req);
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        return reply.code(401).header('WWW-Authenticate', 'Bearer').send({ error: 'unauthorized', message: `a token with the scope ${METRICS_SCOPE} is required` });
      }
      if (!req.principal.scopes.has(METRICS_SCOPE)) {
        return reply.code(403).send({ error: 'forbidden', message: `the token lacks the scope ${METRICS_SCOPE}` });
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
  app.addHook('onClose', async () => {
    metrics.stop();
    if (server?.listening) await new Promise<void>((resolve) => server!.close(() => resolve()));
  });
  return metrics;
}
