import { describe, expect, it } from 'vitest';
import { createConcurrencyLimiter } from './concurrency-limiter.ts';
import { createRateLimiter } from './rate-limiter.ts';

describe('createRateLimiter', () => {
  it('allows `limit` per window per key, then says when to retry', () => {
    let now = 0;
    const limiter = createRateLimiter({ limit: 25, windowMs: 1000, now: () => now });
    for (let i = 0; i < 25; i++) expect(limiter.take('sk_a').allowed).toBe(true);
    const refused = limiter.take('sk_a');
    expect(refused).toEqual({ allowed: false, remaining: 0, retryAfterMs: 40, limit: 25 });
    expect(limiter.take('sk_b').allowed).toBe(true);
    now += 40;
    expect(limiter.take('sk_a').allowed).toBe(true);
    expect(limiter.take('sk_a').allowed).toBe(false);
    now += 1000;
    expect(limiter.take('sk_a').remaining).toBe(24);
  });

  it('supports a burst capacity, costs, usage and reset', () => {
    let now = 0;
    const limiter = createRateLimiter({ limit: 10, windowMs: 1000, burst: 2, now: () => now });
    expect(limiter.take('k', 2)).toMatchObject({ allowed: true, remaining: 0, limit: 2 });
    expect(limiter.used('k')).toBe(2);
    expect(limiter.take('k')).toMatchObject({ allowed: false, retryAfterMs: 100 });
    limiter.reset('k');
    expect(limiter.used('k')).toBe(0);
    now += 10_000;
    expect(limiter.take('k', 3).allowed).toBe(false);
  });

  it('rejects nonsense options', () => {
    expect(() => createRateLimiter({ limit: 0, windowMs: 1000 })).toThrow(RangeError);
  });
});

describe('createConcurrencyLimiter', () => {
  it('caps in-flight requests per key and frees a slot once', () => {
    const pool = createConcurrencyLimiter({ max: 2 });
    const r1 = pool.tryAcquire('acct');
    const r2 = pool.tryAcquire('acct');
    expect(r1 && r2).toBeTruthy();
    expect(pool.tryAcquire('acct')).toBeUndefined();
    expect(pool.tryAcquire('other')).toBeDefined();
    r1?.();
    r1?.();
    expect(pool.inFlight('acct')).toBe(1);
    expect(pool.tryAcquire('acct')).toBeDefined();
    expect(pool.tryAcquire('acct')).toBeUndefined();
  });
});
