import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SCOPE, ALL_READ_SCOPES, METRICS_SCOPE } from '../../src/auth/scopes.js';
import type { SigningKeys } from '../../src/auth/signing-keys.js';
import { exportPackage } from '../../src/csv/export.js';
import { zipSink } from '../../src/csv/sinks.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { bearer, testApp } from '../support/app.js';
import { freePort } from '../support/cli.js';
import { testDatabase } from '../support/db.js';

/** /metrics in Prometheus text: what it counts, and who may read it. */
const ORGS = '/ims/oneroster/rostering/v1p2/orgs';

/** A CSV package of a small seeded district, exported from a scratch database. */
async function districtZip(): Promise<Buffer> {
  const scratch = await testDatabase();
  try {
    await seedDistrict(scratch.orm.em, { schools: 1, students: 10, seed: 5 });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'og-metrics-')), 'p.zip');
    await exportPackage(scratch, zipSink(fs.createWriteStream(file)));
    return fs.readFileSync(file);
  } finally {
    await scratch.close();
  }
}

/** The value of one sample line, e.g. `name{a="b"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let db: Database;
let zip: Buffer;
beforeAll(async () => {
  zip = await districtZip();
  db = await testDatabase();
}, 240_000);
afterAll(async () => { await db?.close(); });

describe('/metrics on the service port', () => {
  let app: FastifyInstance;
  let keys: SigningKeys;
  afterAll(async () => { await app?.close(); });

  it('needs a token with the metrics scope', async () => {
    ({ app, keys } = await testApp(db, { LOG_LEVEL: 'silent' }));
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: { authorization: await bearer(keys, ALL_READ_SCOPES) } })).statusCode).toBe(403);
    const ok = await app.inject({ url: '/metrics', headers: { authorization: await bearer(keys, [METRICS_SCOPE]) } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toContain('text/plain');
  });

  it('counts requests by route template, status and client id; latency; pool; statements per GraphQL operation; imports', async () => {
    const admin = await bearer(keys, [ADMIN_SCOPE]);
    const imported = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: zip, headers: { 'content-type': 'application/zip', authorization: admin } });
    expect(imported.statusCode).toBe(200);
    const written = imported.json().written as Record<string, { upserted: number }>;
    expect(written.users.upserted).toBeGreaterThan(0);

    const reader = await bearer(keys, ALL_READ_SCOPES);
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: ORGS, headers: { authorization: reader } })).statusCode).toBe(200);
    expect((await app.inject({ url: `${ORGS}/no-such-org-42`, headers: { authorization: reader } })).statusCode).toBe(404);
    expect((await app.inject({ url: '/no/such/path/abc123' })).statusCode).toBe(404);
    const graph = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: reader, 'content-type': 'application/json' },
      payload: { query: '{ orgs(first: 3) { edges { node { sourcedId name } } } }' } });
    expect(graph.statusCode).toBe(200);
    expect(graph.json().data.orgs.edges.length).toBeGreaterThan(0);

    const text = (await app.inject({ url: '/metrics', headers: { authorization: await bearer(keys, [METRICS_SCOPE]) } })).body;
    expect(sample(text, `oneroster_http_requests_total{route="${ORGS}",method="GET",status="200",client_id="test-client"}`)).toBe(3);
    expect(sample(text, `oneroster_http_requests_total{route="${ORGS}/:p0",method="GET",status="404",client_id="test-client"}`)).toBe(1);
    expect(sample(text, 'oneroster_http_requests_total{route="unmatched",method="GET",status="404",client_id=""}')).toBe(1);
    expect(sample(text, 'oneroster_http_requests_total{route="/admin/csv/import",method="POST",status="200",client_id="test-client"}')).toBe(1);
    expect(text).not.toContain('no-such-org-42'); // templates, never raw paths
    expect(text).not.toContain('abc123');
    expect(sample(text, `oneroster_http_request_duration_seconds_count{route="${ORGS}",method="GET"}`)).toBe(3);
    expect(sample(text, 'oneroster_graphql_operation_statements_count')).toBe(1);
    expect(sample(text, 'oneroster_graphql_operation_statements_sum')).toBeGreaterThan(0);
    expect(sample(text, 'oneroster_db_pool_connections{state="in_use"}')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'oneroster_db_pool_connections{state="waiting"}')).toBe(0);
    expect(sample(text, 'oneroster_db_pool_connections{state="max"}')).toBeGreaterThan(0);
    expect(sample(text, 'oneroster_csv_import_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(sample(text, 'oneroster_csv_import_records_total{table="users",action="upserted"}')).toBe(written.users.upserted);
    expect(text).toContain('process_resident_memory_bytes');
  }, 240_000);
});

describe('/metrics on METRICS_PORT', () => {
  it('is served there without a token, and not on the service port', async () => {
    const port = freePort();
    const { app } = await testApp(db, { LOG_LEVEL: 'silent', METRICS_PORT: String(port) });
    try {
      await app.ready();
      expect((await app.inject({ url: ORGS })).statusCode).toBe(401);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`oneroster_http_requests_total{route="${ORGS}",method="GET",status="401",client_id=""} 1`);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      expect((await app.inject({ url: '/metrics', headers: { authorization: `Bearer x` } })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow(); // closed with the app
  });
});
