import { sql } from 'kysely';
import { types, type RevsyncMigration } from './migration.ts';

/** Flow runs, checkpointed steps, failed attempts, signals, the exception queue and the audit log. */
export const migration0003: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema
      .createTable('runs')
      .addColumn('seq', t.serial, (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('flow', 'text', (c) => c.notNull())
      .addColumn('flow_version', 'integer', (c) => c.notNull())
      .addColumn('entity_key', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('input', 'text', (c) => c.notNull())
      .addColumn('input_revision', 'integer', (c) => c.notNull())
      .addColumn('output', 'text')
      .addColumn('trigger_event_id', 'text')
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('causation_id', 'text')
      .addColumn('replay_of', 'text')
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('current_step', 'text')
      .addColumn('available_at', t.bigint, (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', t.bigint)
      .addColumn('wait_signal', 'text')
      .addColumn('wait_deadline', t.bigint)
      .addColumn('error', 'text')
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .addColumn('started_at', t.bigint)
      .addColumn('completed_at', t.bigint)
      .execute();
    // Runs that still hold their entity key: the per-key ordering check reads only these.
    await sql`create index runs_active_by_key on runs (entity_key, seq)
      where status in ('queued', 'running', 'waiting', 'parked')`.execute(db);
    await sql`create index runs_due on runs (priority desc, seq) where status = 'queued'`.execute(
      db,
    );
    await sql`create index runs_leased on runs (lease_expires_at) where status = 'running'`.execute(
      db,
    );
    await sql`create index runs_waiting_signal on runs (wait_signal) where status = 'waiting'`.execute(
      db,
    );
    await sql`create index runs_waiting_deadline on runs (wait_deadline) where status = 'waiting'`.execute(
      db,
    );
    await db.schema
      .createIndex('runs_status_flow')
      .on('runs')
      .columns(['status', 'flow'])
      .execute();
    await db.schema
      .createIndex('runs_entity_key')
      .on('runs')
      .columns(['entity_key', 'seq'])
      .execute();
    await db.schema.createIndex('runs_correlation').on('runs').column('correlation_id').execute();
    await db.schema.createIndex('runs_trigger').on('runs').column('trigger_event_id').execute();

    await db.schema
      .createTable('steps')
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('result', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('started_at', t.bigint, (c) => c.notNull())
      .addColumn('completed_at', t.bigint)
      .addColumn('wake_at', t.bigint)
      .addPrimaryKeyConstraint('steps_pk', ['run_id', 'name'])
      .execute();

    await db.schema
      .createTable('step_attempts')
      .addColumn('id', t.serial, (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('step_name', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('at', t.bigint, (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('step_attempts_run')
      .on('step_attempts')
      .columns(['run_id', 'id'])
      .execute();

    await db.schema
      .createTable('signals')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('exceptions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text')
      .addColumn('event_seq', t.bigint)
      .addColumn('flow', 'text')
      .addColumn('entity_key', 'text')
      .addColumn('step_name', 'text')
      .addColumn('error_code', 'text', (c) => c.notNull())
      .addColumn('error_name', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_input', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('correlation_id', 'text')
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .addColumn('resolution', 'text')
      .execute();
    await db.schema
      .createIndex('exceptions_status')
      .on('exceptions')
      .columns(['status', 'created_at'])
      .execute();
    await db.schema.createIndex('exceptions_run').on('exceptions').column('run_id').execute();
    await db.schema
      .createIndex('exceptions_entity_key')
      .on('exceptions')
      .column('entity_key')
      .execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', t.serial, (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('at', t.bigint, (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('audit_log_target')
      .on('audit_log')
      .columns(['target_type', 'target_id'])
      .execute();
  },
};
