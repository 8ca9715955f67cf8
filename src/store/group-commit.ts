import { sql, type Kysely, type Transaction } from 'kysely';
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
 * the next transaction, so many concurrent writers share one fsync. Each item runs under its own
 * savepoint, so one item's failure rolls back only that item. A caller's promise settles only
 * after the transaction holding its work has committed (or failed), so "resolved" means durable.
 */
export class GroupCommit {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #flushing = false;
  #scheduled = false;
  readonly stats: GroupCommitStats = { commits: 0, items: 0, largestBatch: 0 };

  constructor(db: Kysely<Database>, options: { maxBatch?: number } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  /** Runs `work` in the next group transaction; resolves with its result once committed. */
  run<T>(work: TransactionWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#schedule();
    });
  }

  /** Resolves when everything submitted so far has been committed. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  #schedule(): void {
    if (this.#flushing || this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate lets every writer that is ready in this turn of the event loop join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = true;
    const batch = this.#queue.splice(0, this.#maxBatch);
    try {
      await this.#db.transaction().execute(async (trx) => {
        if (batch.length === 1) {
          const only = batch[0]!;
          try {
            only.outcome = { ok: true, value: await only.work(trx) };
          } catch (error) {
            only.outcome = { ok: false, error };
            throw error;
          }
          return;
        }
        for (const item of batch) {
          await sql`savepoint gc`.execute(trx);
          try {
            item.outcome = { ok: true, value: await item.work(trx) };
            await sql`release savepoint gc`.execute(trx);
          } catch (error) {
            item.outcome = { ok: false, error };
            await sql`rollback to savepoint gc`.execute(trx);
            await sql`release savepoint gc`.execute(trx);
          }
        }
      });
      this.stats.commits += 1;
      this.stats.items += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      for (const item of batch) {
        const outcome = item.outcome;
        if (outcome?.ok) item.resolve(outcome.value);
        else item.reject(outcome?.error ?? new Error('group commit item produced no outcome'));
      }
    } catch (error) {
      // The transaction itself failed (or its only item did): nothing in it was committed.
      for (const item of batch) {
        item.reject(item.outcome && !item.outcome.ok ? item.outcome.error : error);
      }
    } finally {
      this.#flushing = false;
      if (this.#queue.length > 0) this.#schedule();
    }
  }
}
