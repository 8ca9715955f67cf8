import type { Logger } from 'pino';
import type { PollSource } from '../connectors/ports.ts';
import { coerceError } from '../model/revsync-error.ts';
import type { Inbox } from '../store/inbox.ts';
import type { EntityKeyResolver } from './entity-keys.ts';

export interface PollRunnerOptions {
  inbox: Inbox;
  keys: EntityKeyResolver;
  logger: Logger;
  /** Pause between polls of one source when it had nothing more (default 1 s). */
  intervalMs?: number;
  /** A source's own pause, where it differs from `intervalMs` (e.g. per connection). */
  intervalOf?: (source: PollSource) => number | undefined;
  /** Longest pause after repeated failures (default 30 s). */
  maxBackoffMs?: number;
}

/**
 * Runs pollers: reads each source from its saved cursor and appends what it read to the inbox
 * together with the new cursor in one transaction — a crash between the two cannot lose or skip a
 * change. A source with more waiting is polled again at once; a failing one backs off.
 */
export class PollRunner {
  readonly #sources: PollSource[];
  readonly #options: Required<Omit<PollRunnerOptions, 'inbox' | 'keys' | 'logger' | 'intervalOf'>> &
    PollRunnerOptions;
  #running = false;
  readonly #loops: Promise<void>[] = [];
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(sources: PollSource[], options: PollRunnerOptions) {
    this.#sources = sources;
    this.#options = { intervalMs: 1_000, maxBackoffMs: 30_000, ...options };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const source of this.#sources) this.#loops.push(this.#loop(source));
  }

  async stop(): Promise<void> {
    this.#running = false;
    for (const t of this.#timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    await Promise.all(this.#loops.splice(0));
  }

  /** Polls one source once (and again while it says more is waiting); returns events appended. */
  async pollOnce(source: PollSource): Promise<number> {
    let appended = 0;
    for (;;) {
      const cursor = await this.#options.inbox.cursor(source.cursorName);
      const result = await source.poll(cursor);
      const events = await Promise.all(result.events.map((e) => this.#options.keys.resolve(e)));
      const results = await this.#options.inbox.appendMany(events, {
        source: source.cursorName,
        cursor: result.cursor,
      });
      appended += results.filter((r) => !r.duplicate).length;
      if (!result.hasMore) return appended;
    }
  }

  /** Polls every source once. */
  async pollAll(): Promise<number> {
    let total = 0;
    for (const source of this.#sources) total += await this.pollOnce(source);
    return total;
  }

  /** How long `source` rests between polls when it had nothing more. */
  intervalOf(source: PollSource): number {
    return this.#options.intervalOf?.(source) ?? this.#options.intervalMs;
  }

  async #loop(source: PollSource): Promise<void> {
    const intervalMs = this.intervalOf(source);
    let failures = 0;
    while (this.#running) {
      try {
        await this.pollOnce(source);
        failures = 0;
        await this.#sleep(intervalMs);
      } catch (caught) {
        failures += 1;
        const error = coerceError(caught);
        const delay = Math.min(
          this.#options.maxBackoffMs,
          error.retryAfterMs ?? intervalMs * 2 ** Math.min(failures, 5),
        );
        this.#options.logger.warn(
          { source: source.cursorName, err: error, delayMs: delay },
          'poll failed; backing off',
        );
        await this.#sleep(delay);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => (this.#timers.delete(entry), resolve()), ms),
        resolve,
      };
      this.#timers.add(entry);
    });
  }
}
