import type { RevsyncError } from '../model/revsync-error.ts';

/** How often and how patiently a step is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 8). */
  maxAttempts?: number;
  /** Delay before the second attempt (default 500 ms). */
  initialDelayMs?: number;
  /** Growth per attempt (default 2). */
  multiplier?: number;
  /** Upper bound for one delay (default 5 minutes). */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY_POLICY: Required<RetryPolicy> = {
  maxAttempts: 8,
  initialDelayMs: 500,
  multiplier: 2,
  maxDelayMs: 5 * 60_000,
};

/** What to do after a step attempt failed. */
export type RetryDecision =
  | { action: 'retry'; delayMs: number }
  /** Wait without using up an attempt: the other side is rate limiting or its circuit is open. */
  | { action: 'defer'; delayMs: number }
  | { action: 'park' };

/**
 * Decides the next move after attempt number `attempt` (1-based) failed with `error`.
 * Non-retryable errors park at once. Rate limits and open circuits defer without using up an
 * attempt, honouring the other side's `retryAfterMs`. Other retryable errors back off
 * exponentially with "equal jitter" (half fixed, half random) until attempts run out; a
 * `retryAfterMs` longer than the backoff wins.
 */
export function decideRetry(
  error: RevsyncError,
  attempt: number,
  policy: RetryPolicy = {},
  random: () => number = Math.random,
): RetryDecision {
  const p = { ...DEFAULT_RETRY_POLICY, ...policy };
  if (!error.retryable) return { action: 'park' };
  if (error.code === 'rate_limited' || error.code === 'circuit_open') {
    const base = error.retryAfterMs ?? backoff(p, Math.min(attempt, 6));
    return { action: 'defer', delayMs: Math.round(base + base * 0.1 * random()) };
  }
  if (attempt >= p.maxAttempts) return { action: 'park' };
  const exp = backoff(p, attempt);
  const jittered = exp / 2 + (exp / 2) * random();
  return { action: 'retry', delayMs: Math.round(Math.max(jittered, error.retryAfterMs ?? 0)) };
}

function backoff(p: Required<RetryPolicy>, attempt: number): number {
  return Math.min(p.maxDelayMs, p.initialDelayMs * p.multiplier ** Math.max(0, attempt - 1));
}
