/** Caps the requests in flight per key (NetSuite's account-wide concurrency pool). */
export interface ConcurrencyLimiter {
  /** A release function when a slot is free, else `undefined`. Releasing twice is harmless. */
  tryAcquire(key: string): (() => void) | undefined;
  /** Requests in flight for `key`. */
  inFlight(key: string): number;
  readonly max: number;
}

/**
 * Creates a concurrency limiter.
 *
 * @example
 * const release = pool.tryAcquire(account);
 * if (!release) throw new EmulatorHttpError(429, body);
 * try { return await next(); } finally { release(); }
 */
export function createConcurrencyLimiter(options: { max: number }): ConcurrencyLimiter {
  const { max } = options;
  if (!(max >= 1)) throw new RangeError('createConcurrencyLimiter: max must be ≥ 1');
  const counts = new Map<string, number>();
  const inFlight = (key: string): number => counts.get(key) ?? 0;
  return {
    max,
    inFlight,
    tryAcquire(key) {
      if (inFlight(key) >= max) return undefined;
      counts.set(key, inFlight(key) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const n = inFlight(key) - 1;
        if (n <= 0) counts.delete(key);
        else counts.set(key, n);
      };
    },
  };
}
