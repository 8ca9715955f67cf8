import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** Work that runs inside a shared transaction; it may be rolled back alone (savepoint). */
export type TransactionWork<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  work: TransactionWork<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/** Numbers a {@link GroupCommit} keeps about itself (for benchmarks and metrics). */
export interface GroupCommitStats {
  commits: number;
  items: number;
  largestBatch: number;
}

/**
 * Group commit: work submitted while a commit is in flight is gathered and committed together in
 * the next transaction, so many concurrent writers share one fsync. A caller's promise settles
 * only after the transaction holding its work has committed (or failed), so "resolved" means
 * durable.
 *
 * Items run without savepoints (they cost two statements each). If one throws, the transaction is
 * rolled back and the batch runs again without it, so an item never commits with a failed
 * neighbour's half-done work. Work functions must therefore only touch the database through the
 * transaction they are given, and may be run more than once.
 */
export class GroupCommit {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  readonly #maxConcurrent: number;
  #queue: Pending[] = [];
  #flushing = 0;
  #scheduled = false;
  readonly stats: GroupCommitStats = { commits: 0, items: 0, largestBatch: 0 };

  /**
   * `maxConcurrent`: group transactions in flight at once — 1 for SQLite (one writer), more on
   * PostgreSQL, where concurrent transactions overlap their round trips and commits.
   */
  constructor(db: Kysely<Database>, options: { maxBatch?: number; maxConcurrent?: number } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 1000;
    this.#maxConcurrent = Math.max(1, options.maxConcurrent ?? 1);
  }

  /** Runs `work` in the next group transaction; resolves with its result once committed. */
  run<T>(work: TransactionWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Resolves when everything submitted so far has been committed. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing > 0) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  #schedule(): void {
    if (this.#flushing >= this.#maxConcurrent || this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate lets every writer that is ready in this turn of the event loop join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing >= this.#maxConcurrent || this.#queue.length === 0) return;
    this.#flushing += 1;
    let batch = this.#queue.splice(0, this.#maxBatch);
    try {
      while (batch.length > 0) {
        const failed = await this.#commit(batch);
        if (failed === undefined) break;
        failed.reject(
          failed.outcome && !failed.outcome.ok
            ? failed.outcome.error
            : new Error('group commit failed'),
        );
        batch = batch.filter((item) => item !== failed);
        for (const item of batch) delete item.outcome;
      }
    } finally {
      this.#flushing -= 1;
      if (this.#queue.length > 0) this.#schedule();
    }
  }

  /**
   * Commits the batch; resolves its items and returns undefined, or returns the first item that
   * threw (the transaction was rolled back). A failed commit rejects every item.
   */
  async #commit(batch: Pending[]): Promise<Pending | undefined> {
    let failed: Pending | undefined;
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const item of batch) {
          try {
            item.outcome = { ok: true, value: await item.work(trx) };
          } catch (error) {
            item.outcome = { ok: false, error };
            failed = item;
            throw error;
          }
        }
      });
    } catch (error) {
      if (failed) return failed;
      for (const item of batch) item.reject(error);
      return undefined;
    }
    this.stats.commits += 1;
    this.stats.items += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    for (const item of batch) item.resolve(item.outcome?.ok ? item.outcome.value : undefined);
    return undefined;
  }
}
