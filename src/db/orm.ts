import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../../migrations/index.js';
import { loadConfig, type AppConfig } from './config.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';
import { entitySchemas } from './entities.js';
import { compileForPg, sql } from './sql.js';

export interface Database {
  orm: MikroORM;
  /** `postgres server` or the embedded data directory, for start-up messages. */
  location: string;
  embedded: boolean;
  close(): Promise<void>;
}

export function ormOptions(clientUrl: string, poolMax: number, statementTimeoutMs: number): Options {
  // SET takes no parameters; set_config is the same setting with the value bound (false: for the session).
  const session = compileForPg(sql`select set_config('TimeZone', 'UTC', false), set_config('statement_timeout', ${String(Number(statementTimeoutMs))}, false),
    set_config('jit', 'off', false)`);
  return {
    entities: entitySchemas,
    clientUrl,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    // Every session speaks UTC, so timestamptz text is always `...+00` and dates are never shifted.
    // PostgreSQL's JIT is off: it compiles any plan whose estimated cost passes jit_above_cost, and the
    // estimates of page queries with per-row subqueries (embedded relations, per-owner pages) pass it
    // while the statement itself is short: one measured 89 ms without JIT and 1.2-2 s with it.
    pool: {
      min: 0,
      max: poolMax,
      afterCreate: (conn: { query: (text: string, values: unknown[], cb: (err?: Error) => void) => void }, done: (err: Error | undefined, conn: unknown) => void) => {
        conn.query(session.text, [...session.values], (err) => done(err, conn));
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

/** Opens the database named by DATABASE_URL, or the embedded one in DATA_DIR, and migrates it. */
export async function openDatabase(
  config: Pick<AppConfig, 'databaseUrl' | 'dataDir' | 'embeddedConnections' | 'statementTimeoutMs'>,
  opts: { inMemory?: boolean; migrate?: boolean } = {},
): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let clientUrl = config.databaseUrl;
  if (!clientUrl) {
    // One socket connection more than the pool: the CSV import worker's own (src/csv/import-in-worker.ts).
    embedded = await startEmbeddedPostgres(opts.inMemory ? undefined : config.dataDir, config.embeddedConnections + 1);
    clientUrl = embedded.url;
  }
  // On the embedded database the pool must not outnumber the socket's connections, or a query waits forever.
  const poolMax = embedded ? config.embeddedConnections : 10;
  const orm = await MikroORM.init(ormOptions(clientUrl, poolMax, config.statementTimeoutMs));
  if (opts.migrate !== false) await orm.getMigrator().up();
  return {
    orm,
    location: embedded ? `embedded PostgreSQL (PGlite) in ${embedded.location}` : `PostgreSQL at ${redact(clientUrl)}`,
    embedded: !!embedded,
    async close() {
      await orm.close(true);
      await embedded?.stop();
    },
  };
}

/** Opens the configured database for one command, runs `work`, and always closes it. */
export async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(loadConfig());
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** A connection string without its password, safe to print. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'PostgreSQL';
  }
}
