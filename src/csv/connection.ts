import pg from 'pg';
import { loadConfig } from '../db/config.js';
import type { Database } from '../db/orm.js';
import { clientSession, compile, emSession, sql, type Sql, type SqlSession } from '../db/sql.js';

/**
 * Where an import's or export's statements go: one transaction on one connection. `copy` is the pg
 * client for COPY streams, present only where the database speaks COPY (a PostgreSQL server).
 */
export interface CsvSession extends SqlSession {
  readonly copy?: pg.ClientBase;
}

/** How the work ends: its writes are committed, or the transaction is rolled back (errors, a dry run, an export). */
export type Ending = 'commit' | 'rollback';

class RollBack extends Error {}

/**
 * Runs `work` in one transaction and commits or rolls back as it says (rolls back when it throws).
 *
 * On a PostgreSQL server: a dedicated pg client opened from the ORM's configured URL (the ORM's pool
 * cannot lend one of its connections through any public API, and COPY needs the raw client), with
 * the pool's session settings (UTC, no JIT). On the embedded database (no COPY): the EntityManager's
 * own transaction, and every statement goes through it, since PGlite has one session and a
 * statement on another connection would wait for the transaction forever.
 * `characteristics`: `set transaction ...` text (isolation, read only), run first.
 */
export async function inTransaction(db: Database, work: (session: CsvSession) => Promise<Ending>,
  characteristics?: Sql): Promise<void> {
  if (db.embedded) {
    try {
      await db.orm.em.fork().transactional(async (tx) => {
        const session = timed(emSession(tx));
        if (characteristics) await session.run(characteristics);
        if ((await work(session)) === 'rollback') throw new RollBack();
      });
    } catch (err) {
      if (!(err instanceof RollBack)) throw err;
    }
    return;
  }
  const client = new pg.Client({ connectionString: db.orm.config.get('clientUrl') });
  // A connection lost mid-import surfaces as the failing statement's error; this keeps it from crashing the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const plain = clientSession(client);
    await plain.run(sql`set time zone 'UTC'`);
    await plain.run(sql`set jit = off`);
    const copy = await speaksCopy(plain);
    const session: CsvSession = { ...timed(plain), copy: copy ? client : undefined };
    await session.run(sql`begin`);
    try {
      if (characteristics) await session.run(characteristics);
      await session.run((await work(session)) === 'commit' ? sql`commit` : sql`rollback`);
    } catch (err) {
      await session.run(sql`rollback`).catch(() => undefined);
      throw err;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether COPY ... FROM/TO STDIN/STDOUT works on this connection: not on PGlite, whose socket
 * server does not speak the COPY sub-protocol (also when it is reached through a DATABASE_URL).
 */
export async function speaksCopy(session: SqlSession): Promise<boolean> {
  const [row] = await session.run(sql`select version() as v`);
  return !/PGlite|emscripten/i.test(String(row.v));
}

/** With CSV_TIMINGS=1, every statement's duration goes to stderr (profiling the import; off by default). */
function timed<S extends SqlSession>(session: S): S {
  if (!loadConfig().csvTimings) return session;
  return {
    ...session,
    run: async (statement: Sql) => {
      const t0 = performance.now();
      try {
        return await session.run(statement);
      } finally {
        logTiming(t0, compile(statement).text);
      }
    },
  };
}

/** One CSV_TIMINGS line (also for COPY streams, copy.ts). */
export function logTiming(t0: number, text: string) {
  if (!loadConfig().csvTimings) return;
  process.stderr.write(`[csv] ${((performance.now() - t0) / 1000).toFixed(3)} s  ${text.replace(/\s+/g, ' ').slice(0, 160)}\n`);
}
