import pg from 'pg';
import { newId } from '../model/ids.ts';

/** The PostgreSQL channel workers listen on for "there may be work". */
export const WORK_CHANNEL = 'revsync_work';

/**
 * Tells the workers of other processes on the same database that there may be work (new inbox
 * events, runs made claimable), so they wake at once instead of at their next poll. On SQLite
 * one process owns the file, so there is nobody else to tell and both methods do nothing; on
 * PostgreSQL it is `NOTIFY` / `LISTEN` on {@link WORK_CHANNEL}.
 *
 * A notification is only a hint: it carries no work and may be lost (a listener reconnecting,
 * a NOTIFY failing), so workers keep a slow poll as the fallback. Notifications are coalesced:
 * at most one `NOTIFY` is in flight per process, and the calls made meanwhile send one more.
 */
export interface WorkNotifier {
  /** Announces work to the other processes' listeners (coalesced; never throws). */
  announce(): void;
  /**
   * Calls `listener` when another process announces work; returns a function that stops
   * listening. The first listener opens the dedicated LISTEN connection.
   */
  listen(listener: () => void): Promise<() => void>;
  /** Announcements sent and received (for tests and benchmarks). */
  readonly stats: { sent: number; received: number };
  close(): Promise<void>;
}

/** SQLite (and tests without a database): nobody else to tell. */
export class LocalWorkNotifier implements WorkNotifier {
  readonly stats = { sent: 0, received: 0 };
  announce(): void {}
  listen(): Promise<() => void> {
    return Promise.resolve(() => {});
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** PostgreSQL `LISTEN/NOTIFY`: one dedicated connection listens; NOTIFY goes through the pool. */
export class PostgresWorkNotifier implements WorkNotifier {
  readonly stats = { sent: 0, received: 0 };
  /** Identifies this process's announcements, which its own listener ignores. */
  readonly #id = newId('wkn');
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #listeners = new Set<() => void>();
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #inFlight = false;
  #again = false;
  #closed = false;

  constructor(pool: pg.Pool, url: string) {
    this.#pool = pool;
    this.#url = url;
  }

  announce(): void {
    if (this.#closed) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = true;
    this.#pool
      .query('select pg_notify($1, $2)', [WORK_CHANNEL, this.#id])
      .then(
        () => void (this.stats.sent += 1),
        () => {},
      )
      .finally(() => {
        this.#inFlight = false;
        if (this.#again) {
          this.#again = false;
          this.announce();
        }
      });
  }

  async listen(listener: () => void): Promise<() => void> {
    this.#listeners.add(listener);
    await this.#connect();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) void this.#disconnect();
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.#disconnect();
  }

  #connect(): Promise<void> {
    if (this.#client || this.#closed) return Promise.resolve();
    this.#connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.#url });
      const lost = () => {
        if (this.#client !== client) return;
        this.#client = undefined;
        client.removeAllListeners('notification');
        void client.end().catch(() => {});
        // Until the listener is back, the poll finds the work; try again in a second.
        if (!this.#closed && this.#listeners.size > 0) {
          clearTimeout(this.#reconnect);
          this.#reconnect = setTimeout(() => void this.#connect().catch(() => lost()), 1_000);
          this.#reconnect.unref();
        }
      };
      client.on('error', lost);
      client.on('end', lost);
      client.on('notification', (message) => {
        if (message.channel !== WORK_CHANNEL || message.payload === this.#id) return;
        this.stats.received += 1;
        for (const l of this.#listeners) l();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${WORK_CHANNEL}`);
        this.#client = client;
        // Work announced while the listener was away is found by the wake this causes.
        for (const l of this.#listeners) l();
      } catch (caught) {
        void client.end().catch(() => {});
        if (!this.#closed && this.#listeners.size > 0) {
          clearTimeout(this.#reconnect);
          this.#reconnect = setTimeout(() => void this.#connect().catch(() => {}), 1_000);
          this.#reconnect.unref();
        }
        throw caught;
      }
    })().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #disconnect(): Promise<void> {
    clearTimeout(this.#reconnect);
    await this.#connecting?.catch(() => {});
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }
}
