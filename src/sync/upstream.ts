/**
 * HTTP client of one upstream OneRoster 1.2 provider: an OAuth 2 client-credentials token (cached
 * until shortly before it expires), and every page of a collection. Transient faults (429 with its
 * Retry-After, 5xx, timeouts, dropped connections) are retried with exponential backoff and jitter
 * (p-retry); then the request fails with an UpstreamError naming the URL. Tokens and secrets never
 * appear in an error message.
 */
import LinkHeader from 'http-link-header';
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import { basePath } from '../rest/endpoints.js';
import type { Service } from '../rest/openapi.js';
import { OAuth1Signer } from './oauth1-signer.js';
import { DEFAULT_PAGE_SIZE, type Source } from './sources.js';

export interface UpstreamOptions {
  /** Records asked for per page (the upstream may silently return fewer; paging copes). */
  pageSize?: number;
  /**
   * Requests of one collection in flight at once while the upstream pages by plain limit/offset (the
   * upstream's database and its rendering then overlap); 1 asks for each page only after the previous one.
   */
  pagesInFlight?: number;
  /** Per request, body included. */
  timeoutMs?: number;
  /** Retries of one request after its first attempt. */
  retries?: number;
  /** First backoff delay; doubled per retry, times a random factor of 1-2, at most maxRetryDelayMs. */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** A Retry-After longer than this fails the request rather than stalling the run. */
  maxRetryAfterMs?: number;
  /** Largest response body accepted, in bytes. */
  maxPageBytes?: number;
  /** Called before each retry, for progress output (never with credentials). */
  onRetry?: (url: string, reason: string, attempt: number) => void;
  /** Stops the requests in flight and any retry: they fail with the signal's reason. */
  signal?: AbortSignal;
}

type Tuning = Required<Omit<UpstreamOptions, 'onRetry' | 'signal'>>;

const DEFAULTS: Tuning = {
  pageSize: DEFAULT_PAGE_SIZE, pagesInFlight: 2, timeoutMs: 30_000, retries: 6, minRetryDelayMs: 500, maxRetryDelayMs: 30_000,
  maxRetryAfterMs: 120_000, maxPageBytes: 256 * 1024 ** 2,
};

export class UpstreamError extends Error {
  /** `status`: the upstream's HTTP status, when it answered with one. */
  constructor(message: string, readonly url: string, readonly retryable: boolean, readonly retryAfterMs?: number, readonly status?: number) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** One record as fetched, with the page it came from (reports name the upstream URL). */
export interface Fetched { url: string; record: Record<string, unknown> }

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
const retryAfterMs = (value: string | null): number | undefined => {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
};


export class Upstream {
  private readonly opts: Tuning & Pick<UpstreamOptions, 'onRetry' | 'signal'>;
  private token?: { value: string; expiresAt: number };
  private tokenRequest?: Promise<string>;
  /** The scopes the token endpoint said it granted (its `scope`), when it said. */
  grantedScopes?: string[];
  private readonly origin: string;
  /** A request of this client ran out of time: no more pages are asked for ahead (pages()). */
  private timedOut = false;
  /** OneRoster 1.1 sources with --auth oauth1: requests are signed instead of carrying a token. */
  private readonly signer?: OAuth1Signer;

  constructor(private readonly source: Source, opts: UpstreamOptions = {}) {
    // An option given as undefined keeps its default.
    this.opts = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
    this.origin = new URL(source.baseUrl).origin;
    if (source.auth === 'oauth1') this.signer = new OAuth1Signer(source.clientId, source.clientSecret);
  }

  /** The collection's first URL: base URL, the service's base path (1.1 or 1.2), the path, paging and filter. */
  collectionUrl(service: Service, path: string, offset: number, filter?: string): string {
    const url = new URL(`${this.source.baseUrl}${basePath(service, this.source.version === '1.1' ? 'v1p1' : 'v1p2')}${path}`);
    url.searchParams.set('limit', String(this.opts.pageSize));
    url.searchParams.set('offset', String(offset));
    if (filter) url.searchParams.set('filter', filter);
    return url.toString();
  }

  /**
   * Every page of a collection, as it arrives, so that a caller need not hold them all. Follows Link
   * rel=next while the upstream sends one on its own origin; otherwise pages by offset, advancing by what
   * actually arrived (a provider may cap `limit` silently), until X-Total-Count is reached or, without a
   * total, an empty page. The next page is requested before the current one is handed over: the upstream
   * prepares it while the caller checks this one. While full pages arrive and the next link is the plain
   * limit/offset URL, the pages after it are asked for too (`pagesInFlight`); a page is only ever used
   * when it is the URL the paging itself arrives at, so a guess the upstream's links contradict is dropped.
   */
  async *pages(service: Service, path: string, wrapper: string, filter?: string):
    AsyncGenerator<{ url: string; records: Record<string, unknown>[]; total?: number }> {
    const visited = new Set<string>();
    const inFlight = new Map<string, ReturnType<Upstream['get']>>();
    const request = (target: string) => {
      if (!inFlight.has(target)) {
        const pending = this.get(target);
        pending.catch(() => undefined); // awaited when its turn comes; a caller that stops early leaves no unhandled rejection
        inFlight.set(target, pending);
      }
    };
    let offset = 0;
    let url = this.collectionUrl(service, path, 0, filter);
    visited.add(url);
    request(url);
    for (;;) {
      const page = await inFlight.get(url)!;
      inFlight.delete(url);
      const records = page.body[wrapper];
      if (!Array.isArray(records)) throw new UpstreamError(`upstream response has no "${wrapper}" list: ${url}`, url, false);
      for (const record of records) {
        if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new UpstreamError(`upstream "${wrapper}" holds a non-object: ${url}`, url, false);
      }
      offset += records.length;
      const linked = page.next === undefined ? undefined : this.sameOrigin(page.next, url);
      let next: string | undefined;
      if (records.length === 0) next = undefined;
      else if (linked) next = linked;
      // Without a total, a Link header without rel=next marks the last page.
      else if (!(page.total !== undefined ? offset >= page.total : page.hasLinks && page.next === undefined)) next = this.collectionUrl(service, path, offset, filter);
      if (next !== undefined) {
        if (visited.has(next)) throw new UpstreamError(`upstream paging loops back to ${next}`, next, false);
        visited.add(next);
        if (!inFlight.has(next)) inFlight.clear(); // guesses the upstream's paging went past: dropped
        request(next);
        const plain = records.length === this.opts.pageSize && page.total !== undefined && next === this.collectionUrl(service, path, offset, filter);
        // After a timeout, one request at a time: an upstream that answers one request after another makes a
        // request in flight wait for the one before it, and so time out too.
        const depth = this.timedOut ? 1 : this.opts.pagesInFlight;
        for (let k = 1; plain && k < depth && offset + k * records.length < page.total!; k++) {
          request(this.collectionUrl(service, path, offset + k * records.length, filter));
        }
      }
      yield { url, records: records as Record<string, unknown>[], total: page.total };
      if (next === undefined) break;
      url = next;
    }
  }

  /** The first page of a collection: how many records it held and the total the upstream announced, if any. */
  async firstPage(service: Service, path: string, wrapper: string): Promise<{ url: string; records: number; total?: number }> {
    const url = this.collectionUrl(service, path, 0);
    const page = await this.get(url);
    const records = page.body[wrapper];
    if (!Array.isArray(records)) throw new UpstreamError(`upstream response has no "${wrapper}" list: ${url}`, url, false);
    return { url, records: records.length, total: page.total };
  }

  /**
   * The next link, when it stays on the source's origin. One elsewhere (a SIS behind a proxy that names its
   * internal host or scheme) would carry our token there: it is not followed, and paging goes on by offset.
   */
  private sameOrigin(next: string, from: string): string | undefined {
    let url: URL;
    try {
      url = new URL(next, from);
    } catch {
      throw new UpstreamError(`upstream sent an unreadable Link rel=next at ${from}`, from, false);
    }
    return url.origin === this.origin ? url.toString() : undefined;
  }

  /** The Authorization header of one attempt: the bearer token, or an OAuth 1.0a signature of this very request. */
  async authorization(method: string, url: string): Promise<string> {
    return this.signer ? this.signer.authorization(method, url) : `Bearer ${await this.accessToken()}`;
  }

  /** GET with the bearer token (or a signature) and retries; a 401 fetches a new token once (it may have been revoked), or signs anew. */
  async get(url: string): Promise<{ body: Record<string, unknown>; next?: string; total?: number; hasLinks: boolean }> {
    let renewed = false;
    return this.retrying(url, async () => {
      const res = await this.request(url, { headers: { authorization: await this.authorization('GET', url), accept: 'application/json' } });
      if (res.status === 401 && !renewed) {
        renewed = true;
        this.token = undefined;
        throw new UpstreamError(`upstream refused the ${this.signer ? 'signature' : 'token'}: ${url}`, url, true);
      }
      const body = await this.readJson(res, url);
      const link = res.headers.get('link');
      const totalHeader = res.headers.get('x-total-count');
      const total = totalHeader !== null && /^\d+$/.test(totalHeader) ? Number(totalHeader) : undefined;
      let next: string | undefined;
      if (link) {
        try {
          next = LinkHeader.parse(link).rel('next')[0]?.uri;
        } catch {
          throw new UpstreamError(`upstream sent an unreadable Link header: ${url}`, url, false);
        }
      }
      return { body, next, total, hasLinks: !!link };
    });
  }

  /**
   * One PUT (JSON body) or DELETE of the grade outbox (src/sync/outbox-deliver.ts), with no retry of its own: the outbox keeps the schedule. A 401 renews
   * the token once. A failure is an UpstreamError, retryable for 401 (after the renewal), 408, 429, 5xx,
   * transport faults and token-endpoint faults (those belong to the source, not to the record); its message carries the
   * upstream's imsx description, never the token. A 404 to a DELETE counts as done.
   */
  async send(method: 'PUT' | 'DELETE', url: string, body?: unknown): Promise<number> {
    for (let renewed = false; ; renewed = true) {
      let authorization: string;
      try {
        authorization = await this.authorization(method, url);
      } catch (err) {
        throw new UpstreamError(`token: ${(err as Error).message}`, url, true);
      }
      const res = await this.request(url, {
        method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: { authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      });
      const text = await res.text().catch(() => '');
      if (res.status === 401 && !renewed) {
        this.token = undefined;
        continue;
      }
      // A DELETE of a record the upstream does not have leaves it as the DELETE would: done.
      if (res.ok || (method === 'DELETE' && res.status === 404)) return res.status;
      let detail = '';
      try {
        const description = (JSON.parse(text) as { imsx_description?: unknown }).imsx_description;
        if (typeof description === 'string') detail = `: ${description.slice(0, 300)}`;
      } catch { /* not an imsx body: the status says enough */ }
      // A 401 to a fresh token is the source's credentials, not the record: every row would fail alike.
      const retryable = res.status === 401 || res.status === 408 || res.status === 429 || res.status >= 500;
      throw new UpstreamError(`upstream answered ${res.status} to ${method} ${url}${detail}`, url, retryable, res.status === 429 ? retryAfterMs(res.headers.get('retry-after')) : undefined);
    }
  }

  /** The cached token, or a new one from the token endpoint (client_secret_basic, RFC 6749 §2.3.1). */
  async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    // Requests setting out together (pages in flight, a batch of grades) share one token request.
    this.tokenRequest ??= this.requestToken().finally(() => (this.tokenRequest = undefined));
    return this.tokenRequest;
  }

  private async requestToken(): Promise<string> {
    const url = this.source.tokenUrl;
    if (!url) throw new UpstreamError(`source ${this.source.name} has no token URL (it signs its requests with OAuth 1.0a)`, this.source.baseUrl, false);
    const basic = Buffer.from(`${encodeURIComponent(this.source.clientId)}:${encodeURIComponent(this.source.clientSecret)}`).toString('base64');
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.source.scope) form.set('scope', this.source.scope);
    const body = await this.retrying(url, async () => this.readJson(await this.request(url, {
      method: 'POST', body: form.toString(),
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    }), url));
    if (typeof body.access_token !== 'string' || !body.access_token) throw new UpstreamError(`token endpoint answered without an access_token: ${url}`, url, false);
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    // Renewed a little early, so that no request sets out with a token about to expire.
    this.token = { value: body.access_token, expiresAt: Date.now() + Math.max(ttl * 1000 - 30_000, ttl * 500) };
    if (typeof body.scope === 'string') this.grantedScopes = body.scope.split(/\s+/).filter(Boolean);
    return this.token.value;
  }

  private async request(url: string, init: RequestInit): Promise<Response> {
    try {
      const timeout = AbortSignal.timeout(this.opts.timeoutMs);
      return await fetch(url, { ...init, redirect: 'error', signal: this.opts.signal ? AbortSignal.any([this.opts.signal, timeout]) : timeout });
    } catch (err) {
      throw this.transportError(err, url);
    }
  }

  private transportError(err: unknown, url: string): UpstreamError {
    if (err instanceof UpstreamError) return err;
    if (this.opts.signal?.aborted) return new UpstreamError(this.stopped(), url, false);
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError') this.timedOut = true;
    const reason = name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms`
      : `connection failed (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`;
    return new UpstreamError(`upstream ${reason}: ${url}`, url, true);
  }

  /** The body as a JSON object; a status that is not 2xx becomes an UpstreamError (retryable for 408, 429 and 5xx). */
  private async readJson(res: Response, url: string): Promise<Record<string, unknown>> {
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      throw new UpstreamError(`upstream answered ${res.status}: ${url}`, url, retryable, res.status === 429 ? retryAfterMs(res.headers.get('retry-after')) : undefined, res.status);
    }
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > this.opts.maxPageBytes) throw new UpstreamError(`upstream page of ${length} bytes is over the ${this.opts.maxPageBytes}-byte limit: ${url}`, url, false);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.transportError(err, url); // dropped mid-body or too slow
    }
    if (text.length > this.opts.maxPageBytes) throw new UpstreamError(`upstream page is over the ${this.opts.maxPageBytes}-byte limit: ${url}`, url, false);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new UpstreamError(`upstream answered with something that is not JSON: ${url}`, url, false);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UpstreamError(`upstream answered with JSON that is not an object: ${url}`, url, false);
    return body as Record<string, unknown>;
  }

  private retrying<T>(url: string, attempt: () => Promise<T>): Promise<T> {
    return pRetry(async () => {
      try {
        return await attempt();
      } catch (err) {
        const e = this.transportError(err, url);
        throw e.retryable ? e : new AbortError(e);
      }
    }, {
      retries: this.opts.retries, factor: 2, minTimeout: this.opts.minRetryDelayMs, maxTimeout: this.opts.maxRetryDelayMs, randomize: true,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft === 0) return;
        const wait = (error as UpstreamError).retryAfterMs;
        if (wait !== undefined && wait > this.opts.maxRetryAfterMs) {
          throw new UpstreamError(`upstream asks to retry after ${Math.round(wait / 1000)} s, longer than the ${this.opts.maxRetryAfterMs / 1000} s allowed: ${url}`, url, false);
        }
        this.opts.onRetry?.(url, error.message, attemptNumber);
        // 429: wait what the upstream asked for; p-retry's own backoff comes on top.
        if (wait) await sleep(wait, undefined, { signal: this.opts.signal });
      },
      signal: this.opts.signal,
    }).catch((err: unknown) => {
      if (this.opts.signal?.aborted) throw new UpstreamError(this.stopped(), url, false);
      if (err instanceof UpstreamError && err.retryable) throw new UpstreamError(`${err.message} (gave up after ${this.opts.retries + 1} attempts)`, url, false, undefined, err.status);
      throw err;
    });
  }

  /** Why the caller stopped the run (the signal's reason), for the error that ends it. */
  private stopped(): string {
    const reason: unknown = this.opts.signal?.reason;
    return reason instanceof Error ? reason.message : String(reason ?? 'stopped');
  }
}
