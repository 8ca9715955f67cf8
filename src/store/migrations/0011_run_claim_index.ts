import type { RevsyncMigration } from './migration.ts';

/**
 * The claim query's per-key order check ("no earlier run of this key is still active") looked
 * runs up by `(entity_key, seq)` and read every earlier run of the key, completed ones included,
 * so claiming slowed down as a key's history grew (a CPU profile under `npm run bench:load` put
 * 7 % of the engine's CPU in `claim`). With the status in the index the check seeks straight to
 * the key's active runs.
 */
export const migration0011: RevsyncMigration = {
  async up(db) {
    await db.schema
      .createIndex('runs_key_status_seq')
      .on('runs')
      .columns(['entity_key', 'status', 'seq'])
      .execute();
  },
};
