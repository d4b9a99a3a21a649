/**
 * Per-request counters that code deep in the data layer can add to without a request object in
 * hand: the statements the graph ran and the records the request returned, for the access log and
 * /metrics. Kept in AsyncLocalStorage, entered when a request arrives.
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

export interface RequestStats {
  /** SQL statements run by the graph for this request. */
  statements: number;
  /** Rows those statements returned. */
  rows: number;
  /** Records in the response, when the REST layer knows them (a page or a single record). */
  records?: number;
}

const storage = new AsyncLocalStorage<RequestStats>();
const resources = new WeakMap<object, AsyncResource>();

/** Called for every graph statement (src/graph/context.ts). */
export function countStatement(rows: number): void {
  const stats = storage.getStore();
  if (stats) {
    stats.statements++;
    stats.rows += rows;
  }
}

/** Called by the REST layer with the records it returns. */
export function countRecords(records: number): void {
  const stats = storage.getStore();
  if (stats) stats.records = records;
}

/** Gives every request its counters (read back with `statsOf`). */
export function trackRequestStats(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => {
    const stats: RequestStats = { statements: 0, rows: 0 };
    (req as { opsStats?: RequestStats }).opsStats = stats;
    storage.run(stats, () => {
      const resource = new AsyncResource('oneroster-graph:request');
      resources.set(req, resource);
      resource.runInAsyncScope(done, req.raw);
    });
  });
  // Body parsing runs from stream events outside the request's async context: enter it again.
  app.addHook('preValidation', (req, _reply, done) => {
    const resource = resources.get(req);
    if (resource) resource.runInAsyncScope(done, req.raw);
    else done();
  });
}

export const statsOf = (req: object): RequestStats | undefined => (req as { opsStats?: RequestStats }).opsStats;
