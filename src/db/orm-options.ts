import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../../migrations/index.js';
import { entitySchemas } from './entities.js';
import { compileForPg, sql } from './sql.js';

/**
 * The ORM's settings, for the server's pool and for worker threads' own (src/csv/import-worker.ts).
 * `replicaUrls`: read replicas, each with a pool like the primary's (same size and session settings).
 */
export function ormOptions(clientUrl: string, poolMax: number, statementTimeoutMs: number, replicaUrls: readonly string[] = []): Options {
  // Session settings (SET takes no parameters: the one value, a whole number from the configuration, is a
  // literal). Sent without bound values on purpose: the same settings as a parameterised set_config stalled
  // concurrent writes on the embedded database (test/rest/writes-concurrency.test.ts).
  const session = compileForPg(sql`set time zone 'UTC'; set statement_timeout = ${sql.lit(Math.trunc(Number(statementTimeoutMs)))}; set jit = off`).text;
  return {
    entities: entitySchemas,
    clientUrl,
    extensions: [Migrator],
    replicas: replicaUrls.map((url) => ({ clientUrl: url })),
    // The ORM's own finds (clients, keys, nonces, the failed-login limiter) read from the primary: they
    // read what was just written. Replicas serve only the reads marked in src/db/replica-reads.ts.
    preferReadReplicas: false,
    discovery: { warnWhenNoEntities: false },
    // Every session speaks UTC, so timestamptz text is always `...+00` and dates are never shifted.
    // PostgreSQL's JIT is off: it compiles any plan whose estimated cost passes jit_above_cost, and the
    // estimates of page queries with per-row subqueries (embedded relations, per-owner pages) pass it
    // while the statement itself is short, so JIT compiling costs far more than it saves.
    pool: {
      min: 0,
      max: poolMax,
      afterCreate: (conn: { query: (text: string, cb: (err?: Error) => void) => void }, done: (err: Error | undefined, conn: unknown) => void) => {
        conn.query(session, (err) => done(err, conn));
      },
    },
    migrations: {
      migrationsList,
      snapshot: false,
      transactional: true,
      allOrNothing: true,
      path: 'migrations',
      pathTs: 'migrations',
      emit: 'ts',
      disableForeignKeys: false,
      silent: true,
    },
    allowGlobalContext: false,
    debug: false,
  };
}

const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/** Whether any migration of migrationsList is not recorded as executed (also when the table does not exist yet). */
export async function hasPendingMigrations(orm: MikroORM): Promise<boolean> {
  try {
    const rows = await orm.em.getConnection().execute<{ name: string }[]>(`select name from ${MIGRATIONS_TABLE}`);
    const executed = new Set(rows.map((r) => r.name));
    return migrationsList.some((m) => !executed.has(m.name));
  } catch {
    return true; // a database never migrated: the migrator creates the table
  }
}
