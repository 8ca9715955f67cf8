import { z } from 'zod';
import type { ChangeRequestDetail } from '../../governance/approvals.ts';
import { CHANGE_REQUEST_STATUSES } from '../../model/states.ts';
import type { ChangeRequestRecord } from '../../store/change-request-repository.ts';
import { Iso, Json, Ms, maybeIso, maybeMs } from './common.ts';

export const ChangeRequestView = z
  .object({
    id: z.string(),
    action: z.string().meta({
      description:
        '`exception.resubmit`, `exception.skip`, `run.replay`, `entity.replay` (or `recon.repair`)',
    }),
    targetType: z.string(),
    targetId: z.string(),
    status: z.enum(CHANGE_REQUEST_STATUSES as [string, ...string[]]),
    requestedBy: z.string(),
    requestedAt: Iso,
    requestedAtMs: Ms,
    reason: z.string().nullable(),
    diff: z.array(z.object({ path: z.string(), before: Json, after: Json })),
    impact: z.record(z.string(), Json),
    amountAtStake: z
      .object({ amount: z.number().int(), currency: z.string().nullable() })
      .nullable()
      .meta({ description: 'The largest amount the action touches, in minor units.' }),
    approvalsRequired: z.number().int(),
    approvals: z.array(
      z.object({ approver: z.string(), at: Iso, atMs: Ms, comment: z.string().nullable() }),
    ),
    expiresAt: Iso,
    expiresAtMs: Ms,
    decidedBy: z.string().nullable(),
    decidedAt: maybeIso,
    decidedAtMs: maybeMs,
    decisionReason: z.string().nullable(),
    executedAt: maybeIso,
    executedAtMs: maybeMs,
    result: z.record(z.string(), Json).nullable(),
  })
  .meta({ description: 'A change request: a protected action waiting for (or past) approval.' });

/** The 202 body of a protected action: it did not run, it waits for approval. */
export const WaitsForApproval = z.object({
  changeRequest: ChangeRequestView,
  message: z.string(),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** A change request as the API shows it. */
export function toChangeRequestView(
  r: ChangeRequestRecord | ChangeRequestDetail,
): z.output<typeof ChangeRequestView> {
  return {
    id: r.id,
    action: r.action,
    targetType: r.targetType,
    targetId: r.targetId,
    status: r.status,
    requestedBy: r.requestedBy,
    requestedAt: iso(r.requestedAt),
    requestedAtMs: r.requestedAt,
    reason: r.reason,
    diff: r.diff.map((d) => ({ path: d.path, before: d.before ?? null, after: d.after ?? null })),
    impact: r.impact as Record<string, z.output<typeof Json>>,
    amountAtStake: r.amountMinor === null ? null : { amount: r.amountMinor, currency: r.currency },
    approvalsRequired: r.approvalsRequired,
    approvals:
      'approvals' in r
        ? r.approvals.map((a) => ({
            approver: a.approver,
            at: iso(a.at),
            atMs: a.at,
            comment: a.comment,
          }))
        : [],
    expiresAt: iso(r.expiresAt),
    expiresAtMs: r.expiresAt,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt === null ? null : iso(r.decidedAt),
    decidedAtMs: r.decidedAt,
    decisionReason: r.decisionReason,
    executedAt: r.executedAt === null ? null : iso(r.executedAt),
    executedAtMs: r.executedAt,
    result: r.result as Record<string, z.output<typeof Json>> | null,
  };
}

/** The 202 body for a request just created. */
export function waitsForApproval(r: ChangeRequestRecord): z.output<typeof WaitsForApproval> {
  return {
    changeRequest: toChangeRequestView(r),
    message: `${r.action} on ${r.targetType} ${r.targetId} needs approval: change request ${r.id} waits for an approver (not ${r.requestedBy}) until ${iso(r.expiresAt)}`,
  };
}
