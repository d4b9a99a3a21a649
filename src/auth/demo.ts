/**
 * The zero-setup demo of a fresh embedded store: GraphiQL comes pre-filled with a read token, but
 * only for requests from this machine (loopback, not relayed by a proxy), only while the store holds
 * nothing but the demo district, and never with the demographics scope.
 *
 * "Nothing but the demo district": the demo seed writes a marker holding, per OneRoster table, the row
 * count and the latest dateLastModified. Any import or write changes one of them; from the first
 * request that sees the difference the marker is deleted, for good.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyRequest } from 'fastify';
import { column, joined, run, sql } from '../db/sql.js';
import { entityDefs } from '../model/index.js';
import { ClientStore } from './clients.js';
import { ALL_READ_SCOPES } from './scopes.js';
import type { SigningKeys } from './signing-keys.js';
import { issueAccessToken } from './tokens.js';

const MARKER = 'demo-district';

/** Every read scope but demographics (v1.2 and v1.1). */
export const DEMO_GRAPHIQL_SCOPES: readonly string[] = ALL_READ_SCOPES.filter((s) => !s.endsWith('/roster-demographics.readonly'));

interface Marker { clientId: string; fingerprint: string }

async function fingerprint(em: EntityManager): Promise<string> {
  const parts = entityDefs.map((def) =>
    sql`select ${def.table}::text as t, count(*)::int as n, ${def.base ? sql`max(${column(def.table, 'date_last_modified')})::text` : sql`null::text`} as m
      from ${sql.table(def.table)}`);
  const rows = await run(em.fork(), sql`${joined(parts, sql` union all `)} order by 1`);
  return JSON.stringify(rows.map((r) => [r.t, r.n, r.m]));
}

/** Called by the demo seed, right after it loaded the district and created the demo client. */
export async function markDemoDistrict(em: EntityManager, clientId: string): Promise<void> {
  const marker: Marker = { clientId, fingerprint: await fingerprint(em) };
  await run(em.fork(), sql`insert into server_settings (name, value) values (${MARKER}, ${JSON.stringify(marker)}::jsonb)
    on conflict (name) do update set value = excluded.value`);
}

/** The demo client while the store still holds only the demo district; null (and the marker gone) otherwise. */
export async function demoClientIfPristine(em: EntityManager): Promise<string | null> {
  const [row] = await run(em.fork(), sql`select value from server_settings where name = ${MARKER}`);
  if (!row) return null;
  const marker = row.value as Marker;
  if (marker.fingerprint === (await fingerprint(em))) return marker.clientId;
  await run(em.fork(), sql`delete from server_settings where name = ${MARKER}`);
  return null;
}

/** A direct connection from this machine: loopback peer and no proxy header naming another client. */
export function isLocalRequest(req: FastifyRequest): boolean {
  const peer = req.socket.remoteAddress ?? '';
  const loopback = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/.test(peer);
  return loopback && req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined;
}

/** `graphiqlHeadersFor(request)`: the pre-filled GraphiQL headers for this request, or undefined. */
export function demoGraphiqlHeaders(em: EntityManager, keys: SigningKeys, ttlSeconds: number) {
  const clients = new ClientStore(em);
  return async (req: FastifyRequest): Promise<string | undefined> => {
    if (!isLocalRequest(req)) return undefined;
    const clientId = await demoClientIfPristine(em);
    const generation = clientId === null ? null : await clients.tokenGeneration(clientId);
    if (clientId === null || generation === null) return undefined;
    const token = await issueAccessToken(keys, { clientId, scopes: [...DEMO_GRAPHIQL_SCOPES], ttlSeconds, generation });
    return JSON.stringify({ Authorization: `Bearer ${token.access_token}` }, null, 2);
  };
}
