import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { ClientStore } from './auth/clients.js';
import { ALL_READ_SCOPES } from './auth/scopes.js';
import { loadSigningKeys } from './auth/signing-keys.js';
import { issueAccessToken } from './auth/tokens.js';
import type { AppConfig } from './db/config.js';
import { openDatabase, type Database } from './db/orm.js';
import { isEmptyStore, seedDistrict } from './seed/seed.js';

export interface RunningServer { app: FastifyInstance; db: Database; url: string; close(): Promise<void> }

/**
 * Opens (and migrates) the database, loads the demo district into an empty embedded store, and
 * serves until SIGINT/SIGTERM, then closes the server and the database cleanly.
 */
export async function startServer(config: AppConfig, print: (line: string) => void = console.log): Promise<RunningServer> {
  const db = await openDatabase(config);
  // Without JWT_SIGNING_KEY a key is generated in DATA_DIR (several instances behind one database must share JWT_SIGNING_KEY).
  const keys = await loadSigningKeys({ dataDir: config.dataDir, env: process.env });
  let graphiqlHeaders: string | undefined;
  if (db.embedded && (await isEmptyStore(db.orm.em))) {
    const report = await seedDistrict(db.orm.em, { schools: 3, students: 300, seed: 42 });
    print(`Loaded the demo district: ${report.total} records in ${report.seconds.toFixed(1)} s.`);
    const client = await new ClientStore(db.orm.em).add('demo', [...ALL_READ_SCOPES]);
    print('Created a demo API client with every read scope. Its secret is shown only this once:');
    print(`  client_id=${client.client_id}`);
    print(`  client_secret=${client.client_secret}`);
    // A fresh demo store pre-fills GraphiQL with a read-only token, so exploring works at once.
    const token = await issueAccessToken(keys, { clientId: client.client_id, scopes: client.scopes, ttlSeconds: config.tokenTtlSeconds });
    graphiqlHeaders = JSON.stringify({ Authorization: `Bearer ${token.access_token}` }, null, 2);
  }
  const app = await buildApp({ db, config, keys, graphiqlHeaders });
  await app.listen({ port: config.port, host: config.host });
  const url = `http://localhost:${config.port}`;
  print(`Data: ${db.location}`);
  print(`GraphQL and GraphiQL: ${url}/graphql`);
  print(`REST: ${url}/ims/oneroster/rostering/v1p2/ (gradebook, resources and v1p1 alike)`);
  print(`Tokens: POST ${url}/oauth/token   Health: ${url}/healthz`);
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => { await app.close(); await db.close(); })());
  return { app, db, url, close };
}

/** Closes cleanly on the first SIGINT/SIGTERM; a second one exits at once. */
export function closeOnSignals(server: RunningServer) {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      server.close().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
    });
  }
}
