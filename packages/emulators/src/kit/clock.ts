/** The emulator's notion of "now": real time plus an offset, or frozen. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Current time in whole epoch seconds (Stripe `created`, webhook `t=`). */
  nowSeconds(): number;
  /** Moves time forward by `ms` (negative values are refused). */
  advance(ms: number): number;
  /** Jumps to `ms` (forwards or backwards); real time keeps flowing from there unless frozen. */
  set(ms: number): number;
  /** Whether time stands still between `advance`/`set` calls. */
  readonly frozen: boolean;
}

/** Options for {@link createClock}. */
export interface ClockOptions {
  /** Epoch ms the clock reads at creation (default: the real time). */
  start?: number;
  /** When true, time moves only through `advance`/`set` (deterministic tests). */
  frozen?: boolean;
  /** The real-time source (default `Date.now`); injectable for tests. */
  realNow?: () => number;
}

/**
 * Creates a clock. By default it follows real time; `advance` adds to an offset, so an
 * emulator can jump a subscription a month ahead while requests keep flowing.
 */
export function createClock(options: ClockOptions = {}): Clock {
  const realNow = options.realNow ?? Date.now;
  const frozen = options.frozen ?? false;
  let offset = options.start === undefined ? 0 : options.start - realNow();
  let frozenAt = options.start ?? realNow();

  const now = (): number => (frozen ? frozenAt : realNow() + offset);
  const set = (ms: number): number => {
    if (!Number.isFinite(ms)) throw new RangeError(`clock.set: not a finite time: ${ms}`);
    if (frozen) frozenAt = ms;
    else offset = ms - realNow();
    return now();
  };
  return {
    frozen,
    now,
    nowSeconds: () => Math.floor(now() / 1000),
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) {
        throw new RangeError(`clock.advance: ms must be a finite number ≥ 0, got ${ms}`);
      }
      return set(now() + ms);
    },
    set,
  };
}
