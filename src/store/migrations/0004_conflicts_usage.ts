import { sql } from 'kysely';
import { types, type RevsyncMigration } from './migration.ts';

/** Sync conflicts queued for a person, and the usage ledger (records, manifests, reports). */
export const migration0004: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema
      .createTable('sync_conflicts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('entity_type', 'text', (c) => c.notNull())
      .addColumn('entity_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('field', 'text')
      .addColumn('values', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('correlation_id', 'text')
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('resolved_at', t.bigint)
      .addColumn('resolution', 'text')
      .execute();
    await db.schema
      .createIndex('sync_conflicts_status')
      .on('sync_conflicts')
      .columns(['status', 'created_at'])
      .execute();
    await sql`create unique index sync_conflicts_open_unique on sync_conflicts (entity_id, kind, coalesce(field, '')) where status = 'open'`.execute(
      db,
    );

    await db.schema
      .createTable('usage_records')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('dedupe_key', 'text', (c) => c.notNull())
      .addColumn('subscription_item_id', 'text', (c) => c.notNull())
      .addColumn('quantity', t.bigint, (c) => c.notNull())
      .addColumn('timestamp', t.bigint, (c) => c.notNull())
      .addColumn('received_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('usage_records_pk', ['source', 'dedupe_key'])
      .execute();
    await db.schema
      .createIndex('usage_records_item_time')
      .on('usage_records')
      .columns(['subscription_item_id', 'timestamp'])
      .execute();

    await db.schema
      .createTable('usage_manifests')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('subscription_item_id', 'text', (c) => c.notNull())
      .addColumn('period_start', t.bigint, (c) => c.notNull())
      .addColumn('period_end', t.bigint, (c) => c.notNull())
      .addColumn('count', t.bigint, (c) => c.notNull())
      .addColumn('sum', t.bigint, (c) => c.notNull())
      .addColumn('closed_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('usage_manifests_pk', [
        'source',
        'subscription_item_id',
        'period_start',
      ])
      .execute();
  },
};
