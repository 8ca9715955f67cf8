import { types, type RevsyncMigration } from './migration.ts';

/**
 * Four-eyes approvals. `change_requests` holds each protected operator action that waits for a
 * second person: who asked, the action and its target, what it would execute (`payload`), the
 * before/after diff, the amount at stake, the reason, how many approvals it needs and when it
 * expires. `change_request_approvals` holds one row per approver (unique per request and
 * approver, so nobody counts twice).
 */
export const migration0008: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema
      .createTable('change_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('requested_at', t.bigint, (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('diff', 'text', (c) => c.notNull())
      .addColumn('impact', 'text', (c) => c.notNull())
      .addColumn('amount_minor', t.bigint)
      .addColumn('currency', 'text')
      .addColumn('approvals_required', 'integer', (c) => c.notNull())
      .addColumn('expires_at', t.bigint, (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', t.bigint)
      .addColumn('decision_reason', 'text')
      .addColumn('executed_at', t.bigint)
      .addColumn('result', 'text')
      .execute();
    await db.schema
      .createIndex('change_requests_status')
      .on('change_requests')
      .columns(['status', 'requested_at'])
      .execute();
    await db.schema
      .createIndex('change_requests_target')
      .on('change_requests')
      .columns(['target_type', 'target_id'])
      .execute();
    await db.schema
      .createTable('change_request_approvals')
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('approver', 'text', (c) => c.notNull())
      .addColumn('at', t.bigint, (c) => c.notNull())
      .addColumn('comment', 'text')
      .addPrimaryKeyConstraint('change_request_approvals_pk', ['request_id', 'approver'])
      .execute();
  },
};
