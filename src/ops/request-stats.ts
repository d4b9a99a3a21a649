/**
 * Per-request counters for the access log and /metrics: the statements the graph ran, the rows they
 * returned and the records the response holds. Kept on the request; the graph context a request
 * builds adds to them (src/graph/context.ts), the REST layer sets `records`.
 */
import type { FastifyInstance } from 'fastify';

export interface RequestStats {
  /** SQL statements run by the graph for this request. */
  statements: number;
  /** Rows those statements returned. */
  rows: number;
  /** Records in the response, when the REST layer knows them (a page or a single record). */
  records?: number;
}

/** Gives every request its counters (read back with `statsOf`). */
export function trackRequestStats(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => {
    (req as { opsStats?: RequestStats }).opsStats = { statements: 0, rows: 0 };
    done();
  });
}

export const statsOf = (req: object): RequestStats | undefined => (req as { opsStats?: RequestStats }).opsStats;
