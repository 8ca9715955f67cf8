import { PRIORITY_ORDER, type Lane } from './lanes.ts';

/** Limits of one API account, shared by every flow that uses it. */
export interface GovernorLimits {
  /** Requests per second (a smooth token bucket); 0 or undefined = unlimited. */
  ratePerSecond?: number;
  /** Tokens that may be spent at once after a quiet spell (default 1: evenly spaced). */
  burst?: number;
  /** Requests in flight at once; undefined = unlimited. */
  maxConcurrent?: number;
}

/** What the governor reports about itself (metrics, dashboard). */
export interface GovernorState {
  ratePerSecond: number | null;
  maxConcurrent: number | null;
  inFlight: number;
  queued: Record<Lane, number>;
  pausedUntil: number | null;
  granted: number;
}

interface Waiter {
  lane: Lane;
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The outbound governor of one API account: a token bucket for the rate limit, a cap on requests
 * in flight, a pause when the other side answered 429 with `Retry-After`, and priority lanes —
 * a waiting payment or posting is served before a waiting backfill, whatever arrived first.
 */
export class Governor {
  #limits: GovernorLimits;
  #tokens: number;
  #refilledAt: number;
  #inFlight = 0;
  #pausedUntil = 0;
  #granted = 0;
  readonly #queues: Record<Lane, Waiter[]> = { critical: [], high: [], normal: [], low: [] };
  #timer: NodeJS.Timeout | undefined;
  readonly #now: () => number;

  constructor(limits: GovernorLimits = {}, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#limits = limits;
    this.#tokens = limits.burst ?? 1;
    this.#refilledAt = this.#now();
  }

  /** Changes the limits (configuration reload, or a limit learned from response headers). */
  setLimits(limits: GovernorLimits): void {
    this.#limits = { ...this.#limits, ...limits };
    this.#tokens = Math.min(this.#tokens, this.#capacity());
    this.#drain();
  }

  get limits(): GovernorLimits {
    return { ...this.#limits };
  }

  /**
   * Waits for a permit in `lane`; resolves with the function that returns it. Rejects if
   * `signal` aborts while waiting.
   */
  acquire(lane: Lane = 'normal', signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter: Waiter = { lane, resolve, reject };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          const queue = this.#queues[lane];
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queues[lane].push(waiter);
      this.#drain();
    });
  }

  /** Stops granting permits until `ms` from now (the other side said Retry-After). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
    this.#tokens = 0;
    this.#drain();
  }

  state(): GovernorState {
    return {
      ratePerSecond: this.#limits.ratePerSecond || null,
      maxConcurrent: this.#limits.maxConcurrent ?? null,
      inFlight: this.#inFlight,
      queued: {
        critical: this.#queues.critical.length,
        high: this.#queues.high.length,
        normal: this.#queues.normal.length,
        low: this.#queues.low.length,
      },
      pausedUntil: this.#pausedUntil > this.#now() ? this.#pausedUntil : null,
      granted: this.#granted,
    };
  }

  #capacity(): number {
    return Math.max(1, this.#limits.burst ?? 1);
  }

  #refill(now: number): void {
    const rate = this.#limits.ratePerSecond;
    if (!rate) return;
    const elapsed = now - this.#refilledAt;
    this.#refilledAt = now;
    this.#tokens = Math.min(this.#capacity(), this.#tokens + (elapsed * rate) / 1000);
  }

  #next(): Waiter | undefined {
    for (const lane of PRIORITY_ORDER) {
      const waiter = this.#queues[lane].shift();
      if (waiter) return waiter;
    }
    return undefined;
  }

  #hasWaiters(): boolean {
    return PRIORITY_ORDER.some((lane) => this.#queues[lane].length > 0);
  }

  #drain(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#now();
    this.#refill(now);
    while (this.#hasWaiters()) {
      if (now < this.#pausedUntil) return this.#wakeAt(this.#pausedUntil - now);
      if (this.#limits.maxConcurrent !== undefined && this.#inFlight >= this.#limits.maxConcurrent)
        return;
      const rate = this.#limits.ratePerSecond;
      if (rate && this.#tokens < 1) return this.#wakeAt(((1 - this.#tokens) * 1000) / rate);
      const waiter = this.#next()!;
      if (rate) this.#tokens -= 1;
      this.#inFlight += 1;
      this.#granted += 1;
      if (waiter.signal && waiter.onAbort)
        waiter.signal.removeEventListener('abort', waiter.onAbort);
      let released = false;
      waiter.resolve(() => {
        if (released) return;
        released = true;
        this.#inFlight -= 1;
        this.#drain();
      });
    }
  }

  #wakeAt(ms: number): void {
    this.#timer = setTimeout(() => this.#drain(), Math.max(1, Math.ceil(ms)));
  }
}
