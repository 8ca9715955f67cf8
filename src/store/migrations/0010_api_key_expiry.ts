import { types, type RevsyncMigration } from './migration.ts';

/**
 * API key expiry, rotation and scopes. `expires_at`: after it every secret of the key is refused
 * (null: never). `scopes`: a JSON array of `<area>:<read|write|*>` the key is limited to on top
 * of its role (null: the role alone decides). Rotation replaces `secret_hash` and keeps the one
 * before it in `previous_secret_hash`, accepted until `previous_secret_expires_at` (the grace
 * period); `rotated_at` is when the current secret was issued.
 */
export const migration0010: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    await db.schema.alterTable('api_keys').addColumn('expires_at', t.bigint).execute();
    await db.schema.alterTable('api_keys').addColumn('scopes', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('rotated_at', t.bigint).execute();
    await db.schema.alterTable('api_keys').addColumn('previous_secret_hash', 'text').execute();
    await db.schema
      .alterTable('api_keys')
      .addColumn('previous_secret_expires_at', t.bigint)
      .execute();
  },
};
