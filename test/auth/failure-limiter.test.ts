import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../src/auth/failure-limiter.js';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { testDatabase } from '../support/db.js';

let db: Database;
beforeAll(async () => { db = await testDatabase(); });
afterAll(async () => { await db?.close(); });
beforeEach(async () => { await runSql(db.orm.em.fork(), 'delete from auth_failures'); });

function setup(opts: { maxFailures?: number; windowSeconds?: number; maxKeys?: number } = {}) {
  const clock = { t: 1_000_000 };
  const limiter = new FailureLimiter(db.orm.em, { ...opts, now: () => clock.t });
  return { clock, limiter };
}

describe('FailureLimiter', async () => {
  it('blocks after 5 failures within 60 s, until the window passes', async () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < 4; i++) {
      await limiter.recordFailure(['a']);
      clock.t += 1000;
    }
    expect(await limiter.check(['a'])).toBeNull();
    await limiter.recordFailure(['a']); // 5th, first one was 4 s ago
    expect(await limiter.check(['a'])).toEqual({ retryAfterSeconds: 56 });
    clock.t += 55_500;
    expect(await limiter.check(['a'])).toEqual({ retryAfterSeconds: 1 });
    clock.t += 500; // the first failure leaves the window: only 4 remain in it
    expect(await limiter.check(['a'])).toBeNull();
  });

  it('is a sliding window: old failures stop counting', async () => {
    const { clock, limiter } = setup({ maxFailures: 3, windowSeconds: 10 });
    await limiter.recordFailure(['a']);
    clock.t += 10_000;
    await limiter.recordFailure(['a']);
    await limiter.recordFailure(['a']);
    expect(await limiter.check(['a'])).toBeNull();
    await limiter.recordFailure(['a']);
    expect(await limiter.check(['a'])).toEqual({ retryAfterSeconds: 10 });
  });

  it('reports the longest wait among the keys and keeps keys independent', async () => {
    const { clock, limiter } = setup({ maxFailures: 2, windowSeconds: 30 });
    await limiter.recordFailure(['client:x', 'addr:1']);
    clock.t += 10_000;
    await limiter.recordFailure(['client:y', 'addr:1']);
    expect(await limiter.check(['addr:1'])).toEqual({ retryAfterSeconds: 20 });
    expect(await limiter.check(['client:x'])).toBeNull();
    expect(await limiter.check(['client:x', 'addr:2'])).toBeNull();
    await limiter.recordFailure(['client:z']);
    await limiter.recordFailure(['client:z']);
    expect(await limiter.check(['addr:1', 'client:z'])).toEqual({ retryAfterSeconds: 30 });
  });

  it('a success clears only the keys given, not the others', async () => {
    const { limiter } = setup({ maxFailures: 2 });
    await limiter.recordFailure(['client:x', 'addr:1']);
    await limiter.recordFailure(['client:x', 'addr:1']);
    await limiter.recordSuccess(['client:x']);
    expect(await limiter.check(['client:x'])).toBeNull();
    expect(await limiter.check(['addr:1'])).not.toBeNull();
  });

  it('bounds memory: stale keys are swept, then the oldest dropped', async () => {
    const { clock, limiter } = setup({ maxFailures: 1, windowSeconds: 10, maxKeys: 3 });
    await limiter.recordFailure(['stale']);
    clock.t += 20_000;
    await limiter.recordFailure(['a']);
    await limiter.recordFailure(['b']);
    await limiter.recordFailure(['c']); // 4 keys > 3: 'stale' swept
    expect(await limiter.check(['a'])).not.toBeNull();
    await limiter.recordFailure(['d']); // nothing stale: oldest ('a') dropped
    expect(await limiter.check(['a'])).toBeNull();
    expect(await limiter.check(['d'])).not.toBeNull();
  });
});
