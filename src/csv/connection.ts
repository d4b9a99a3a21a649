import type pg from 'pg';
import { loadConfig } from '../db/config.js';
import type { Database } from '../db/orm.js';

interface KnexClient {
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(conn: pg.Client): Promise<void>;
}

/**
 * Runs `work` on one pooled connection of the ORM (same pool, same session settings). CSV import
 * and export need the raw pg client for COPY and for one explicit transaction spanning many
 * statements; the ORM's EntityManager cannot stream COPY.
 */
export async function withClient<T>(db: Database, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const knexClient = (db.orm.em.getKnex() as unknown as { client: KnexClient }).client;
  const conn = await knexClient.acquireConnection();
  try {
    return await work(conn);
  } finally {
    await knexClient.releaseConnection(conn);
  }
}

/**
 * Whether COPY ... FROM/TO STDIN/STDOUT works on this connection: not on PGlite, whose socket
 * server does not speak the COPY sub-protocol (also when it is reached through a DATABASE_URL).
 */
export async function supportsCopy(db: Database, client: pg.ClientBase): Promise<boolean> {
  if (db.embedded) return false;
  const { rows } = await client.query<{ v: string }>('select version() as v');
  return !/PGlite|emscripten/i.test(rows[0].v);
}

/**
 * With CSV_TIMINGS=1, every statement's duration goes to stderr (profiling the import; off by default).
 * A proxy, so the pooled client itself is never patched.
 */
export function traced<C extends pg.ClientBase>(client: C): C {
  if (!loadConfig().csvTimings) return client;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const timedQuery = (...args: unknown[]) => {
    const t0 = performance.now();
    const result = query(...args);
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text ?? '(stream)');
    const done = () => process.stderr.write(`[csv] ${((performance.now() - t0) / 1000).toFixed(3)} s  ${text.replace(/\s+/g, ' ').slice(0, 160)}\n`);
    if (result instanceof Promise) result.then(done, done);
    else (result as NodeJS.EventEmitter | undefined)?.once?.('finish', done);
    return result;
  };
  return new Proxy(client, {
    get: (target, prop) => {
      if (prop === 'query') return timedQuery;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
