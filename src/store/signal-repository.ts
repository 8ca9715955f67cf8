import { chunks } from './chunks.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';

/** Durable signals: raised once, read by any run that waits for the key, before or after. */
export const SignalRepository = {
  /** Stores the signal; a signal already raised keeps its first payload (returns false). */
  async raise(db: Executor, key: string, payload: unknown, at: number): Promise<boolean> {
    const result = await db
      .insertInto('signals')
      .values({ key, payload: toJson(payload), created_at: at })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  /** Stores signals in order; a key already raised (or earlier in the list) keeps its first payload. */
  async raiseMany(
    db: Executor,
    signals: readonly { key: string; payload: unknown }[],
    at: number,
  ): Promise<void> {
    for (const chunk of chunks(signals)) {
      await db
        .insertInto('signals')
        .values(chunk.map((s) => ({ key: s.key, payload: toJson(s.payload), created_at: at })))
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    }
  },

  async get(db: Executor, key: string): Promise<{ payload: unknown; at: number } | undefined> {
    const row = await db
      .selectFrom('signals')
      .selectAll()
      .where('key', '=', key)
      .executeTakeFirst();
    return row && { payload: fromJson(row.payload), at: row.created_at };
  },
};
