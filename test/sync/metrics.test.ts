import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_SCOPE } from '../../src/auth/scopes.js';
import { syncSource } from '../../src/sync/run.js';
import { addSource } from '../../src/sync/sources.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { bearer, TEST_SIGNING_KEY } from '../support/app.js';
import { collection, instance, listen, SOURCES_KEY, upstreamClient, type Instance } from './support.js';

/** The value of one sample line of Prometheus text. */
const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('sync runs in /metrics', () => {
  let upstream: Instance;
  let gateway: Instance;

  beforeAll(async () => {
    upstream = await instance({ schools: 1, students: 12, seed: 9 });
    gateway = await instance();
    const base = await listen(upstream.app);
    const credentials = await upstreamClient(upstream.db);
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'sis', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: credentials.client_id, clientSecret: credentials.client_secret,
    });
    await addSource(gateway.db.orm.em.fork(), SOURCES_KEY, {
      name: 'broken', baseUrl: base, version: '1.2', auth: 'oauth2', tokenUrl: `${base}/oauth/token`,
      clientId: credentials.client_id, clientSecret: 'not-the-secret',
    });
  });
  afterAll(async () => {
    await upstream?.app.close();
    await gateway?.app.close();
    await upstream?.db.close();
    await gateway?.db.close();
  });

  it('counts durations by source, mode and outcome, records fetched per collection and written per table', async () => {
    const full = await syncSource(gateway.db, SOURCES_KEY, 'sis');
    expect(full.error).toBeUndefined();
    const again = await syncSource(gateway.db, SOURCES_KEY, 'sis');
    expect(again.mode).toBe('incremental');
    const failed = await syncSource(gateway.db, SOURCES_KEY, 'broken');
    expect(failed.ok).toBe(false);

    const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv });
    const res = await gateway.app.inject({ url: '/metrics', headers: { authorization: await bearer(keys, [METRICS_SCOPE]) } });
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(sample(text, 'oneroster_sync_duration_seconds_count{source="sis",mode="full",outcome="ok"}')).toBe(1);
    expect(sample(text, 'oneroster_sync_duration_seconds_count{source="sis",mode="incremental",outcome="ok"}')).toBe(1);
    expect(sample(text, 'oneroster_sync_duration_seconds_count{source="broken",mode="full",outcome="failed"}')).toBe(1);
    expect(sample(text, 'oneroster_sync_duration_seconds_sum{source="sis",mode="full",outcome="ok"}')).toBeCloseTo(full.seconds, 3);
    const users = (await collection(upstream, 'users')).length;
    expect(sample(text, 'oneroster_sync_fetched_records_total{source="sis",collection="users"}')).toBe(users + again.fetched.users);
    expect(full.tables.users.changed).toBe(users);
    expect(sample(text, 'oneroster_sync_records_total{source="sis",table="users",action="changed"}')).toBe(users);
    expect(sample(text, 'oneroster_sync_records_total{source="sis",table="users",action="marked_deleted"}')).toBe(0);
    expect(text).not.toContain('not-the-secret');
  }, 240_000);
});
