#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { registerCsvCommands } from './csv/commands.js';
import { registerSyncCommands } from './sync/commands.js';
import { loadConfig } from './db/config.js';

// Each command imports what it needs inside its action: `--help` and the small commands never load the
// ORM's entities, the graph or the OpenAPI documents they do not use.
const database = () => import('./db/orm.js');
const clientStore = async () => (await import('./auth/clients.js')).ClientStore;

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};

export const program = new Command('oneroster-graph')
  .description('OneRoster 1.2 provider: GraphQL gateway, REST compatibility layer, CSV import/export')
  .exitOverride()
  .configureOutput({ writeErr: () => {} });

program.command('serve').description('serve GraphQL, REST and the token endpoint on PORT (default 4000)')
  .action(async () => {
    const { closeOnSignals, startServer } = await import('./server.js');
    const server = await startServer(loadConfig());
    closeOnSignals(server);
  });

program.command('migrate').description('apply pending database migrations')
  .action(async () => {
    // openDatabase migrates; this command reports what it did.
    const { withDatabase } = await database();
    await withDatabase(async (db) => {
      const executed = await db.orm.getMigrator().getExecutedMigrations();
      console.log(`${db.location}: ${executed.length} migrations applied, none pending`);
    });
  });

program.command('seed').description('load a generated, deterministic district')
  .option('--demo', 'generate a synthetic district (the only generator there is)', true)
  .option('--schools <n>', 'number of schools', positiveInt, 3)
  .option('--students <n>', 'number of students', positiveInt, 300)
  .option('--seed <s>', 'random seed', positiveInt, 42)
  .option('--line-items <n>', 'line items per class', positiveInt, 2)
  .action(async (opts: { schools: number; students: number; seed: number; lineItems: number }) => {
    const [{ withDatabase }, { seedDistrict }] = await Promise.all([database(), import('./seed/seed.js')]);
    await withDatabase(async (db) => {
      const report = await seedDistrict(db.orm.em, { schools: opts.schools, students: opts.students, seed: opts.seed, lineItemsPerClass: opts.lineItems });
      console.log(`seeded ${report.total} records in ${report.seconds.toFixed(1)} s into ${db.location}`);
      for (const [entity, n] of Object.entries(report.rows)) console.log(`  ${entity.padEnd(28)} ${n}`);
    });
  });

const clients = program.command('clients').description('manage OAuth 2 API clients');
const listOf = (value: string) => value.split(/[\s,]+/).filter(Boolean);
clients.command('add <name>').description('create a client; prints {client_id, client_secret} once')
  .requiredOption('--scopes <scopes>', 'space- or comma-separated scope URIs or short names (roster.readonly)')
  .option('--orgs <ids>', 'limit the client to these orgs and their descendants (README: Data sharing)')
  .option('--deny-fields <fields>', 'collection.field names never served to the client, e.g. users.email,users.phone')
  .action(async (name: string, opts: { scopes: string; orgs?: string; denyFields?: string }) => {
    const [{ withDatabase }, ClientStore] = await Promise.all([database(), clientStore()]);
    await withDatabase(async (db) => {
      const rules = { orgs: opts.orgs === undefined ? null : listOf(opts.orgs), deniedFields: listOf(opts.denyFields ?? '') };
      console.log(JSON.stringify(await new ClientStore(db.orm.em).add(name, listOf(opts.scopes), rules), null, 2));
    });
  });
clients.command('update <clientId>').description('change scopes (revokes earlier tokens) or sharing rules (apply within seconds)')
  .option('--scopes <scopes>', 'the new scopes')
  .option('--orgs <ids>', "limit to these orgs and their descendants ('' lifts the limit)")
  .option('--all-orgs', 'lift the org limit')
  .option('--deny-fields <fields>', "the new denied collection.field names ('' denies none)")
  .action(async (clientId: string, opts: { scopes?: string; orgs?: string; allOrgs?: boolean; denyFields?: string }) => {
    const [{ withDatabase }, ClientStore] = await Promise.all([database(), clientStore()]);
    await withDatabase(async (db) => {
      const orgs = opts.allOrgs ? null : opts.orgs === undefined ? undefined : listOf(opts.orgs);
      const updated = await new ClientStore(db.orm.em).update(clientId, {
        scopes: opts.scopes === undefined ? undefined : listOf(opts.scopes), orgs, deniedFields: opts.denyFields === undefined ? undefined : listOf(opts.denyFields),
      });
      if (!updated) throw new Error(`no client ${clientId}`);
      console.log(JSON.stringify(updated, null, 2));
    });
  });
clients.command('list').description('list clients with their scopes and sharing rules (never their secrets)')
  .action(async () => {
    const [{ withDatabase }, ClientStore] = await Promise.all([database(), clientStore()]);
    await withDatabase(async (db) => console.log(JSON.stringify(await new ClientStore(db.orm.em).list(), null, 2)));
  });
clients.command('remove <clientId>').description('delete a client; its tokens are refused within seconds (see README: Authentication)')
  .action(async (clientId: string) => {
    const [{ withDatabase }, ClientStore] = await Promise.all([database(), clientStore()]);
    await withDatabase(async (db) => {
      if (!(await new ClientStore(db.orm.em).remove(clientId))) throw new Error(`no client ${clientId}`);
      console.log(`removed ${clientId}`);
    });
  });
clients.command('rotate-secret <clientId>').description('issue a new secret; the old one stops working at once, tokens issued before within seconds')
  .action(async (clientId: string) => {
    const [{ withDatabase }, ClientStore] = await Promise.all([database(), clientStore()]);
    await withDatabase(async (db) => {
      const rotated = await new ClientStore(db.orm.em).rotateSecret(clientId);
      if (!rotated) throw new Error(`no client ${clientId}`);
      console.log(JSON.stringify(rotated, null, 2));
    });
  });

program.command('keys').description('JWT signing keys').command('rotate')
  .description('make a new signing key in the database; every instance signs with it within SIGNING_KEYS_REFRESH_SECONDS, tokens signed by the previous key stay valid until they expire')
  .action(async () => {
    const config = loadConfig();
    if (config.jwtSigningKey) throw new Error('JWT_SIGNING_KEY is set: rotate by moving it to JWT_PREVIOUS_SIGNING_KEYS and setting a new one');
    const [{ withDatabase }, { rotateSigningKey }] = await Promise.all([database(), import('./auth/signing-keys.js')]);
    await withDatabase(async (db) => {
      const keys = await rotateSigningKey(db.orm.em, { dataDir: config.dataDir });
      console.log(`new signing key ${keys.current.kid} in ${db.location}; running instances sign with it within SIGNING_KEYS_REFRESH_SECONDS (default 30 s)`);
    });
  });

registerCsvCommands(program);
registerSyncCommands(program);

/** Every failure is one clear line on stderr and a non-zero exit. */
export async function main(argv = process.argv) {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError && (err.exitCode === 0 || err.code === 'commander.help')) return;
    const message = err instanceof Error ? err.message.replace(/^error: /, '') : String(err);
    console.error(`oneroster-graph: ${message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}

// `npm start` runs this file directly; the bin/ wrapper imports it and calls main().
if (process.argv[1]?.endsWith('cli.ts')) await main();
