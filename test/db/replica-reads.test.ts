import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/db/config.js';
import { openDatabase } from '../../src/db/orm.js';
import { RecentWriters } from '../../src/db/replica-reads.js';
import { replicaRouting } from '../../src/db/replica-routing.js';

/** The settings and the read-your-writes window of read replicas; test/ops/replica.test.ts runs real replicas. */
describe('read replica settings', () => {
  it('reads DATABASE_REPLICA_URL as a comma-separated list and the window in milliseconds', () => {
    const config = loadConfig({ DATABASE_REPLICA_URL: 'postgres://r1/db, postgres://r2/db,', REPLICA_READ_YOUR_WRITES_MS: '2500' } as NodeJS.ProcessEnv);
    expect(config.databaseReplicaUrls).toEqual(['postgres://r1/db', 'postgres://r2/db']);
    expect(config.replicaReadYourWritesMs).toBe(2500);
    expect(loadConfig({} as NodeJS.ProcessEnv)).toMatchObject({ databaseReplicaUrls: [], replicaReadYourWritesMs: 5000 });
    expect(() => loadConfig({ REPLICA_READ_YOUR_WRITES_MS: 'soon' } as NodeJS.ProcessEnv)).toThrow(/whole number/);
  });

  it('refuses replicas without a primary server', async () => {
    await expect(openDatabase({ databaseReplicaUrls: ['postgres://r1/db'], dataDir: '', embeddedConnections: 1, statementTimeoutMs: 1000 }))
      .rejects.toThrow(/DATABASE_REPLICA_URL needs DATABASE_URL/);
  });
});

describe('read-your-writes window', () => {
  it('keeps a writer on the primary for the window, per client', () => {
    let now = 1_000;
    const writers = new RecentWriters(3_000, () => now);
    expect(writers.wroteRecently('a')).toBe(false);
    writers.noteWrite('a');
    now += 2_999;
    expect([writers.wroteRecently('a'), writers.wroteRecently('b')]).toEqual([true, false]);
    now += 1;
    expect(writers.wroteRecently('a')).toBe(false);
  });

  it('sends reads to a replica only when one is configured and the client has not just written', async () => {
    expect(replicaRouting({ hasReplicas: false, windowMs: 5_000 }).mayRead('a')).toBe(false);
    const routing = replicaRouting({ hasReplicas: true, windowMs: 5_000 });
    expect(routing.mayRead('a')).toBe(true);
    await routing.noteWrite('a');
    expect([routing.mayRead('a'), routing.mayRead('b')]).toEqual([false, true]);
    const noWindow = replicaRouting({ hasReplicas: true, windowMs: 0 });
    await noWindow.noteWrite('a');
    expect(noWindow.mayRead('a')).toBe(true);
  });
});
