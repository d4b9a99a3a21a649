import { describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../src/auth/failure-limiter.js';

function setup(opts: { maxFailures?: number; windowSeconds?: number; maxKeys?: number } = {}) {
  const clock = { t: 1_000_000 };
  const limiter = new FailureLimiter({ ...opts, now: () => clock.t });
  return { clock, limiter };
}

describe('FailureLimiter', () => {
  it('blocks after 5 failures within 60 s, until the window passes', () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < 4; i++) {
      limiter.recordFailure(['a']);
      clock.t += 1000;
    }
    expect(limiter.check(['a'])).toBeNull();
    limiter.recordFailure(['a']); // 5th, first one was 4 s ago
    expect(limiter.check(['a'])).toEqual({ retryAfterSeconds: 56 });
    clock.t += 55_500;
    expect(limiter.check(['a'])).toEqual({ retryAfterSeconds: 1 });
    clock.t += 500; // the first failure leaves the window: only 4 remain in it
    expect(limiter.check(['a'])).toBeNull();
  });

  it('is a sliding window: old failures stop counting', () => {
    const { clock, limiter } = setup({ maxFailures: 3, windowSeconds: 10 });
    limiter.recordFailure(['a']);
    clock.t += 10_000;
    limiter.recordFailure(['a']);
    limiter.recordFailure(['a']);
    expect(limiter.check(['a'])).toBeNull();
    limiter.recordFailure(['a']);
    expect(limiter.check(['a'])).toEqual({ retryAfterSeconds: 10 });
  });

  it('reports the longest wait among the keys and keeps keys independent', () => {
    const { clock, limiter } = setup({ maxFailures: 2, windowSeconds: 30 });
    limiter.recordFailure(['client:x', 'addr:1']);
    clock.t += 10_000;
    limiter.recordFailure(['client:y', 'addr:1']);
    expect(limiter.check(['addr:1'])).toEqual({ retryAfterSeconds: 20 });
    expect(limiter.check(['client:x'])).toBeNull();
    expect(limiter.check(['client:x', 'addr:2'])).toBeNull();
    limiter.recordFailure(['client:z']);
    limiter.recordFailure(['client:z']);
    expect(limiter.check(['addr:1', 'client:z'])).toEqual({ retryAfterSeconds: 30 });
  });

  it('a success clears only the keys given, not the others', () => {
    const { limiter } = setup({ maxFailures: 2 });
    limiter.recordFailure(['client:x', 'addr:1']);
    limiter.recordFailure(['client:x', 'addr:1']);
    limiter.recordSuccess(['client:x']);
    expect(limiter.check(['client:x'])).toBeNull();
    expect(limiter.check(['addr:1'])).not.toBeNull();
  });

  it('bounds memory: stale keys are swept, then the oldest dropped', () => {
    const { clock, limiter } = setup({ maxFailures: 1, windowSeconds: 10, maxKeys: 3 });
    limiter.recordFailure(['stale']);
    clock.t += 20_000;
    limiter.recordFailure(['a']);
    limiter.recordFailure(['b']);
    limiter.recordFailure(['c']); // 4 keys > 3: 'stale' swept
    expect(limiter.check(['a'])).not.toBeNull();
    limiter.recordFailure(['d']); // nothing stale: oldest ('a') dropped
    expect(limiter.check(['a'])).toBeNull();
    expect(limiter.check(['d'])).not.toBeNull();
  });
});
