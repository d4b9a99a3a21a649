import type { Command } from 'commander';

/**
 * `sources add|list|remove` and `sync`. Only option parsing lives here: each action loads its logic
 * when it runs, so the other commands of the CLI never pay for the aggregator's imports.
 */
export function registerSyncCommands(program: Command) {
  const sources = program.command('sources').description('upstream OneRoster providers the aggregator pulls from');
  sources.command('add <name>').description('add an upstream OneRoster provider: 1.2 with OAuth 2 client credentials, or 1.1 with OAuth 1.0a signatures; the secret is sealed with SOURCES_KEY')
    .requiredOption('--base-url <url>', 'the provider\'s base URL, before /ims/oneroster/...')
    .option('--version <version>', 'OneRoster version of the provider: 1.2 or 1.1', '1.2')
    .option('--auth <kind>', 'oauth2 (client credentials; the default for 1.2) or oauth1 (OAuth 1.0a HMAC-SHA256 signatures; the default for 1.1)')
    .option('--token-url <url>', 'OAuth 2 token endpoint (required with oauth2)')
    .requiredOption('--client-id <id>', 'client id (OAuth 1.0a: the consumer key)')
    .requiredOption('--client-secret <secret>', 'client secret (OAuth 1.0a: the consumer secret; stored encrypted)')
    .option('--scope <scopes>', 'space-separated scope URIs to ask for')
    .option('--services <list>', 'comma-separated: rostering, gradebook, resources', 'rostering')
    .option('--prefix <prefix>', 'prepended to every sourcedId of this source, so two sources cannot collide')
    .option('--every <interval>', 'serve syncs the source this often: 30s, 15m, 2h, 1d')
    .option('--push-grades', 'send line items and results written here for this source\'s classes back to its gradebook service')
    .option('--page-size <n>', 'records asked for per page, 1-10000 (default 1000; a provider that caps it silently is paged correctly)')
    .option('--push-concurrency <n>', 'grade requests sent to the source at once, 1-16 (default 4)')
    .action(async (name: string, opts: Record<string, string>) => {
      const { addSourceCommand } = await import('./cli-actions.js');
      await addSourceCommand(name, opts);
    });
  sources.command('update <name>').description('change how a source is reached (a rotated secret, a new URL), its schedule, page size or grade push (and how many grade requests at once); its records and history stay')
    .option('--base-url <url>', 'the provider\'s base URL, before /ims/oneroster/...')
    .option('--token-url <url>', 'OAuth 2 token endpoint')
    .option('--client-id <id>', 'client id (OAuth 1.0a: the consumer key)')
    .option('--client-secret <secret>', 'client secret, sealed with SOURCES_KEY')
    .option('--scope <scopes>', 'space-separated scope URIs to ask for ("" for none)')
    .option('--every <interval>', 'serve syncs the source this often (30s, 15m, 2h, 1d), or off')
    .option('--page-size <n>', 'records asked for per page from the next run on, 1-10000')
    .option('--push-concurrency <n>', 'grade requests sent to the source at once, 1-16')
    .option('--push-grades', 'send line items and results written here for its classes back to it')
    .option('--no-push-grades', 'stop sending grades back (rows waiting in the outbox stay)')
    .action(async (name: string, opts: Record<string, string | boolean>) => (await import('./cli-actions.js')).updateSourceCommand(name, opts));
  sources.command('list').description('list sources with their last sync (never their secrets)')
    .action(async () => (await import('./cli-actions.js')).listSourcesCommand());
  sources.command('test <name>').description('fetch a token (oauth2; oauth1 sources sign each request) and the first page of each collection the sync reads; print what was found')
    .action(async (name: string) => (await import('./cli-actions.js')).testSourceCommand(name));
  sources.command('remove <name>').description('forget a source and its sync history; the records it delivered stay')
    .action(async (name: string) => (await import('./cli-actions.js')).removeSourceCommand(name));

  program.command('sync [name]').description('pull every source (or one) now: incremental after a first full run')
    .option('--full', 'fetch every record, marking those the source no longer lists tobedeleted')
    .option('--dry-run', 'fetch and validate, write nothing')
    .option('--adopt', 'records here that belong to no source (CSV import, API) and that the source delivers become its own instead of failing the run')
    .option('--json', 'print the report as JSON')
    .action(async (name: string | undefined, opts: { full?: boolean; dryRun?: boolean; adopt?: boolean; json?: boolean }) =>
      (await import('./cli-actions.js')).syncCommand(name, opts));

  program.command('push-grades [name]').description('send the grades waiting in the outbox to every --push-grades source (or one) now, once')
    .option('--json', 'print the report as JSON')
    .option('--retry-failed', 'first queue again the rows of source NAME that its upstream refused (a later write of the same record supersedes them)')
    .action(async (name: string | undefined, opts: { json?: boolean; retryFailed?: boolean }) => (await import('./cli-actions.js')).pushGradesCommand(name, opts));
}
