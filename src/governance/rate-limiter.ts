import type { Role } from './roles.ts';

/** A token bucket: `ratePerSecond` tokens refill per second, at most `burst` held. */
export interface RateLimit {
  /** Sustained requests per second; 0 means unlimited. */
  ratePerSecond: number;
  /** Requests that may be made at once after a quiet spell. */
  burst: number;
}

/** Default per-key limit for every role: 20 requests per second, bursts of 40. */
export const DEFAULT_RATE_LIMIT: RateLimit = { ratePerSecond: 20, burst: 40 };

/** The answer for one request. */
export type RateDecision =
  { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Per-key rate limiting for the HTTP API: one token bucket per API key, sized by the key's role.
 * In memory, per server process: with several API processes each enforces its own share.
 */
export class KeyRateLimiter {
  readonly #limits: Record<Role, RateLimit>;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: { limits?: Partial<Record<Role, RateLimit>>; now?: () => number } = {}) {
    this.#limits = {
      viewer: options.limits?.viewer ?? DEFAULT_RATE_LIMIT,
      operator: options.limits?.operator ?? DEFAULT_RATE_LIMIT,
      approver: options.limits?.approver ?? DEFAULT_RATE_LIMIT,
      admin: options.limits?.admin ?? DEFAULT_RATE_LIMIT,
    };
    this.#now = options.now ?? Date.now;
  }

  /** The limit that applies to a role. */
  limitOf(role: Role): RateLimit {
    return this.#limits[role];
  }

  /** Takes one token from the key's bucket, or says how long until one is available. */
  take(keyId: string, role: Role): RateDecision {
    const limit = this.#limits[role];
    if (limit.ratePerSecond <= 0) return { allowed: true, remaining: Number.POSITIVE_INFINITY };
    const burst = Math.max(1, limit.burst);
    const now = this.#now();
    const bucket = this.#buckets.get(keyId) ?? { tokens: burst, at: now };
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * limit.ratePerSecond) / 1000);
    bucket.at = now;
    this.#buckets.set(keyId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    return {
      allowed: false,
      retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / limit.ratePerSecond),
    };
  }
}
