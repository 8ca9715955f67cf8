import type { KeyObject } from 'node:crypto';
import { ValidationError } from '../model/revsync-error.ts';
import type { Store } from '../store/store.ts';
import type { AuditCheckpointer } from './audit-checkpointer.ts';
import { EXPORT_FORMAT, type AuditExportFile, type OutsideEvidence } from './audit-files.ts';
import { verifyAuditTrail, type AuditVerifyReport } from './audit-verifier.ts';

/** Verifies the store's audit chain and checkpoints, and any evidence kept outside it. */
export async function verifyStoredAuditTrail(
  store: Store,
  options: { outside?: OutsideEvidence; trustedKey?: KeyObject } = {},
): Promise<AuditVerifyReport> {
  const [entries, head, checkpoints] = await Promise.all([
    store.audit.chain(store.db),
    store.audit.head(store.db),
    store.auditCheckpoints.list(store.db),
  ]);
  return verifyAuditTrail({
    entries,
    ...(head && { head }),
    checkpoints,
    ...(options.outside?.checkpoint && { external: [options.outside.checkpoint] }),
    ...(options.outside?.entries && { exported: options.outside.entries }),
    ...(options.trustedKey && { trustedKey: options.trustedKey }),
  });
}

/**
 * Checks an export on its own, without the database: its entries and linking entries chain from
 * the first entry's `prevHash` up to the checkpoint, whose signature holds (with the trusted
 * key if given). An export without a checkpoint proves nothing and does not verify.
 */
export function verifyAuditExport(
  file: AuditExportFile,
  options: { trustedKey?: KeyObject } = {},
): AuditVerifyReport {
  const entries = [...file.entries, ...file.linking];
  const first = entries[0];
  const report = verifyAuditTrail({
    entries,
    ...(first && { start: { seq: first.seq - 1, hash: first.prevHash } }),
    ...(file.checkpoint && { external: [file.checkpoint] }),
    ...(options.trustedKey && { trustedKey: options.trustedKey }),
  });
  if (!file.checkpoint && entries.length > 0) {
    const problem = {
      kind: 'bad_checkpoint' as const,
      seq: entries[entries.length - 1]!.seq,
      message: 'the export has no checkpoint: nothing signed vouches for its entries',
    };
    return {
      ...report,
      ok: false,
      problems: [...report.problems, problem],
      firstProblem: report.firstProblem ?? problem,
    };
  }
  return report;
}

/** The first and the last millisecond (exclusive) of a `YYYY-MM` month in UTC. */
export function periodBounds(period: string): { from: number; to: number } {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  if (!match) throw new ValidationError(`period "${period}" is not YYYY-MM`);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { from: Date.UTC(year, month, 1), to: Date.UTC(year, month + 1, 1) };
}

/** The audit trail does not verify; nothing is exported from a broken chain. */
export class AuditTamperedError extends Error {
  readonly report: AuditVerifyReport;
  constructor(report: AuditVerifyReport) {
    super(
      `the audit trail does not verify: ${report.firstProblem?.message ?? 'unknown problem'} (run revsync audit verify)`,
    );
    this.report = report;
  }
}

/**
 * A period's entries for an auditor, with the checkpoint that covers them: the first one at or
 * after the period's last entry (written now when there is none and a checkpointer is given),
 * and the entries between, so the chain can be recomputed up to the signed hash.
 *
 * @throws AuditTamperedError when the stored trail does not verify
 */
export async function exportAuditPeriod(
  store: Store,
  period: string,
  options: { checkpointer?: AuditCheckpointer; trustedKey?: KeyObject; now?: number } = {},
): Promise<AuditExportFile> {
  const { from, to } = periodBounds(period);
  const report = await verifyStoredAuditTrail(store, {
    ...(options.trustedKey && { trustedKey: options.trustedKey }),
  });
  if (!report.ok) throw new AuditTamperedError(report);
  const inPeriod = await store.audit.between(store.db, from, to);
  const first = inPeriod[0]?.seq;
  const last = inPeriod[inPeriod.length - 1]?.seq;
  let checkpoint =
    last === undefined ? undefined : await store.auditCheckpoints.covering(store.db, last);
  if (!checkpoint && last !== undefined && options.checkpointer) {
    checkpoint = await options.checkpointer.checkpoint();
  }
  // The period's positions from first to last (an entry stamped in another period but written
  // in between stays in, so the chain is unbroken), then the entries up to the checkpoint.
  const range = first === undefined ? [] : await store.audit.chain(store.db, { fromSeq: first });
  const until = checkpoint?.seq ?? last ?? 0;
  return {
    format: EXPORT_FORMAT,
    period,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    exportedAt: new Date(options.now ?? Date.now()).toISOString(),
    encoding:
      'hash = SHA-256 (hex) of the canonical JSON (sorted keys, no whitespace, integers as integers) of {v:1, seq, at, actor, action, targetType, targetId, details, prevHash}; see docs/audit-trail.md',
    entries: range.filter((e) => last !== undefined && e.seq <= last),
    linking: range.filter((e) => last !== undefined && e.seq > last && e.seq <= until),
    checkpoint: checkpoint ?? null,
  };
}
