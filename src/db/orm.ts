import type { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig, type AppConfig } from './config.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';

export interface Database {
  orm: MikroORM;
  /** `postgres server` or the embedded data directory, for start-up messages. */
  location: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Opens the database named by DATABASE_URL, or the embedded one in DATA_DIR, and migrates it. */
export async function openDatabase(
  config: Pick<AppConfig, 'databaseUrl' | 'dataDir' | 'embeddedConnections' | 'statementTimeoutMs'> & Partial<Pick<AppConfig, 'databaseReplicaUrls'>>,
  opts: { inMemory?: boolean; migrate?: boolean } = {},
): Promise<Database> {
  const replicaUrls = config.databaseReplicaUrls ?? [];
  // Replicas stream from a PostgreSQL server; the embedded database has none.
  if (replicaUrls.length && !config.databaseUrl) throw new Error('DATABASE_REPLICA_URL needs DATABASE_URL (the primary the replicas follow)');
  // The embedded database boots in its own thread while this one loads the ORM (imported here, not at the
  // top, so that the thread starts first). One socket connection more than the pool: the CSV import
  // worker's own (src/csv/import-in-worker.ts).
  const starting = config.databaseUrl ? undefined
    : startEmbeddedPostgres(opts.inMemory ? undefined : config.dataDir, config.embeddedConnections + 1);
  starting?.catch(() => {}); // awaited below, after the imports: not an unhandled rejection meanwhile
  let embedded: EmbeddedPostgres | undefined;
  let orm: MikroORM | undefined;
  try {
    const [{ MikroORM }, { ormOptions, hasPendingMigrations }] = await Promise.all([import('@mikro-orm/postgresql'), import('./orm-options.js')]);
    embedded = await starting;
    const clientUrl = embedded?.url ?? config.databaseUrl!;
    // On the embedded database the pool must not outnumber the socket's connections, or a query waits forever.
    const poolMax = embedded ? config.embeddedConnections : 10;
    orm = await MikroORM.init(ormOptions(clientUrl, poolMax, config.statementTimeoutMs, replicaUrls));
    // One query when the schema is current; the migrator (which checks the database, lists tables and takes
    // a transaction) only runs when there is something to apply.
    if (opts.migrate !== false && (await hasPendingMigrations(orm))) await orm.getMigrator().up();
  } catch (err) {
    await orm?.close(true);
    await (embedded ?? (await starting?.catch(() => undefined)))?.stop();
    throw err;
  }
  const clientUrl = embedded?.url ?? config.databaseUrl!;
  return {
    orm,
    location: embedded ? `embedded PostgreSQL (PGlite) in ${embedded.location}` : `PostgreSQL at ${redact(clientUrl)}`,
    embedded: !!embedded,
    async close() {
      await orm!.close(true);
      await embedded?.stop();
    },
  };
}

/** Opens the configured database for one command, runs `work`, and always closes it. */
export async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  // Commands (imports, clients, keys) read what they write: the primary only.
  const db = await openDatabase({ ...loadConfig(), databaseReplicaUrls: [] });
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
