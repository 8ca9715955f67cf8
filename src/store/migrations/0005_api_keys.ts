import { sql } from 'kysely';
import { types, type RevsyncMigration } from './migration.ts';

/**
 * API keys of the HTTP API. Only a hash of each key's secret is stored; the key itself is shown
 * once, when it is created. A name is unique among the keys not revoked (audit entries carry it).
 */
export const migration0005: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('last_used_at', t.bigint)
      .addColumn('revoked_at', t.bigint)
      .addColumn('revoked_by', 'text')
      .execute();
    await sql`create unique index api_keys_active_name on api_keys (name) where revoked_at is null`.execute(
      db,
    );
  },
};
