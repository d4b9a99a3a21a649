import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { scratchDatabase } from './scratch-database.js';
import { seedInChild } from './seed-child.js';
import { service } from './service-modules.js';

/** An upstream OneRoster provider for the aggregator's benches: this server, in the bench process, on a loopback port. */
export interface ServedUpstream {
  /** What comes before /ims/oneroster/... */
  base: string;
  app: FastifyInstance;
  db: Database;
  /** The client the gateway uses, with the given scopes. */
  client: { client_id: string; client_secret: string };
  seeded: { total: number; seconds: number };
  close(): Promise<void>;
}

type Database = import('../src/db/orm.js').Database;

/** This server over `db` (reached at `url`), quiet, with a signing key of its own: an upstream, or a gateway a bench writes through. */
export async function benchApp(db: Database, url: string, name: string): Promise<FastifyInstance> {
  const { buildApp } = await service<typeof import('../src/app.js')>('app.js');
  const { loadConfig } = await service<typeof import('../src/db/config.js')>('db/config.js');
  const { loadSigningKeys } = await service<typeof import('../src/auth/signing-keys.js')>('auth/signing-keys.js');
  const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: `${name}-signing-key-`.padEnd(48, 'x') } as NodeJS.ProcessEnv });
  return buildApp({ db, config: loadConfig({ ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' }), keys });
}

/** An API client of the app over `db`; its secret is in the result. */
export async function benchClient(db: Database, name: string, scopes: string[]) {
  const { ClientStore } = await service<typeof import('../src/auth/clients.js')>('auth/clients.js');
  return new ClientStore(db.orm.em.fork()).add(name, scopes);
}

/** A client-credentials token from the server at `base` (client_secret_basic). */
export async function clientToken(base: string, client: { client_id: string; client_secret: string }): Promise<string> {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', body: 'grant_type=client_credentials', headers: {
    'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` } });
  if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
  return String((await res.json() as { access_token: string }).access_token);
}

/**
 * A scratch database on `server` seeded with a district (the CLI's `seed`, in a child process: generating the rows
 * here would leave a heap that slows every garbage collection of the upstream while it serves), vacuumed, then
 * served by this server. `beforeListen` may add hooks (a latency, a counter).
 */
export async function servedUpstream(server: string, name: string, district: { schools: number; students: number; seed: number },
  scopes: string[], beforeListen?: (app: FastifyInstance) => void): Promise<ServedUpstream> {
  const { openDatabase } = await service<typeof import('../src/db/orm.js')>('db/orm.js');
  const { run, sql } = await service<typeof import('../src/db/sql.js')>('db/sql.js');

  const scratch = await scratchDatabase(server, name);
  const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '', embeddedConnections: 1, statementTimeoutMs: 0 });
  let app: FastifyInstance | undefined;
  const close = async () => {
    await app?.close();
    await db.close();
    await scratch.drop();
  };
  try {
    const seeded = seedInChild(scratch.url, district);
    await run(db.orm.em.fork(), sql`vacuum analyze`);
    app = await benchApp(db, scratch.url, name);
    beforeListen?.(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const client = await benchClient(db, 'gateway', scopes);
    return { base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, app, db, client, seeded, close };
  } catch (err) {
    await close();
    throw err;
  }
}
