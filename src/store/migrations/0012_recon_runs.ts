import { types, type RevsyncMigration } from './migration.ts';

/**
 * Stored reconciliation results. `recon_runs` holds one row per reconciled accounting period
 * (a `revsync recon run` over several periods, or a scheduled run of the last N periods, writes
 * one row per period, sharing a `batch_id`): when it ran, what started it (`cli`, `schedule`,
 * `api`), its filters, its status and the counts per class. `recon_items` holds what the run
 * found: every discrepancy, every would-be discrepancy still in flight, and every match with the
 * rule and tolerance that paired the two documents, with amounts in minor units and the lineage
 * (correlation id, revsync runs) of the billing document.
 */
export const migration0012: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema
      .createTable('recon_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('batch_id', 'text', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('subsidiary', 'text')
      .addColumn('currency', 'text')
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_at', t.bigint, (c) => c.notNull())
      .addColumn('finished_at', t.bigint)
      .addColumn('discrepancy_count', 'integer', (c) => c.notNull())
      .addColumn('in_flight_count', 'integer', (c) => c.notNull())
      .addColumn('matched_count', 'integer', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('matches', 'text', (c) => c.notNull())
      .addColumn('out_of_scope', 'text', (c) => c.notNull())
      .addColumn('payouts', 'text')
      .addColumn('error', 'text')
      .execute();
    await db.schema
      .createIndex('recon_runs_period')
      .on('recon_runs')
      .columns(['period', 'started_at'])
      .execute();
    await db.schema
      .createIndex('recon_runs_started')
      .on('recon_runs')
      .column('started_at')
      .execute();
    await db.schema
      .createTable('recon_items')
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('class', 'text')
      .addColumn('billing_id', 'text')
      .addColumn('erp_id', 'text')
      .addColumn('crm_id', 'text')
      .addColumn('subsidiary', 'text')
      .addColumn('currency', 'text')
      .addColumn('billing_amount', t.bigint)
      .addColumn('erp_amount', t.bigint)
      .addColumn('correlation_id', 'text')
      .addColumn('run_ids', 'text', (c) => c.notNull())
      .addColumn('rule', 'text')
      .addColumn('tolerance', 'text')
      .addColumn('message', 'text')
      .addColumn('detail', 'text')
      .addPrimaryKeyConstraint('recon_items_pk', ['run_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('recon_items_kind')
      .on('recon_items')
      .columns(['run_id', 'kind', 'seq'])
      .execute();
  },
};
