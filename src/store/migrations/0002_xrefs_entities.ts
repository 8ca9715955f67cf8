import { types, type RevsyncMigration } from './migration.ts';

/** Cross-reference map (canonical id ↔ external ids) and the canonical entity store. */
export const migration0002: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema
      .createTable('xrefs')
      .addColumn('canonical_id', 'text', (c) => c.notNull())
      .addColumn('entity_type', 'text', (c) => c.notNull())
      .addColumn('system', 'text', (c) => c.notNull())
      .addColumn('object_type', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('xrefs_pk', ['system', 'object_type', 'external_id'])
      .addUniqueConstraint('xrefs_canonical_unique', ['canonical_id', 'system', 'object_type'])
      .execute();

    await db.schema
      .createTable('entities')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('entities_type').on('entities').columns(['type', 'id']).execute();
  },
};
