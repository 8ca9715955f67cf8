import type { Executor } from './executor.ts';

/** Poll cursors; saved in the same transaction as the events a poll produced. */
export const CursorRepository = {
  async get(db: Executor, source: string): Promise<string | undefined> {
    const row = await db
      .selectFrom('poll_cursors')
      .select('cursor')
      .where('source', '=', source)
      .executeTakeFirst();
    return row?.cursor;
  },

  async set(db: Executor, source: string, cursor: string, at: number): Promise<void> {
    await db
      .insertInto('poll_cursors')
      .values({ source, cursor, updated_at: at })
      .onConflict((oc) => oc.column('source').doUpdateSet({ cursor, updated_at: at }))
      .execute();
  },
};
