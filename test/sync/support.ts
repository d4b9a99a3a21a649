import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ClientStore } from '../../src/auth/clients.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { V1P2_ENDPOINTS, basePath, type Endpoint } from '../../src/rest/endpoints.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { run, sql } from '../../src/db/sql.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { addSource } from '../../src/sync/sources.js';
import { bearer, TEST_SIGNING_KEY } from '../support/app.js';
import { testDatabase } from '../support/db.js';

export const SOURCES_KEY = Buffer.alloc(32, 7);
const READ_SCOPES = ['roster.readonly', 'roster-demographics.readonly', 'gradebook.readonly', 'assessment.readonly', 'resource.readonly'] as const;
export const READ_SCOPE_URIS = READ_SCOPES.map((s) => SCOPES[s]);
export const COLLECTIONS = ['orgs', 'academicSessions', 'courses', 'classes', 'users', 'enrollments', 'demographics'];

export interface Instance { db: Database; app: FastifyInstance; auth: string }

/** The real app on its own fresh database; `seed` loads the generated demo district into it. */
export async function instance(seed?: { schools: number; students: number; seed: number; lineItemsPerClass?: number }): Promise<Instance> {
  const db = await testDatabase();
  if (seed) await seedDistrict(db.orm.em.fork(), { classesPerStudent: 2, classSize: 8, lineItemsPerClass: 0, ...seed });
  const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv });
  const app = await buildApp({ db, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent' }), keys });
  return { db, app, auth: await bearer(keys, READ_SCOPE_URIS) };
}

/** Listens on a free loopback port; the base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** Adds `upstream` as source `name` of `gateway` (1.2, OAuth 2, a client of its own on the upstream); its base URL. */
export async function addUpstreamSource(gateway: Instance, upstream: Instance, name: string, services = 'rostering'): Promise<string> {
  const base = await listen(upstream.app);
  const credentials = await upstreamClient(upstream.db);
  await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
    name, baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
    clientId: credentials.client_id, clientSecret: credentials.client_secret, services,
  });
  return base;
}

/** Closes the instances' apps and databases (those that were made). */
export async function closeInstances(...instances: (Instance | undefined)[]): Promise<void> {
  for (const i of instances) await i?.app.close();
  for (const i of instances) await i?.db.close();
}

export async function upstreamClient(db: Database) {
  return new ClientStore(db.orm.em.fork()).add('gateway', [...READ_SCOPES]);
}

/** Every record of a root collection (a rostering one by its wrapper name, or any endpoint), sorted by sourcedId. */
export async function collection(i: Instance, name: string | Endpoint): Promise<Record<string, any>[]> {
  const [url, wrapper] = typeof name === 'string' ? [`/ims/oneroster/rostering/v1p2/${name}`, name] : [`${basePath(name.service, 'v1p2')}${name.path}`, name.wrapper];
  const res = await i.app.inject({ method: 'GET', url: `${url}?limit=10000`, headers: { authorization: i.auth } });
  expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
  const list = res.json()[wrapper] as Record<string, any>[];
  return list.sort((a, b) => (a.sourcedId < b.sourcedId ? -1 : 1));
}

/** Every root collection of the endpoint table (rostering, gradebook, resources): `/orgs`, `/schools`, `/lineItems`, ... */
export const ROOT_COLLECTIONS = V1P2_ENDPOINTS.filter((e) => e.list?.from === 'root' && !e.parents.length);

/** Records without dateLastModified (the gateway stamps its own change time, README: Aggregator). */
export const withoutStamp = (records: Record<string, any>[]) => records.map(({ dateLastModified: _, ...rest }) => rest);

/** sourcedId → dateLastModified of every record of every rostering collection. */
export async function stamps(i: Instance): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of COLLECTIONS) for (const r of await collection(i, c)) out.set(`${c}/${r.sourcedId}`, r.dateLastModified);
  return out;
}

/** Every rostering collection of the instance, every field (dateLastModified included): "exactly as before". */
export async function snapshot(i: Instance): Promise<Record<string, Record<string, any>[]>> {
  return Object.fromEntries(await Promise.all(COLLECTIONS.map(async (c) => [c, await collection(i, c)])));
}

/** The gateway serves every rostering collection as the upstream does (change times aside). */
export async function expectConverged(gateway: Instance, upstream: Instance): Promise<void> {
  for (const c of COLLECTIONS) expect(withoutStamp(await collection(gateway, c)), c).toEqual(withoutStamp(await collection(upstream, c)));
}

/** The staging tables sync runs left in the database (none once a run has ended). */
export async function stagingTables(db: Database): Promise<string[]> {
  return (await run(db.orm.em.fork(), sql`select table_name from information_schema.tables where table_schema = 'sync_stage'`)).map((r) => String(r.table_name));
}

/** Whether a request proxied by faultProxy goes to a path ending so (`/users`). */
export const requestTo = (path: string) => (req: { url?: string }) => new URL(req.url ?? '', 'http://x').pathname.endsWith(path);

/**
 * An upstream with a small demo district (`seed`), a fault proxy in front of it, and an empty gateway whose
 * source `sis` (rostering and resources) reaches the upstream through the proxy.
 */
export async function proxiedSource(seed: number): Promise<{ upstream: Instance; gateway: Instance; proxy: Awaited<ReturnType<typeof faultProxy>>;
  credentials: { client_id: string; client_secret: string } }> {
  const upstream = await instance({ schools: 1, students: 16, seed });
  const gateway = await instance();
  const proxy = await faultProxy(await listen(upstream.app));
  const credentials = await upstreamClient(upstream.db);
  await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
    name: 'sis', baseUrl: proxy.url, version: '1.2', auth: 'oauth2', tokenUrl: `${proxy.url}/oauth/token`,
    clientId: credentials.client_id, clientSecret: credentials.client_secret, services: 'rostering,resources',
  });
  return { upstream, gateway, proxy, credentials };
}

/** Forwards the request (to `url` instead of its own, if given), optionally editing the JSON body or dropping response headers. */
export /** `linkOrigin`: the origin the Link header's URLs are given (the proxy's own, unless a test names another). */
type Forward = (edit?: (body: any) => any, opts?: { url?: string; dropHeaders?: string[]; linkOrigin?: string }) => Promise<void>;
export type Fault = (req: http.IncomingMessage, res: http.ServerResponse, forward: Forward) => Promise<boolean | 'keep' | void>;

/**
 * A tiny HTTP proxy in front of the upstream. Each request is offered to the queued faults in order:
 * a fault that handles it returns true (used up) or 'keep' (stays); otherwise the request is forwarded untouched.
 * Link headers are rewritten to point back through the proxy.
 */
export async function faultProxy(target: string): Promise<{ url: string; faults: Fault[]; seen: string[]; close(): Promise<void> }> {
  const faults: Fault[] = [];
  const seen: string[] = [];
  let self = '';
  // A request still in flight when the upstream stops (a run that failed leaves its next pages asked for)
  // fails here: the client sees a dropped connection, and the test no unhandled rejection.
  const server = http.createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push(req.url ?? '');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const forward: Forward = async (edit, opts = {}) => {
      const up = await fetch(`${target}${opts.url ?? req.url}`, {
        method: req.method, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'content-length' && k !== 'connection')) as Record<string, string>,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      let text = await up.text();
      if (edit) text = JSON.stringify(edit(JSON.parse(text)));
      const headers: Record<string, string> = {};
      const dropped = ['content-length', 'content-encoding', 'transfer-encoding', 'connection', ...(opts.dropHeaders ?? [])];
      // Links name the upstream's own address; a reverse proxy rewrites them to its own.
      up.headers.forEach((v, k) => { if (!dropped.includes(k)) headers[k] = k === 'link' ? v.split(target).join(opts.linkOrigin ?? self) : v; });
      res.writeHead(up.status, headers).end(text);
    };
    for (let i = 0; i < faults.length; i++) {
      const fault = faults[i];
      const handled = await fault(req, res, forward);
      if (handled) {
        // indexOf: a request handled meanwhile may have changed the list.
        if (handled !== 'keep' && faults.includes(fault)) faults.splice(faults.indexOf(fault), 1);
        return;
      }
    }
    await forward();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: self, faults, seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A record as an upstream that knows its records without `prefix` should hold it: hrefs and change times are each server's own. */
export function upstreamView(prefix: string) {
  const strip = (id: string) => (id.startsWith(prefix) ? id.slice(prefix.length) : id);
  const convert = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(convert);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'href' && k !== 'dateLastModified')
      .map(([k, v]) => [k, k === 'sourcedId' ? strip(String(v)) : convert(v)]));
  };
  return { strip, convert };
}
