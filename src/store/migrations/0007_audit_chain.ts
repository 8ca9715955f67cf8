import { sql, type Kysely } from 'kysely';
import { auditEntryHash, GENESIS_HASH } from '../audit-chain.ts';
import { types, type RevsyncMigration } from './migration.ts';

/**
 * The tamper-evident audit trail. Every `audit_log` entry gets a position (`seq`, 1, 2, … with
 * no gaps), the hash of the entry before it (`prev_hash`) and its own `hash` (SHA-256 over the
 * canonical JSON of its fields and `prev_hash`, see `audit-chain.ts`). Entries already stored
 * are chained here, in id order. `audit_chain_head` is the one row every append updates first:
 * its row lock (PostgreSQL) or the write lock (SQLite) serialises appenders, and it remembers
 * the last position and hash, so a deleted tail shows. `audit_checkpoints` holds the signed
 * checkpoints (last position, its hash, time, Ed25519 signature).
 */
export const migration0007: RevsyncMigration = {
  async up(db, dialect) {
    const t = types(dialect);
    await db.schema.alterTable('audit_log').addColumn('seq', t.bigint).execute();
    await db.schema.alterTable('audit_log').addColumn('prev_hash', 'text').execute();
    await db.schema.alterTable('audit_log').addColumn('hash', 'text').execute();

    const head = await chainExisting(db);

    await db.schema.createIndex('audit_log_seq').unique().on('audit_log').column('seq').execute();
    if (dialect === 'postgres') {
      for (const column of ['seq', 'prev_hash', 'hash']) {
        await sql`alter table audit_log alter column ${sql.ref(column)} set not null`.execute(db);
      }
    }

    await db.schema
      .createTable('audit_chain_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('seq', t.bigint, (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await sql`insert into audit_chain_head (id, seq, hash) values (1, ${head.seq}, ${head.hash})`.execute(
      db,
    );

    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('id', t.serial, (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('seq', t.bigint, (c) => c.notNull().unique())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('at', t.bigint, (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .execute();
  },
};

interface ExistingRow {
  id: number | string;
  at: number | string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  details: string;
}

/** Chains the entries written before this migration, oldest (lowest id) first. */
async function chainExisting(db: Kysely<unknown>): Promise<{ seq: number; hash: string }> {
  let seq = 0;
  let hash = GENESIS_HASH;
  let afterId = -1;
  for (;;) {
    const { rows } = await sql<ExistingRow>`
      select id, at, actor, action, target_type, target_id, details from audit_log
      where id > ${afterId} order by id limit 1000`.execute(db);
    if (rows.length === 0) break;
    for (const row of rows) {
      seq += 1;
      const prevHash = hash;
      hash = auditEntryHash(
        {
          seq,
          at: Number(row.at),
          actor: row.actor,
          action: row.action,
          targetType: row.target_type,
          targetId: row.target_id,
          details: (JSON.parse(row.details) as Record<string, unknown> | null) ?? {},
        },
        prevHash,
      );
      await sql`update audit_log set seq = ${seq}, prev_hash = ${prevHash}, hash = ${hash}
        where id = ${row.id}`.execute(db);
      afterId = Number(row.id);
    }
  }
  return { seq, hash };
}
