import { types, type RevsyncMigration } from './migration.ts';

/**
 * The canonical event log: what each inbox (vendor) event meant after the normalise stage, in
 * role-level terms (`billing.invoice.finalized`), with the schema version of its data. Runs name
 * the canonical event that started them; the vendor event and its raw payload stay in the inbox.
 */
export const migration0006: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema
      .createTable('canonical_events')
      .addColumn('seq', t.serial, (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull().unique())
      .addColumn('inbox_seq', t.bigint, (c) => c.notNull())
      .addColumn('inbox_event_id', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('vendor_event_id', 'text', (c) => c.notNull())
      .addColumn('vendor_type', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('entity_key', 'text')
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('schema_version', 'integer', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('time', t.bigint)
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('canonical_events_entity')
      .on('canonical_events')
      .columns(['entity_key', 'seq'])
      .execute();
    await db.schema
      .createIndex('canonical_events_type_subject')
      .on('canonical_events')
      .columns(['type', 'subject'])
      .execute();
    await db.schema
      .createIndex('canonical_events_inbox')
      .on('canonical_events')
      .column('inbox_seq')
      .execute();
  },
};
