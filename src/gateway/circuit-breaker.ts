/** Circuit states. */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** First open period (default 5 s); doubles on each failed probe up to `maxOpenMs`. */
  openMs?: number;
  /** Longest open period (default 2 min). */
  maxOpenMs?: number;
}

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  openedAt: number | null;
  /** When the next probe may go out (open state). */
  retryAt: number | null;
  opens: number;
}

/** What a caller may do now. */
export type CircuitDecision =
  { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

const TRANSITIONS: Record<CircuitState, readonly CircuitState[]> = {
  closed: ['open'],
  open: ['half_open'],
  half_open: ['closed', 'open'],
};

/**
 * A circuit breaker per system: after `failureThreshold` consecutive failures (5xx, timeouts,
 * connection errors — not validation errors or rate limits) it opens, and calls fail fast for
 * the open period; then one probe is let through (half-open): success closes the circuit, failure
 * opens it again for twice as long.
 */
export class CircuitBreaker {
  readonly #options: Required<CircuitOptions>;
  readonly #now: () => number;
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt: number | null = null;
  #openFor = 0;
  #probing = false;
  #opens = 0;
  readonly #listeners = new Set<(from: CircuitState, to: CircuitState) => void>();

  constructor(options: CircuitOptions = {}, clock: { now?: () => number } = {}) {
    this.#options = { failureThreshold: 5, openMs: 5_000, maxOpenMs: 120_000, ...options };
    this.#now = clock.now ?? Date.now;
    this.#openFor = this.#options.openMs;
  }

  /** Asks whether a call may go out now. */
  decide(): CircuitDecision {
    if (this.#state === 'open') {
      const retryAt = (this.#openedAt ?? 0) + this.#openFor;
      const now = this.#now();
      if (now < retryAt) return { allowed: false, retryAfterMs: retryAt - now };
      this.#move('half_open');
    }
    if (this.#state === 'half_open') {
      if (this.#probing) return { allowed: false, retryAfterMs: Math.min(1_000, this.#openFor) };
      this.#probing = true;
      return { allowed: true, probe: true };
    }
    return { allowed: true, probe: false };
  }

  /** The call reached the system and it answered (even with a 4xx). */
  recordSuccess(): void {
    this.#failures = 0;
    if (this.#state === 'half_open') {
      this.#probing = false;
      this.#openFor = this.#options.openMs;
      this.#move('closed');
    }
  }

  /** The system failed to answer properly (5xx, timeout, connection error). */
  recordFailure(): void {
    this.#failures += 1;
    if (this.#state === 'half_open') {
      this.#probing = false;
      this.#openFor = Math.min(this.#options.maxOpenMs, this.#openFor * 2);
      this.#open();
    } else if (this.#state === 'closed' && this.#failures >= this.#options.failureThreshold) {
      this.#open();
    }
  }

  snapshot(): CircuitSnapshot {
    return {
      state: this.#state,
      consecutiveFailures: this.#failures,
      openedAt: this.#openedAt,
      retryAt:
        this.#state === 'open' && this.#openedAt !== null ? this.#openedAt + this.#openFor : null,
      opens: this.#opens,
    };
  }

  /** Called on every state change. */
  onChange(listener: (from: CircuitState, to: CircuitState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#opens += 1;
    this.#move('open');
  }

  #move(to: CircuitState): void {
    const from = this.#state;
    if (from === to) return;
    if (!TRANSITIONS[from].includes(to))
      throw new Error(`invalid circuit transition ${from} → ${to}`);
    this.#state = to;
    for (const l of this.#listeners) l(from, to);
  }
}
