import { sql } from 'kysely';
import { types, type RevsyncMigration } from './migration.ts';

/** Durable inbox of accepted events (de-duplicated per source) and poll cursors. */
export const migration0001: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema
      .createTable('inbox_events')
      .addColumn('seq', t.serial, (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('event_id', 'text', (c) => c.notNull().unique())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('source_event_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('entity_key', 'text')
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('causation_id', 'text')
      .addColumn('envelope', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .addColumn('received_at', t.bigint, (c) => c.notNull())
      .addColumn('routed_at', t.bigint)
      .addUniqueConstraint('inbox_events_source_event', ['source', 'source_event_id'])
      .execute();
    await sql`create index inbox_events_unrouted on inbox_events (seq) where status = 'received'`.execute(
      db,
    );
    await db.schema
      .createIndex('inbox_events_entity_key')
      .on('inbox_events')
      .columns(['entity_key', 'seq'])
      .execute();
    await db.schema
      .createIndex('inbox_events_correlation')
      .on('inbox_events')
      .column('correlation_id')
      .execute();

    await db.schema
      .createTable('poll_cursors')
      .addColumn('source', 'text', (c) => c.primaryKey())
      .addColumn('cursor', 'text', (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .execute();
  },
};
