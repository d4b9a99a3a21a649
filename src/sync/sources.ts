import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql } from '../db/sql.js';
import type { Service } from '../rest/openapi.js';
import { laterRowOf } from './outbox-rows.js';
import { openSecret, sealSecret } from './source-secrets.js';

export const SERVICES: readonly Service[] = ['rostering', 'gradebook', 'resources'];

/** What `sources add` is given; the secret only ever lives in memory in the clear. */
export interface SourceInput {
  name: string;
  baseUrl: string;
  version: string;
  /** Default: oauth1 for 1.1, oauth2 for 1.2. */
  auth?: string;
  tokenUrl?: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  services?: string;
  prefix?: string;
  /** `15m`, `1h`, `30s`: how often `serve` syncs the source. */
  every?: string;
  /** Send line items and results written here for this source's classes back to it (src/sync/outbox-*.ts). */
  pushGrades?: boolean;
  /** Records asked for per page (`--page-size`); default 1,000. */
  pageSize?: string;
  /** Grade requests sent at once (`--push-concurrency`); default 4. */
  pushConcurrency?: string;
}

export type SourceVersion = '1.1' | '1.2';
/** oauth2: client credentials with a token endpoint; oauth1: every request signed with OAuth 1.0a (1.1 sources only). */
export type SourceAuth = 'oauth1' | 'oauth2';

/** A source as the sync uses it, secret opened. */
export interface Source {
  name: string;
  baseUrl: string;
  version: SourceVersion;
  auth: SourceAuth;
  /** Only with oauth2. */
  tokenUrl?: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  services: Service[];
  prefix?: string;
  /** Records asked for per page; undefined: the client's default (src/sync/upstream.ts). */
  pageSize?: number;
  /** `--push-grades` (as stored; loadSource gives it). */
  pushGrades?: boolean;
  /** Grade requests sent at once; undefined: DEFAULT_PUSH_CONCURRENCY. */
  pushConcurrency?: number;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `30s`, `15m`, `2h`, `1d` → seconds (at most 30 days). */
export function parseEvery(value: string): number {
  const m = /^(\d{1,7})([smhd])$/.exec(value);
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[m[2]!]! : 0;
  if (!m || seconds < 1 || seconds > 30 * 86_400) throw new Error('--every must be a whole number with s, m, h or d (e.g. 15m), between 1s and 30d');
  return seconds;
}
/** Records asked for per page unless the source says otherwise (`--page-size`). */
export const DEFAULT_PAGE_SIZE = 1000;

/** Most providers cap `limit` at some size of their own (paging copes with a silent cap); larger pages cost more memory per page in flight. */
export const MAX_PAGE_SIZE = 10_000;

/** Grade requests in flight to one source unless it says otherwise (`--push-concurrency`). */
export const DEFAULT_PUSH_CONCURRENCY = 4;

/** A SIS is a shared server: more than this many writes at once from one client is more than a district should ask of it. */
export const MAX_PUSH_CONCURRENCY = 16;

/** A whole number from 1 to max, or an error naming the option. */
function wholeNumber(option: string, value: string, max: number): number {
  const n = /^\d{1,6}$/.test(value) ? Number(value) : 0;
  if (n < 1 || n > max) throw new Error(`${option} must be a whole number from 1 to ${max}`);
  return n;
}

/** `--page-size`: a whole number of records from 1 to MAX_PAGE_SIZE. */
export const parsePageSize = (value: string) => wholeNumber('--page-size', value, MAX_PAGE_SIZE);

// A prefix becomes part of sourcedIds, so it may only hold sourcedId characters (src/shared/sourced-id.ts).
const PREFIX = /^[0-9A-Za-z.\-_/@]{1,32}$/;

function httpUrl(option: string, value: string | undefined): string {
  let url: URL;
  try {
    url = new URL(value ?? '');
  } catch {
    throw new Error(`${option} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${option} must be an absolute http(s) URL`);
  if (url.username || url.password) throw new Error(`${option} must not carry credentials; use --client-id and --client-secret`);
  return url.toString().replace(/\/+$/, '');
}

/** The part of the source's URLs before `/ims/oneroster/...`; a URL that goes on past it is refused, naming the right one. */
function sourceBaseUrl(value: string | undefined): string {
  const base = httpUrl('--base-url', value);
  const url = new URL(base);
  if (url.search || url.hash) throw new Error('--base-url takes no query or fragment');
  const at = url.pathname.indexOf('/ims/oneroster');
  if (at >= 0) throw new Error(`--base-url is what comes before /ims/oneroster/...: give ${url.origin}${url.pathname.slice(0, at)}`);
  return base;
}

/**
 * Version and authentication go together: the 1.1 REST binding signs requests with OAuth 1.0a (many 1.1
 * providers also take OAuth 2 bearer tokens, as this server does); 1.2 is OAuth 2 only. Without --auth,
 * each version's own binding is meant.
 */
function checkVersionAndAuth(input: SourceInput): { version: SourceVersion; auth: SourceAuth; tokenUrl?: string } {
  if (input.version !== '1.1' && input.version !== '1.2') throw new Error('--version must be 1.1 or 1.2');
  const version: SourceVersion = input.version;
  const auth = input.auth || (version === '1.1' ? 'oauth1' : 'oauth2');
  if (auth !== 'oauth1' && auth !== 'oauth2') throw new Error('--auth must be oauth1 (1.1 sources) or oauth2');
  if (auth === 'oauth1' && version === '1.2') {
    throw new Error('--auth oauth1 is for --version 1.1 sources only: OneRoster 1.2 providers use OAuth 2 client credentials (--auth oauth2 --token-url URL)');
  }
  if (auth === 'oauth2') return { version, auth, tokenUrl: httpUrl('--token-url', input.tokenUrl) };
  if (input.tokenUrl) {
    throw new Error(`--token-url is not used with --auth oauth1${input.auth ? '' : ' (the default for --version 1.1)'}: each request is signed with the client secret, `
      + 'no token is fetched; for a 1.1 provider that takes OAuth 2 bearer tokens, add --auth oauth2');
  }
  if (input.scope) throw new Error('--scope is not used with --auth oauth1: the upstream client\'s own scopes apply');
  return { version, auth };
}

/** Checks every option before anything is stored; a specific message per mistake. */
export function checkSourceInput(input: SourceInput): Source & { everySeconds?: number; pushGrades: boolean } {
  if (!NAME.test(input.name)) throw new Error('source name must be 1-64 of A-Z a-z 0-9 . _ -');
  const { version, auth, tokenUrl } = checkVersionAndAuth(input);
  if (!input.clientId) throw new Error('--client-id is required');
  if (!input.clientSecret) throw new Error('--client-secret is required');
  const services = (input.services ?? 'rostering').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of services) if (!SERVICES.includes(s as Service)) throw new Error(`unknown service "${s}" (rostering, gradebook, resources)`);
  if (!services.length) throw new Error('--services names no service');
  const notRostering = services.filter((s) => s !== 'rostering');
  if (version === '1.1' && notRostering.length) throw new Error(`--services ${notRostering.join(',')}: a 1.1 source synchronises rostering only`);
  if (input.prefix !== undefined && !PREFIX.test(input.prefix)) throw new Error('--prefix must be 1-32 of 0-9 A-Z a-z . - _ / @');
  return {
    name: input.name, baseUrl: sourceBaseUrl(input.baseUrl), version, auth,
    tokenUrl, clientId: input.clientId, clientSecret: input.clientSecret,
    scope: input.scope || undefined, services: [...new Set(services)] as Service[], prefix: input.prefix,
    everySeconds: input.every === undefined ? undefined : parseEvery(input.every),
    pushGrades: input.pushGrades === true,
    pageSize: input.pageSize === undefined ? undefined : parsePageSize(input.pageSize),
    pushConcurrency: input.pushConcurrency === undefined ? undefined : wholeNumber('--push-concurrency', input.pushConcurrency, MAX_PUSH_CONCURRENCY),
  };
}

export async function addSource(em: EntityManager, key: Buffer, input: SourceInput): Promise<void> {
  const s = checkSourceInput(input);
  const sealed = sealSecret(key, s.clientSecret, s.name);
  const rows = await run(em, sql`insert into sources (name, base_url, version, auth, token_url, client_id, client_secret_sealed, scope, services, prefix,
      every_seconds, push_grades, page_size, push_concurrency, created_at)
    values (${s.name}, ${s.baseUrl}, ${s.version}, ${s.auth}, ${s.tokenUrl ?? null}, ${s.clientId}, ${sealed}, ${s.scope ?? null},
      array(select jsonb_array_elements_text(${JSON.stringify(s.services)}::jsonb)), ${s.prefix ?? null}, ${s.everySeconds ?? null}, ${s.pushGrades},
      ${s.pageSize ?? null}, ${s.pushConcurrency ?? null}, now())
    on conflict (name) do nothing returning name`);
  if (!rows.length) throw new Error(`a source named ${s.name} exists already; remove it first`);
}

export async function loadSource(em: EntityManager, key: Buffer, name: string): Promise<Source> {
  const [row] = await run(em, sql`select * from sources where name = ${name}`);
  if (!row) throw new Error(`no source ${name}`);
  return {
    name: String(row.name), baseUrl: String(row.base_url), version: row.version as SourceVersion, auth: row.auth as SourceAuth,
    tokenUrl: (row.token_url as string | null) ?? undefined,
    clientId: String(row.client_id), clientSecret: openSecret(key, String(row.client_secret_sealed), String(row.name)),
    scope: (row.scope as string | null) ?? undefined, services: row.services as Service[], prefix: (row.prefix as string | null) ?? undefined,
    pageSize: (row.page_size as number | null) ?? undefined, pushGrades: row.push_grades === true,
    pushConcurrency: (row.push_concurrency as number | null) ?? undefined,
  };
}

/** Sources with a schedule whose last run (of any outcome) started at least their interval ago, or never ran. */
export async function dueSources(em: EntityManager): Promise<string[]> {
  const rows = await run(em, sql`select s.name from sources s where s.every_seconds is not null
    and coalesce((select max(started_at) from sync_runs r where r.source_name = s.name and not r.dry_run), '-infinity'::timestamptz)
      <= now() - make_interval(secs => s.every_seconds) order by s.name`);
  return rows.map((r) => String(r.name));
}

export async function sourceNames(em: EntityManager): Promise<string[]> {
  return (await run(em, sql`select name from sources order by name`)).map((r) => String(r.name));
}

/** The outbox row a source's grades last failed on: waiting for a retry (`gaveUp: false`, `at` its next attempt) or refused for good. */
export interface PushFailure { recordType: string; sourcedId: string; method: string; attempts: number; error: string; at: string; gaveUp: boolean }

/** A timestamp as the database driver gives it (a Date, or text in the database's format) in ISO 8601, UTC. */
const isoTime = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string | Date).toISOString());

/** An outbox row `o` no later write of its record follows: a refused grade written again is no longer a failure (the newer write is sent, or was). */
const notSuperseded = sql`not ${laterRowOf('o')}`;

/** Every source with its last runs and its grade outbox; never the secret, sealed or not. Times in ISO 8601 (UTC). */
export async function listSources(em: EntityManager) {
  const rows = await run(em, sql`select s.name, s.base_url, s.version, s.auth, s.token_url, s.client_id, s.scope, s.services, s.prefix, s.every_seconds,
      s.page_size, s.created_at,
      (select row_to_json(r) from (select id, mode, dry_run as "dryRun", started_at as "startedAt", finished_at as "finishedAt", status, error, fetched, changed, deleted, skipped
         from sync_runs where source_name = s.name order by id desc limit 1) r) as last_run,
      (select max(finished_at) from sync_runs where source_name = s.name and status = 'succeeded' and not dry_run) as last_success,
      (select error from sync_runs where source_name = s.name and status = 'failed' order by id desc limit 1) as last_error,
      (select count(*)::int from source_records where source_name = s.name) as records,
      s.push_grades, s.push_concurrency,
      (select count(*)::int from grade_outbox o where o.source_name = s.name and o.delivered_at is null and o.failed_at is null) as push_pending,
      (select count(*)::int from grade_outbox o where o.source_name = s.name and o.failed_at is not null and ${notSuperseded}) as push_failed,
      (select row_to_json(f) from (select o.record_type as "recordType", o.sourced_id as "sourcedId", o.method, o.attempts, o.last_error as error,
         coalesce(o.failed_at, o.next_attempt_at) as at, o.failed_at is not null as "gaveUp"
         from grade_outbox o where o.source_name = s.name and o.last_error is not null and o.delivered_at is null
           and (o.failed_at is null or ${notSuperseded})
         order by o.failed_at is null desc, o.id desc limit 1) f) as push_last_failure
    from sources s order by s.name`);
  return rows.map((r) => {
    const lastRun = r.last_run as Record<string, unknown> | null;
    const failure = r.push_last_failure as PushFailure | null;
    return {
      name: r.name, baseUrl: r.base_url, version: r.version, auth: r.auth, tokenUrl: r.token_url, clientId: r.client_id,
      scope: r.scope ?? undefined, services: r.services, prefix: r.prefix ?? undefined, everySeconds: r.every_seconds ?? null, pageSize: r.page_size ?? DEFAULT_PAGE_SIZE, createdAt: isoTime(r.created_at),
      records: r.records, lastSuccess: isoTime(r.last_success), lastError: r.last_error ?? null,
      lastRun: lastRun && { ...lastRun, startedAt: isoTime(lastRun.startedAt), finishedAt: isoTime(lastRun.finishedAt) },
      pushGrades: { on: r.push_grades === true, concurrency: r.push_concurrency ?? DEFAULT_PUSH_CONCURRENCY, pending: Number(r.push_pending), failed: Number(r.push_failed), lastFailure: failure && { ...failure, at: isoTime(failure.at)! } },
    };
  });
}

/** What `sources update` may change: where and how the source is reached, its schedule, page size and grade push. */
export interface SourceChanges {
  baseUrl?: string;
  tokenUrl?: string;
  clientId?: string;
  /** Sealed anew under the key given to updateSource. */
  clientSecret?: string;
  /** An empty string asks for no scope. */
  scope?: string;
  /** `15m`, ..., or `off` to sync only on demand. */
  every?: string;
  pageSize?: string;
  pushConcurrency?: string;
  /**
   * Turning it off stops deliveries; rows already in the outbox stay and go out if it is turned on again.
   * Only writes made while it is on are enqueued.
   */
  pushGrades?: boolean;
}

/**
 * `sources update NAME ...`: the source as it would be after the changes is checked like a new one (same
 * messages), then stored. Name, version, services and prefix stay: they decide which records are the
 * source's and under which ids. A new secret (a rotated SIS credential) needs the key; the run history and
 * the records the source delivered stay, so the next run goes on incrementally.
 */
export async function updateSource(em: EntityManager, key: Buffer | undefined, name: string, changes: SourceChanges): Promise<void> {
  const [row] = await run(em, sql`select * from sources where name = ${name}`);
  if (!row) throw new Error(`no source ${name}`);
  const keepEvery = row.every_seconds === null ? undefined : `${String(row.every_seconds)}s`;
  const checked = checkSourceInput({
    name, version: String(row.version), auth: String(row.auth), services: (row.services as string[]).join(','), prefix: (row.prefix as string | null) ?? undefined,
    baseUrl: changes.baseUrl ?? String(row.base_url), tokenUrl: changes.tokenUrl ?? (row.token_url as string | null) ?? undefined,
    clientId: changes.clientId ?? String(row.client_id), clientSecret: changes.clientSecret ?? 'unchanged',
    scope: changes.scope ?? (row.scope as string | null) ?? undefined,
    every: changes.every === 'off' ? undefined : changes.every ?? keepEvery,
    pageSize: changes.pageSize ?? (row.page_size === null ? undefined : String(row.page_size)),
    pushGrades: changes.pushGrades ?? row.push_grades === true,
    pushConcurrency: changes.pushConcurrency ?? (row.push_concurrency === null ? undefined : String(row.push_concurrency)),
  });
  if (changes.clientSecret !== undefined && !key) throw new Error('a new --client-secret is sealed with SOURCES_KEY, which is not set');
  const sealed = changes.clientSecret === undefined ? String(row.client_secret_sealed) : sealSecret(key!, checked.clientSecret, name);
  await run(em, sql`update sources set base_url = ${checked.baseUrl}, token_url = ${checked.tokenUrl ?? null}, client_id = ${checked.clientId},
    client_secret_sealed = ${sealed}, scope = ${checked.scope ?? null}, every_seconds = ${checked.everySeconds ?? null},
    page_size = ${checked.pageSize ?? null}, push_grades = ${checked.pushGrades}, push_concurrency = ${checked.pushConcurrency ?? null}
    where name = ${name}`);
}

/** `sources update NAME --push-grades / --no-push-grades` (updateSource). */
export const setPushGrades = (em: EntityManager, name: string, on: boolean) => updateSource(em, undefined, name, { pushGrades: on });

/** Forgets a source and its run history. The records it delivered stay served, belonging to no source. */
export async function removeSource(em: EntityManager, name: string): Promise<boolean> {
  // source_records has no foreign key to cascade through (entities.ts): its rows go in the same statement.
  const [r] = await run(em, sql`with s as (delete from sources where name = ${name} returning name),
    r as (delete from source_records where source_name in (select name from s)) select count(*)::int as n from s`);
  return Number(r!.n) > 0;
}
