/**
 * Scheduled reconciliation (`recon: { every, periods }` in the configuration): `revsync start`
 * reconciles the last N accounting periods every interval and stores each run. Runs never
 * overlap: the next one is due `every` after the previous one started, and starts only once the
 * previous one has finished (a run that takes longer than the interval delays the next). A tick
 * that finds another reconciliation running (one started through the API) is skipped.
 */
import type { Logger } from 'pino';
import { parseDuration } from '../api/metrics-summary.ts';
import type { Clock } from '../engine/clock.ts';
import { ConflictError } from '../model/revsync-error.ts';
import { lastPeriods, type ReconRunner, type ReconRunOutcome } from './recon-runs.ts';

/** `every` of the configuration in milliseconds: `'15m'`, `'1h'`, `'30s'`, `'1d'`, or seconds. */
export function reconIntervalMs(every: string | number): number {
  const ms = typeof every === 'number' ? every * 1000 : parseDuration(every);
  if (ms === undefined || !(ms > 0)) throw new RangeError(`recon.every: not a duration: ${every}`);
  return ms;
}

export interface ReconScheduleOptions {
  runner: ReconRunner;
  everyMs: number;
  /**
   * Which periods each run covers: N — the current month and the N-1 before it — or `'open'`:
   * of the last `openWindow` (default 12) months, those `lockedPeriods` does not name.
   */
  periods: number | 'open';
  openWindow?: number;
  /** The periods the ERP refuses postings in (`YYYY-MM`), read on each run for `'open'`. */
  lockedPeriods?: () => Promise<string[]>;
  subsidiary?: string;
  /** Which month is current (the periods); the interval itself is measured in real time. */
  clock: Clock;
  logger?: Logger;
}

export class ReconSchedule {
  readonly #o: ReconScheduleOptions;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<unknown> | undefined;
  #stopped = true;

  constructor(options: ReconScheduleOptions) {
    this.#o = options;
  }

  /** Starts the schedule: the first run now, then one every interval. */
  start(): void {
    this.#stopped = false;
    this.#next(0);
  }

  /** Stops scheduling and waits for a run in progress to be stored. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#current;
  }

  /**
   * Reconciles the last N periods now and stores them; `undefined` when another reconciliation
   * was running (skipped). A failed run is stored as failed and logged, never thrown.
   */
  async tick(): Promise<ReconRunOutcome | undefined> {
    let periods: string[] = [];
    try {
      periods = await this.periods();
      return await this.#o.runner.run({
        trigger: 'schedule',
        actor: 'schedule',
        periods,
        ...(this.#o.subsidiary !== undefined && { subsidiary: this.#o.subsidiary }),
      });
    } catch (caught) {
      if (caught instanceof ConflictError) {
        this.#o.logger?.info(
          { running: this.#o.runner.running },
          'scheduled reconciliation skipped: another one is running',
        );
      } else {
        this.#o.logger?.error({ err: caught, periods }, 'scheduled reconciliation failed');
      }
      return undefined;
    }
  }

  /** The periods the next run covers, oldest first. */
  async periods(): Promise<string[]> {
    const { periods, clock } = this.#o;
    if (periods !== 'open') return lastPeriods(clock.now(), periods);
    const window = lastPeriods(clock.now(), this.#o.openWindow ?? 12);
    const locked = new Set((await this.#o.lockedPeriods?.()) ?? []);
    return window.filter((p) => !locked.has(p));
  }

  #next(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      const started = Date.now();
      const run = this.tick();
      this.#current = run;
      void run.finally(() => {
        this.#current = undefined;
        this.#next(Math.max(0, started + this.#o.everyMs - Date.now()));
      });
    }, delayMs);
    this.#timer.unref();
  }
}
