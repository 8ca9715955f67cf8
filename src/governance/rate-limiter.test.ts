import { describe, expect, it } from 'vitest';
import { KeyRateLimiter } from './rate-limiter.ts';

describe('KeyRateLimiter', () => {
  it('allows a burst, then refuses with the time until the next token, per key', () => {
    let now = 0;
    const limiter = new KeyRateLimiter({
      limits: { viewer: { ratePerSecond: 2, burst: 3 } },
      now: () => now,
    });
    expect([1, 2, 3].map(() => limiter.take('a', 'viewer').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a', 'viewer')).toEqual({ allowed: false, retryAfterMs: 500 });
    // Another key has its own bucket; another role its own limit (the default, 20/s burst 40).
    expect(limiter.take('b', 'viewer').allowed).toBe(true);
    expect(limiter.limitOf('admin')).toEqual({ ratePerSecond: 20, burst: 40 });
    now += 250;
    expect(limiter.take('a', 'viewer')).toEqual({ allowed: false, retryAfterMs: 250 });
    now += 250;
    expect(limiter.take('a', 'viewer')).toEqual({ allowed: true, remaining: 0 });
    now += 60_000;
    expect(limiter.take('a', 'viewer')).toEqual({ allowed: true, remaining: 2 });
  });

  it('does not limit a role whose rate is 0', () => {
    const limiter = new KeyRateLimiter({ limits: { admin: { ratePerSecond: 0, burst: 0 } } });
    for (let i = 0; i < 100; i++) expect(limiter.take('k', 'admin').allowed).toBe(true);
  });
});
