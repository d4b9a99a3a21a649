import pg from 'pg';
import type { Database } from './orm.js';
import { RecentWriters } from './replica-reads.js';
import { run, runOnClient, sql } from './sql.js';

/** What a request's context needs to route its reads: whether replicas exist, and the recent writers. */
export interface ReplicaRouting {
  /** Whether the client's reads may go to a replica now (replicas configured, no recent write of its own). */
  mayRead(clientId: string | undefined): boolean;
  /** Starts the client's window here and, through the primary, on every other instance. */
  noteWrite(clientId: string | undefined): Promise<void>;
  close(): Promise<void>;
}

/**
 * The channel on which instances tell each other who wrote: behind a load balancer a client's next read
 * may reach another instance than its write. The notice is sent before the write's answer, and
 * PostgreSQL hands it to every listening instance at once, well before the client's next request arrives.
 */
const WRITES_CHANNEL = 'oneroster_client_writes';
const RECONNECT_MS = 1_000;

/** Routing for `db` (its replicas, its primary as the channel between instances). */
export const replicaRoutingOf = (db: Database, windowMs: number): ReplicaRouting =>
  replicaRouting({ hasReplicas: (db.orm.config.get('replicas') ?? []).length > 0, windowMs, db });

/** Without `db`, windows are kept by this instance alone. */
export function replicaRouting({ hasReplicas, windowMs, db }: { hasReplicas: boolean; windowMs: number; db?: Database }): ReplicaRouting {
  const writers = new RecentWriters(windowMs);
  const primaryUrl = db?.orm.config.get('clientUrl');
  if (!db || !hasReplicas || windowMs <= 0 || !primaryUrl) {
    return { mayRead: (clientId) => hasReplicas && !writers.wroteRecently(clientId), noteWrite: async (clientId) => writers.noteWrite(clientId), close: async () => undefined };
  }
  let listener: pg.Client | undefined;
  let closed = false;
  const listen = async () => {
    const client = new pg.Client({ connectionString: primaryUrl });
    listener = client;
    // A lost connection (primary restarting) is replaced; meanwhile this instance keeps its own windows.
    const retry = () => { if (!closed && listener === client) { listener = undefined; setTimeout(() => void listen(), RECONNECT_MS).unref(); } };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (n) => writers.noteWrite(n.payload ?? ''));
    try {
      await client.connect();
      await runOnClient(client, sql`listen ${sql.id(WRITES_CHANNEL)}`);
    } catch {
      client.end().catch(() => undefined);
      retry();
    }
  };
  void listen();
  return {
    mayRead: (clientId) => !writers.wroteRecently(clientId),
    noteWrite: async (clientId) => {
      writers.noteWrite(clientId);
      // Best effort: a notice lost with the primary leaves other instances to their replicas for one read.
      await run(db.orm.em.fork(), sql`select pg_notify(${WRITES_CHANNEL}, ${clientId ?? ''})`).catch(() => undefined);
    },
    close: async () => {
      closed = true;
      await listener?.end().catch(() => undefined);
    },
  };
}
