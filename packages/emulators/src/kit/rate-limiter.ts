/** The verdict of {@link RateLimiter.take}. */
export interface RateDecision {
  allowed: boolean;
  /** Whole tokens left for this key after this request. */
  remaining: number;
  /** When refused, how long until one token is back (ms); 0 when allowed. */
  retryAfterMs: number;
  /** The bucket's capacity. */
  limit: number;
}

/** A keyed token bucket: `limit` requests per `windowMs`, refilled continuously. */
export interface RateLimiter {
  /** Takes `cost` tokens for `key` if it has them. */
  take(key: string, cost?: number): RateDecision;
  /** Tokens used out of the limit (for headers such as `Sforce-Limit-Info: api-usage=N/M`). */
  used(key: string): number;
  /** Refills one key, or every key. */
  reset(key?: string): void;
}

/** Options for {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Requests allowed per window (Stripe test mode: 25 per 1000 ms). */
  limit: number;
  windowMs: number;
  /** Bucket capacity when bursts may exceed the steady rate (default `limit`). */
  burst?: number;
  /** Time source in ms (default `Date.now`: limits are about real load, not the emulated clock). */
  now?: () => number;
}

/**
 * Creates a token-bucket rate limiter keyed by account or credential.
 *
 * @example
 * const limiter = createRateLimiter({ limit: 25, windowMs: 1000 });
 * const d = limiter.take(apiKey);
 * if (!d.allowed) throw new EmulatorHttpError(429, body, { 'retry-after': String(Math.ceil(d.retryAfterMs / 1000)) });
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { limit, windowMs } = options;
  const capacity = options.burst ?? limit;
  if (!(limit > 0) || !(windowMs > 0) || !(capacity > 0)) {
    throw new RangeError('createRateLimiter: limit, windowMs and burst must be > 0');
  }
  const now = options.now ?? Date.now;
  const ratePerMs = limit / windowMs;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const refill = (key: string): { tokens: number; at: number } => {
    const t = now();
    const b = buckets.get(key) ?? { tokens: capacity, at: t };
    b.tokens = Math.min(capacity, b.tokens + (t - b.at) * ratePerMs);
    b.at = t;
    buckets.set(key, b);
    return b;
  };

  return {
    take(key, cost = 1) {
      const b = refill(key);
      if (b.tokens >= cost) {
        b.tokens -= cost;
        return { allowed: true, remaining: Math.floor(b.tokens), retryAfterMs: 0, limit: capacity };
      }
      const retryAfterMs = Math.ceil((cost - b.tokens) / ratePerMs);
      return { allowed: false, remaining: Math.floor(b.tokens), retryAfterMs, limit: capacity };
    },
    used: (key) => Math.ceil(capacity - refill(key).tokens),
    reset(key) {
      if (key === undefined) buckets.clear();
      else buckets.delete(key);
    },
  };
}
