/** The aggregator's CLI actions, loaded only when one of its commands runs (src/sync/commands.ts). */
import cliProgress from 'cli-progress';
import { loadConfig } from '../db/config.js';
import { withDatabase } from '../db/orm.js';
import { probeSource } from './probe.js';
import { syncSource, type SyncOptions, type SyncReport } from './run.js';
import { sourcesKey } from './source-secrets.js';
import { pushGrades } from './outbox-deliver.js';
import { addSource, listSources, removeSource, sourceNames, updateSource, type SourceChanges } from './sources.js';

export async function addSourceCommand(name: string, opts: Record<string, string>) {
  const key = sourcesKey(loadConfig().sourcesKey); // before the (slow to open) database
  await withDatabase(async (db) => {
    await addSource(db.orm.em.fork(), key, {
      name, baseUrl: opts.baseUrl, version: opts.version, auth: opts.auth, tokenUrl: opts.tokenUrl, clientId: opts.clientId,
      clientSecret: opts.clientSecret, scope: opts.scope, services: opts.services, prefix: opts.prefix, every: opts.every,
      pushGrades: (opts as Record<string, unknown>).pushGrades === true, pageSize: opts.pageSize,
      pushConcurrency: opts.pushConcurrency,
    });
    console.log(`added source ${name}; run \`oneroster-graph sync ${name}\` to pull it`);
  });
}

export async function updateSourceCommand(name: string, opts: Record<string, string | boolean>) {
  const changes: SourceChanges = {
    baseUrl: opts.baseUrl as string | undefined, tokenUrl: opts.tokenUrl as string | undefined, clientId: opts.clientId as string | undefined,
    clientSecret: opts.clientSecret as string | undefined, scope: opts.scope as string | undefined, every: opts.every as string | undefined,
    pageSize: opts.pageSize as string | undefined, pushGrades: opts.pushGrades as boolean | undefined,
    pushConcurrency: opts.pushConcurrency as string | undefined,
  };
  const given = Object.entries(changes).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (!given.length) throw new Error('nothing to change: give --base-url, --token-url, --client-id, --client-secret, --scope, --every, --page-size, --(no-)push-grades or --push-concurrency');
  const key = changes.clientSecret === undefined ? undefined : sourcesKey(loadConfig().sourcesKey);
  await withDatabase(async (db) => {
    await updateSource(db.orm.em.fork(), key, name, changes);
    const settings = given.filter((k) => !['pushGrades', 'pageSize', 'pushConcurrency'].includes(k));
    // The names of what changed, never the secret itself.
    if (settings.length) console.log(`source ${name}: updated ${settings.map((k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join(', ')}`);
    if (changes.pageSize !== undefined) console.log(`source ${name}: pages of ${Number(changes.pageSize)} records from the next run on`);
    if (changes.pushConcurrency !== undefined) console.log(`source ${name}: up to ${Number(changes.pushConcurrency)} grade requests at once`);
    if (changes.pushGrades !== undefined) console.log(`source ${name}: grades are ${changes.pushGrades ? 'sent back' : 'no longer sent back'}`);
  });
}

/** One delivery pass, as `serve` runs every few seconds; exit 1 when a source's grades must wait or were refused. */
export async function pushGradesCommand(name: string | undefined, opts: { json?: boolean; retryFailed?: boolean }) {
  const key = sourcesKey(loadConfig().sourcesKey);
  await withDatabase(async (db) => {
    const reports = await pushGrades(db, key, { source: name, retryFailed: opts.retryFailed });
    if (opts.json) console.log(JSON.stringify(reports, null, 2));
    else if (!reports.length) console.log('no grades waiting');
    for (const r of opts.json ? [] : reports) {
      console.log(`${r.source}: ${r.requeued === undefined ? '' : `${r.requeued} failed rows queued again, `}${r.delivered} delivered, ${r.failed} refused by the source, ${r.pending} waiting${r.waiting ? ` (${r.waiting})` : ''}`);
    }
    if (reports.some((r) => r.failed || r.waiting)) process.exitCode = 1;
  });
}

export async function listSourcesCommand() {
  await withDatabase(async (db) => console.log(JSON.stringify(await listSources(db.orm.em.fork()), null, 2)));
}

export async function testSourceCommand(name: string) {
  const key = sourcesKey(loadConfig().sourcesKey);
  await withDatabase(async (db) => {
    const report = await probeSource(db.orm.em.fork(), key, name);
    console.log(report.auth === 'oauth1' ? `${name}: signed requests accepted` : `${name}: token ok`);
    if (report.pushGrades) console.log(`  grades sent back: ${report.pushGrades.ok ? 'ok' : 'FAILED'}: ${report.pushGrades.note}`);
    for (const c of report.collections) {
      console.log(`  ${c.collection.padEnd(20)} ${c.error === undefined
        ? `${String(c.records).padStart(5)} on the first page${c.total === undefined ? '' : `, ${c.total} in all`}`
        : `${c.skipped ? 'skipped by sync' : 'FAILED'}: ${c.error}`}`);
    }
    if (!report.ok) process.exitCode = 1;
  });
}

export async function removeSourceCommand(name: string) {
  await withDatabase(async (db) => {
    if (!(await removeSource(db.orm.em.fork(), name))) throw new Error(`no source ${name}`);
    console.log(`removed source ${name}; the records it delivered stay, belonging to no source`);
  });
}

function formatReport(r: SyncReport): string {
  const lines = [`${r.source}: ${r.mode}${r.dryRun ? ' dry run' : ''} sync ${r.ok ? 'succeeded' : 'FAILED'} in ${r.seconds.toFixed(1)} s`
    + (r.since ? ` (changes since ${r.since})` : '')];
  if (r.ok) lines.push(`  ${r.changed} records changed, ${r.deleted} marked tobedeleted${r.dryRun ? ' (nothing written)' : ''}`);
  if (r.ok && r.adopted !== undefined) lines.push(`  ${r.adopted} records here of no source ${r.dryRun ? 'would become' : 'became'} this source's (--adopt)`);
  for (const [collection, n] of Object.entries(r.fetched)) lines.push(`  fetched ${collection.padEnd(20)} ${n}`);
  for (const [collection, why] of Object.entries(r.skipped)) lines.push(`  skipped ${collection.padEnd(20)} ${why}`);
  if (r.error) lines.push(`  error: ${r.error}`);
  for (const e of r.errors) lines.push(`  ${e.url || '(stored data)'} ${e.sourcedId} ${e.field}: ${e.reason}`);
  return lines.join('\n');
}

/** A bar per collection on a terminal; plain lines on stderr otherwise; nothing with --json (stdout stays the report). */
function progress(source: string, json: boolean): { opts: SyncOptions; stop(): void } {
  if (json) return { opts: {}, stop: () => undefined };
  const line = (message: string) => process.stderr.write(`${source}: ${message}\n`);
  if (!process.stderr.isTTY) return { opts: { onProgress: line }, stop: () => undefined };
  const bars = new cliProgress.MultiBar({ format: `${source} {collection} |{bar}| {value}/{total}`, hideCursor: true, clearOnComplete: false, stream: process.stderr },
    cliProgress.Presets.shades_classic);
  const open = new Map<string, cliProgress.SingleBar>();
  return {
    opts: {
      onProgress: (message) => { if (message.startsWith('retrying') || message.startsWith('skipped')) bars.log(`${source}: ${message}\n`); },
      onPage: (collection, fetched, total) => {
        const bar = open.get(collection) ?? bars.create(total ?? fetched, 0, { collection: collection.padEnd(16) });
        open.set(collection, bar);
        bar.setTotal(Math.max(total ?? fetched, fetched));
        bar.update(fetched);
      },
    },
    stop: () => bars.stop(),
  };
}

export async function syncCommand(name: string | undefined, opts: { full?: boolean; dryRun?: boolean; adopt?: boolean; json?: boolean }) {
  const key = sourcesKey(loadConfig().sourcesKey);
  await withDatabase(async (db) => {
    const names = name ? [name] : await sourceNames(db.orm.em.fork());
    if (!names.length) throw new Error('no sources; add one with `oneroster-graph sources add`');
    const reports: SyncReport[] = [];
    const stop = stopOnSignals();
    try {
      for (const n of names) {
        if (stop.signal.aborted) break;
        const shown = progress(n, !!opts.json);
        const report = await syncSource(db, key, n, { full: opts.full, dryRun: opts.dryRun, adopt: opts.adopt, ...shown.opts, signal: stop.signal }).finally(() => shown.stop());
        reports.push(report);
        if (!opts.json) console.log(formatReport(report));
      }
    } finally {
      stop.release();
    }
    if (opts.json) console.log(JSON.stringify(name ? reports[0] : reports, null, 2));
    if (reports.some((r) => !r.ok)) process.exitCode = stop.exitCode ?? 1;
  });
}

/**
 * Ctrl-C (or SIGTERM) stops the run under way: its requests are cut, nothing of it is kept, and it is
 * recorded as failed with the reason, so `sources list` never shows a run that is not going on. A second
 * signal exits at once (the database rolls back what was not committed; the next run clears the rest).
 */
function stopOnSignals(): { signal: AbortSignal; exitCode?: number; release(): void } {
  const controller = new AbortController();
  const state: { signal: AbortSignal; exitCode?: number; release(): void } = { signal: controller.signal, release: () => undefined };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = () => {
      if (controller.signal.aborted) process.exit(state.exitCode);
      state.exitCode = name === 'SIGINT' ? 130 : 143;
      process.stderr.write(`stopping the sync (${name}): nothing of the run under way is kept; again to quit at once\n`);
      controller.abort(new Error(`interrupted by ${name}; nothing of the run was kept`));
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  state.release = () => { for (const [name, handler] of handlers) process.off(name, handler); };
  return state;
}
