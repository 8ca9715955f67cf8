import type { Executor } from './executor.ts';

/** A signed statement "the audit chain had `hash` at position `seq` at time `at`". */
export interface AuditCheckpointRecord {
  seq: number;
  hash: string;
  at: number;
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  keyId: string;
  /** The signer's Ed25519 public key, SPKI DER in base64. */
  publicKey: string;
  /** Ed25519 signature (base64) over the checkpoint's canonical JSON (`audit-signing.ts`). */
  signature: string;
}

export const AuditCheckpointRepository = {
  /** Stores a checkpoint; false when one for that position exists already (another worker). */
  async insert(db: Executor, checkpoint: AuditCheckpointRecord): Promise<boolean> {
    const result = await db
      .insertInto('audit_checkpoints')
      .values({
        seq: checkpoint.seq,
        hash: checkpoint.hash,
        at: checkpoint.at,
        key_id: checkpoint.keyId,
        public_key: checkpoint.publicKey,
        signature: checkpoint.signature,
      })
      .onConflict((oc) => oc.column('seq').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  },

  /** Every checkpoint, oldest position first. */
  async list(db: Executor): Promise<AuditCheckpointRecord[]> {
    const rows = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
    return rows.map(toRecord);
  },

  async latest(db: Executor): Promise<AuditCheckpointRecord | undefined> {
    const row = await db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  },

  /** The first checkpoint at or after a position (the one that covers it). */
  async covering(db: Executor, seq: number): Promise<AuditCheckpointRecord | undefined> {
    const row = await db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('seq', '>=', seq)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  },
};

function toRecord(r: {
  seq: number;
  hash: string;
  at: number;
  key_id: string;
  public_key: string;
  signature: string;
}): AuditCheckpointRecord {
  return {
    seq: r.seq,
    hash: r.hash,
    at: r.at,
    keyId: r.key_id,
    publicKey: r.public_key,
    signature: r.signature,
  };
}
