import { types, type RevsyncMigration } from './migration.ts';

/**
 * The CRM billing write-back ledger: per CRM object revsync writes billing fields to (system,
 * object type, object id) and per field, the value last written (canonical JSON of the
 * canonical value) and when. Flows consult it before a write-back so that a repeat of the same
 * values within the TTL costs no outside call (see docs/flows.md, "CRM billing write-backs").
 * One row per field, so writers of different field sets of one object (customer sync, quote-to-
 * cash, payment status) each upsert their own rows and never overwrite each other's.
 */
export const migration0013: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema
      .createTable('crm_writebacks')
      .addColumn('system', 'text', (c) => c.notNull())
      .addColumn('object_type', 'text', (c) => c.notNull())
      .addColumn('object_id', 'text', (c) => c.notNull())
      .addColumn('field', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('written_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('crm_writebacks_pk', ['system', 'object_type', 'object_id', 'field'])
      .execute();
  },
};
