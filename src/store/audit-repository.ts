import { auditEntryHash, storedDetails } from './audit-chain.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';
import type { AuditLogTable } from './schema.ts';

/** One recorded action of a person or process: who did what to which object, with details. */
export interface AuditRecord {
  id: number;
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  /** Position in the hash chain (1, 2, …). */
  seq: number;
  /** The previous entry's hash (64 zeros for the first). */
  prevHash: string;
  /** SHA-256 over the canonical JSON of this entry's fields and `prevHash` (`audit-chain.ts`). */
  hash: string;
}

/** What a caller records; position and hashes are assigned by the chain. */
export type AuditInput = Omit<AuditRecord, 'id' | 'seq' | 'prevHash' | 'hash'>;

/** The chain head: the last position handed out and its hash. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export const AuditRepository = {
  /**
   * Appends an entry to the hash chain. The chain head is updated first, in the caller's
   * transaction (or a new one): on PostgreSQL its row lock makes concurrent appenders — other
   * workers included — wait for this transaction to commit or roll back; on SQLite the update
   * takes the single write lock. So positions have no gaps and each entry links to the entry
   * committed before it. Record audit entries last in a transaction: the lock is held until
   * commit.
   */
  async record(db: Executor, entry: AuditInput): Promise<AuditRecord> {
    if (!db.isTransaction) return db.transaction().execute((trx) => append(trx, entry));
    return append(db, entry);
  },

  async list(
    db: Executor,
    filter: {
      targetType?: string;
      targetId?: string;
      actor?: string;
      limit?: number;
      /** Newest first, before this id (for paging). */
      beforeId?: number;
    } = {},
  ): Promise<AuditRecord[]> {
    let q = db.selectFrom('audit_log').selectAll();
    if (filter.targetType !== undefined) q = q.where('target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) q = q.where('target_id', '=', filter.targetId);
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toRecord);
  },

  /**
   * Every entry in chain order (position, then id), for verification. Rows are returned as
   * stored, however they were tampered with (a verifier must not trust the column types).
   */
  async chain(db: Executor, range: { fromSeq?: number } = {}): Promise<AuditRecord[]> {
    let q = db.selectFrom('audit_log').selectAll();
    if (range.fromSeq !== undefined) q = q.where('seq', '>=', range.fromSeq);
    const rows = await q.orderBy('seq').orderBy('id').execute();
    return rows.map(toRecord);
  },

  /** Entries with `at` in [from, to), in chain order (an export's period). */
  async between(db: Executor, from: number, to: number): Promise<AuditRecord[]> {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('at', '>=', from)
      .where('at', '<', to)
      .orderBy('seq')
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  },

  /** The entry at a position (the first by id if tampering left several). */
  async atSeq(db: Executor, seq: number): Promise<AuditRecord | undefined> {
    const row = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '=', seq)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  },

  async head(db: Executor): Promise<AuditHead | undefined> {
    return db
      .selectFrom('audit_chain_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
  },
};

async function append(trx: Executor, entry: AuditInput): Promise<AuditRecord> {
  const head = await trx
    .updateTable('audit_chain_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirst();
  if (!head) throw new Error('the audit chain head is missing (migration 0007_audit_chain)');
  const seq = Number(head.seq);
  const details = storedDetails(entry.details);
  const fields = { ...entry, details, seq };
  const hash = auditEntryHash(fields, head.hash);
  const inserted = await trx
    .insertInto('audit_log')
    .values({
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      details: toJson(details),
      seq,
      prev_hash: head.hash,
      hash,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx.updateTable('audit_chain_head').set({ hash }).where('id', '=', 1).execute();
  return { id: Number(inserted.id), ...fields, prevHash: head.hash, hash };
}

function toRecord(r: {
  [K in keyof AuditLogTable]: K extends 'id' ? number : AuditLogTable[K];
}): AuditRecord {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    details: fromJson<Record<string, unknown>>(r.details) ?? {},
    seq: r.seq,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
