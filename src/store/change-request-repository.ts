import type { Selectable } from 'kysely';
import {
  CHANGE_REQUEST_TRANSITIONS,
  sourcesOf,
  type ChangeRequestStatus,
} from '../model/states.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';
import type { ChangeRequestApprovalTable, ChangeRequestTable } from './schema.ts';

/** One changed value of a protected action (`JsonChange` of the engine, kept as data here). */
export interface ChangeRequestDiffEntry {
  path: string;
  before: unknown;
  after: unknown;
}

/** A protected operator action waiting for (or past) a second person's decision. */
export interface ChangeRequestRecord {
  id: string;
  /** `exception.resubmit`, `exception.skip`, `run.replay`, `entity.replay`, `recon.repair`. */
  action: string;
  targetType: string;
  targetId: string;
  status: ChangeRequestStatus;
  requestedBy: string;
  requestedAt: number;
  reason: string | null;
  /** What the action executes once approved. */
  payload: Record<string, unknown>;
  diff: ChangeRequestDiffEntry[];
  /** Why it needs approval (kinds of fields touched, the run's flow, …). */
  impact: Record<string, unknown>;
  /** The largest amount the action touches, in minor units, or null when none is known. */
  amountMinor: number | null;
  currency: string | null;
  approvalsRequired: number;
  expiresAt: number;
  /** Who rejected it (or the last approver), when, and why. */
  decidedBy: string | null;
  decidedAt: number | null;
  decisionReason: string | null;
  executedAt: number | null;
  /** What the execution returned (ids) or the error it failed with. */
  result: Record<string, unknown> | null;
}

export type NewChangeRequest = Omit<
  ChangeRequestRecord,
  'status' | 'decidedBy' | 'decidedAt' | 'decisionReason' | 'executedAt' | 'result'
>;

/** One approval of a request. */
export interface ChangeRequestApproval {
  requestId: string;
  approver: string;
  at: number;
  comment: string | null;
}

export interface ChangeRequestFilter {
  status?: ChangeRequestStatus | ChangeRequestStatus[];
  targetType?: string;
  targetId?: string;
  action?: string;
  limit?: number;
}

/** Rows ↔ records for `change_requests` and `change_request_approvals`. */
export const ChangeRequestRepository = {
  async insert(db: Executor, request: NewChangeRequest): Promise<void> {
    await db
      .insertInto('change_requests')
      .values({
        id: request.id,
        action: request.action,
        target_type: request.targetType,
        target_id: request.targetId,
        status: 'pending',
        requested_by: request.requestedBy,
        requested_at: request.requestedAt,
        reason: request.reason,
        payload: toJson(request.payload),
        diff: toJson(request.diff),
        impact: toJson(request.impact),
        amount_minor: request.amountMinor,
        currency: request.currency,
        approvals_required: request.approvalsRequired,
        expires_at: request.expiresAt,
        decided_by: null,
        decided_at: null,
        decision_reason: null,
        executed_at: null,
        result: null,
      })
      .execute();
  },

  async get(db: Executor, id: string): Promise<ChangeRequestRecord | undefined> {
    const row = await db
      .selectFrom('change_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toRecord(row);
  },

  /** Newest first. */
  async list(db: Executor, filter: ChangeRequestFilter = {}): Promise<ChangeRequestRecord[]> {
    let q = db.selectFrom('change_requests').selectAll();
    if (filter.status !== undefined) {
      q = q.where('status', 'in', Array.isArray(filter.status) ? filter.status : [filter.status]);
    }
    if (filter.targetType !== undefined) q = q.where('target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) q = q.where('target_id', '=', filter.targetId);
    if (filter.action !== undefined) q = q.where('action', '=', filter.action);
    const rows = await q
      .orderBy('requested_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toRecord);
  },

  /** Pending requests whose expiry is at or before `now`. */
  async pendingExpiredBy(db: Executor, now: number): Promise<ChangeRequestRecord[]> {
    const rows = await db
      .selectFrom('change_requests')
      .selectAll()
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .execute();
    return rows.map(toRecord);
  },

  /**
   * Moves a request to `to` if the transition table allows it from its current status; false
   * when it was not in a source state (someone else decided first).
   */
  async transition(
    db: Executor,
    id: string,
    to: ChangeRequestStatus,
    set: {
      decidedBy?: string;
      decidedAt?: number;
      decisionReason?: string | null;
      executedAt?: number;
      result?: Record<string, unknown>;
    } = {},
  ): Promise<boolean> {
    const result = await db
      .updateTable('change_requests')
      .set({
        status: to,
        ...(set.decidedBy !== undefined && { decided_by: set.decidedBy }),
        ...(set.decidedAt !== undefined && { decided_at: set.decidedAt }),
        ...(set.decisionReason !== undefined && { decision_reason: set.decisionReason }),
        ...(set.executedAt !== undefined && { executed_at: set.executedAt }),
        ...(set.result !== undefined && { result: toJson(set.result) }),
      })
      .where('id', '=', id)
      .where('status', 'in', sourcesOf(CHANGE_REQUEST_TRANSITIONS, to))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Records one approval; false when this approver had already approved the request. */
  async addApproval(db: Executor, approval: ChangeRequestApproval): Promise<boolean> {
    const result = await db
      .insertInto('change_request_approvals')
      .values({
        request_id: approval.requestId,
        approver: approval.approver,
        at: approval.at,
        comment: approval.comment,
      })
      .onConflict((oc) => oc.columns(['request_id', 'approver']).doNothing())
      .returning('request_id')
      .executeTakeFirst();
    return result !== undefined;
  },

  async approvals(db: Executor, requestId: string): Promise<ChangeRequestApproval[]> {
    const rows = await db
      .selectFrom('change_request_approvals')
      .selectAll()
      .where('request_id', '=', requestId)
      .orderBy('at')
      .execute();
    return rows.map(toApproval);
  },
};

function toRecord(r: Selectable<ChangeRequestTable>): ChangeRequestRecord {
  return {
    id: r.id,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    status: r.status as ChangeRequestStatus,
    requestedBy: r.requested_by,
    requestedAt: Number(r.requested_at),
    reason: r.reason,
    payload: fromJson<Record<string, unknown>>(r.payload) ?? {},
    diff: fromJson<ChangeRequestDiffEntry[]>(r.diff) ?? [],
    impact: fromJson<Record<string, unknown>>(r.impact) ?? {},
    amountMinor: r.amount_minor === null ? null : Number(r.amount_minor),
    currency: r.currency,
    approvalsRequired: Number(r.approvals_required),
    expiresAt: Number(r.expires_at),
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    decisionReason: r.decision_reason,
    executedAt: r.executed_at === null ? null : Number(r.executed_at),
    result: fromJson<Record<string, unknown>>(r.result),
  };
}

function toApproval(r: Selectable<ChangeRequestApprovalTable>): ChangeRequestApproval {
  return { requestId: r.request_id, approver: r.approver, at: Number(r.at), comment: r.comment };
}
