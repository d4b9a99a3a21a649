import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ALL_READ_SCOPES } from './auth/scopes.js';
import { loadSigningKeys } from './auth/signing-keys.js';
import type { AppConfig } from './db/config.js';
import { openDatabase, type Database } from './db/orm.js';
import { closeHttp } from './ops/shutdown.js';

export interface RunningServer { app: FastifyInstance; db: Database; url: string; close(): Promise<void> }

export const DEMO_CLIENT_FILE = 'demo-client.json';

export interface StartOptions {
  print?: (line: string) => void;
  /** Whether `print` reaches a terminal (not a log): only then is the demo secret printed. */
  printsToTerminal?: boolean;
}

/**
 * Opens (and migrates) the database, loads the demo district into an empty embedded store, and
 * serves until SIGINT/SIGTERM, then closes the server and the database cleanly.
 */
export async function startServer(config: AppConfig, opts: StartOptions = {}): Promise<RunningServer> {
  const print = opts.print ?? console.log;
  const printsToTerminal = opts.printsToTerminal ?? (opts.print === undefined && process.stdout.isTTY === true);
  const opening = openDatabase(config);
  // The HTTP layer and the graph load while the database opens (the embedded one boots in a thread of its
  // own), rather than before: these modules are imported here, not at the top of the file.
  const loading = Promise.all([import('./app.js'), import('./auth/clients.js'), import('./auth/demo.js'), import('./seed/seed.js'),
    import('./sync/schedule.js'), import('./sync/outbox-schedule.js')]);
  loading.catch(() => {}); // awaited below, once the database is open
  const db = await opening;
  const [{ buildApp }, { ClientStore }, { demoGraphiqlHeaders, markDemoDistrict }, { seedDistrict, storeContents }, { startSyncSchedule }, { startGradePush }] =
    await loading.catch(async (err: unknown) => { await db.close(); throw err; });
  // Without JWT_SIGNING_KEY the keys live in the database, shared by every instance (src/auth/signing-keys.ts).
  const keys = await loadSigningKeys({ em: db.orm.em, dataDir: config.dataDir, env: {
    JWT_SIGNING_KEY: config.jwtSigningKey, JWT_PREVIOUS_SIGNING_KEYS: config.jwtPreviousSigningKeys,
    SIGNING_KEYS_REFRESH_SECONDS: config.signingKeysRefreshSeconds,
  } });
  const store = db.embedded ? await storeContents(db.orm.em) : undefined;
  if (store && !store.roster && !store.setUp) {
    const report = await seedDistrict(db.orm.em, { schools: 3, students: 300, seed: 42 });
    print(`Loaded the demo district: ${report.total} records in ${report.seconds.toFixed(1)} s.`);
    const client = await new ClientStore(db.orm.em).add('demo', [...ALL_READ_SCOPES]);
    await markDemoDistrict(db.orm.em, client.client_id);
    await handOverDemoSecret(client, config.dataDir, printsToTerminal, print);
  } else if (store && !store.roster) {
    print('No roster yet (API clients or sources are set up, so no demo district is loaded): `oneroster-graph import` a CSV package, or let a source sync.');
  }
  // The demo token is only handed to this machine, so the embedded store listens there unless HOST says otherwise.
  const host = config.host ?? (db.embedded ? '127.0.0.1' : '0.0.0.0');
  const graphiqlHeadersFor = db.embedded ? demoGraphiqlHeaders(db.orm.em, keys, config.tokenTtlSeconds) : undefined;
  const app = await buildApp({ db, config, keys, graphiqlHeadersFor });
  await app.listen({ port: config.port, host });
  // Sources added with --every are synced from here.
  const schedule = startSyncSchedule(db, config, app.log);
  // Grades written for --push-grades sources leave the outbox from here.
  const gradePush = startGradePush(db, config, app.log);
  const url = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${config.port}`;
  print(`Data: ${db.location}`);
  print(`Listening on ${host}:${config.port}${host === '127.0.0.1' ? ' (this machine only; set HOST=0.0.0.0 to serve the network)' : ''}`);
  print(`GraphQL and GraphiQL: ${url}/graphql`);
  print(`REST: ${url}/ims/oneroster/rostering/v1p2/ (gradebook, resources and v1p1 alike)`);
  print(`Tokens: POST ${url}/oauth/token   Health: ${url}/healthz (liveness), ${url}/readyz (readiness)`);
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => { keys.close?.(); await schedule.stop(); await gradePush.stop(); await closeHttp(app, config.shutdownTimeoutMs); await db.close(); })());
  return { app, db, url, close };
}

/**
 * The demo client's secret goes to a terminal once, or else (output captured by a log) into a 0600 file
 * in DATA_DIR, never into the output itself.
 */
async function handOverDemoSecret(
  client: { client_id: string; client_secret: string; scopes: string[] }, dataDir: string, toTerminal: boolean, print: (line: string) => void,
) {
  if (toTerminal) {
    print('Created a demo API client with every read scope. Its secret is shown only this once:');
    print(`  client_id=${client.client_id}`);
    print(`  client_secret=${client.client_secret}`);
    return;
  }
  const path = join(dataDir, DEMO_CLIENT_FILE);
  const file = await open(path, 'w', 0o600);
  try {
    await file.chmod(0o600); // an existing file keeps its mode on open
    await file.writeFile(JSON.stringify(client, null, 2) + '\n');
  } finally {
    await file.close();
  }
  print(`Created a demo API client (client_id=${client.client_id}) with every read scope; its secret is in ${path} (mode 0600).`);
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
