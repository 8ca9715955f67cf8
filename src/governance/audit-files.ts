import { z } from 'zod';
import type { AuditCheckpointRecord } from '../store/audit-checkpoint-repository.ts';
import type { AuditRecord } from '../store/audit-repository.ts';

/** `format` of a checkpoint file. */
export const CHECKPOINT_FORMAT = 'revsync.audit.checkpoint/1';
/** `format` of an audit export. */
export const EXPORT_FORMAT = 'revsync.audit.export/1';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lowercase hex');

const checkpointSchema = z.strictObject({
  seq: z.int().min(0),
  hash: hex64,
  at: z.int(),
  keyId: z.string(),
  publicKey: z.string(),
  signature: z.string(),
});

const entrySchema = z.strictObject({
  id: z.int(),
  seq: z.int().min(1),
  at: z.int(),
  actor: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  details: z.record(z.string(), z.unknown()),
  prevHash: hex64,
  hash: hex64,
});

const checkpointFileSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  checkpoint: checkpointSchema,
});

const exportFileSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  period: z.string(),
  from: z.string(),
  to: z.string(),
  exportedAt: z.string(),
  encoding: z.string(),
  entries: z.array(entrySchema),
  linking: z.array(entrySchema),
  checkpoint: checkpointSchema.nullable(),
});

/** A checkpoint as a file kept outside the database. */
export type CheckpointFile = z.output<typeof checkpointFileSchema>;

/**
 * A period's entries for an auditor: `entries` (the period, in chain order), `linking` (the
 * entries after the period up to the checkpoint, so the chain can be recomputed from the
 * period's first `prevHash` to the checkpoint's hash) and the covering `checkpoint`.
 */
export type AuditExportFile = z.output<typeof exportFileSchema>;

export function checkpointFile(checkpoint: AuditCheckpointRecord): CheckpointFile {
  return { format: CHECKPOINT_FORMAT, checkpoint };
}

/** What `--from-checkpoint FILE` gives the verifier: a checkpoint, and entries if an export. */
export interface OutsideEvidence {
  checkpoint?: AuditCheckpointRecord;
  entries?: AuditRecord[];
}

/**
 * Reads an audit export.
 *
 * @throws Error naming what is wrong with the file
 */
export function parseAuditExport(text: string): AuditExportFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const parsed = exportFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Reads a checkpoint file or an audit export (whose checkpoint and entries are then used).
 *
 * @throws Error naming what is wrong with the file
 */
export function parseOutsideEvidence(text: string): OutsideEvidence {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const format = (json as { format?: unknown } | null)?.format;
  const schema =
    format === CHECKPOINT_FORMAT
      ? checkpointFileSchema
      : format === EXPORT_FORMAT
        ? exportFileSchema
        : undefined;
  if (!schema) {
    throw new Error(
      `format is ${JSON.stringify(format)}, expected "${CHECKPOINT_FORMAT}" or "${EXPORT_FORMAT}"`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  }
  const data = parsed.data;
  if ('entries' in data) {
    return {
      ...(data.checkpoint && { checkpoint: data.checkpoint }),
      entries: [...data.entries, ...data.linking],
    };
  }
  return { checkpoint: data.checkpoint };
}
