import { newId } from '../model/ids.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
  coerceError,
} from '../model/revsync-error.ts';
import type { ChangeRequestStatus } from '../model/states.ts';
import type {
  ChangeRequestApproval,
  ChangeRequestDiffEntry,
  ChangeRequestFilter,
  ChangeRequestRecord,
} from '../store/change-request-repository.ts';
import type { Executor } from '../store/executor.ts';
import type { Store } from '../store/store.ts';
import {
  fieldMatches,
  lastKey,
  resolveApprovalPolicy,
  type ApprovalPolicy,
  type ProtectedAction,
} from './approval-policy.ts';
import { roleAllows, type Role } from './roles.ts';

/**
 * The engine calls a change request executes once approved. The engine's exception queue
 * (`engine.exceptions`) is one; governance does not import the engine, so this is the port.
 */
export interface ApprovalExecutor {
  resubmit(
    id: string,
    request: { actor: string; input: unknown; reason?: string; changeRequest?: string },
  ): Promise<{ id: string }>;
  skip(
    id: string,
    request: { actor: string; reason: string; changeRequest?: string },
  ): Promise<{ id: string }>;
  replayRun(
    runId: string,
    request: { actor: string; changeRequest?: string },
  ): Promise<{ id: string }>;
  replayEntity(
    entityKey: string,
    request: { actor: string; flow?: string; changeRequest?: string },
  ): Promise<{ id: string }[]>;
  /**
   * Starts a reconciliation repair: appends its canonical event (`event`, a CloudEvents
   * envelope under the repair's deterministic id) and audits `recon.repair` on `key`.
   */
  startRepair(
    key: string,
    request: {
      actor: string;
      event: unknown;
      details?: Record<string, unknown>;
      changeRequest?: string;
    },
  ): Promise<{ id: string; duplicate: boolean }>;
}

/** A change request with the approvals it has collected. */
export interface ChangeRequestDetail extends ChangeRequestRecord {
  approvals: ChangeRequestApproval[];
}

/** Who acts on a change request: the audit actor (API key name) and the key's role. */
export interface Approver {
  actor: string;
  role: Role;
}

/** What the system itself writes as the audit actor (expiry). */
export const SYSTEM_ACTOR = 'revsync';

/** The smallest role that may approve or reject a change request. */
export const APPROVER_ROLE: Role = 'approver';

/**
 * Four-eyes approvals. A protected operator action (see {@link ApprovalPolicy}) does not run:
 * it becomes a change request — who, action, target, before/after diff, amount at stake, reason
 * — that another person with the `approver` role (or `admin`) must approve; only then does the
 * same engine call run, as the requester. The requester can never approve their own request;
 * a request expires after the policy's time. Every step (request, approve, reject, execute,
 * failure, expiry) is an audit entry in the same transaction as the change it records.
 */
export class Approvals {
  readonly #store: Store;
  readonly #policy: ApprovalPolicy;
  readonly #now: () => number;
  readonly #executor: ApprovalExecutor;
  readonly #requesterVerified: boolean;

  /**
   * @param options.requesterVerified `false` when the caller's name is only claimed (the CLI's
   *   `--actor`), not proven by an API key: a protected action is then refused instead of
   *   becoming a change request, since anyone could file one in another person's name and
   *   approve it themselves.
   */
  constructor(
    store: Store,
    executor: ApprovalExecutor,
    options: { policy?: ApprovalPolicy; now?: () => number; requesterVerified?: boolean } = {},
  ) {
    this.#store = store;
    this.#executor = executor;
    this.#policy = options.policy ?? resolveApprovalPolicy();
    this.#now = options.now ?? Date.now;
    this.#requesterVerified = options.requesterVerified ?? true;
  }

  get policy(): ApprovalPolicy {
    return this.#policy;
  }

  /**
   * Edit-and-resubmit: protected when the edit changes a money, account or date field. Returns
   * the change request, or null when the action may run at once.
   */
  async guardResubmit(
    exceptionId: string,
    request: { actor: string; input: unknown; reason?: string },
  ): Promise<ChangeRequestRecord | null> {
    const rule = this.#policy.actions['exception.resubmit'];
    if (!this.#policy.enabled || !rule.enabled) return null;
    const exc = await this.#exception(exceptionId);
    let before: unknown = exc.lastInput;
    if (exc.kind === 'run' && exc.runId) {
      before = (await this.#store.runs.getById(this.#store.db, exc.runId))?.input ?? before;
    } else if (exc.eventSeq !== null) {
      const event = await this.#store.inbox.getBySeq(this.#store.db, exc.eventSeq);
      before = event?.envelope.data ?? before;
    }
    const diff = jsonChanges(before, request.input);
    const kinds = sensitiveChanges(diff, rule.fields);
    if (kinds.length === 0) return null;
    const stake = amountAtStake(
      [before, request.input],
      rule.fields.money,
      diff.filter((d) => kinds.some((k) => k.path === d.path && k.kind === 'money')),
    );
    if (!meetsThreshold(stake, rule.minAmount)) return null;
    return this.#create({
      action: 'exception.resubmit',
      targetType: 'exception',
      targetId: exc.id,
      requestedBy: request.actor,
      reason: request.reason ?? null,
      payload: {
        input: request.input,
        ...(request.reason !== undefined && { reason: request.reason }),
      },
      diff,
      impact: { fields: kinds, flow: exc.flow, runId: exc.runId, entityKey: exc.entityKey },
      stake,
      approvers: rule.approvers,
      expiresAfterMs: rule.expiresAfterMs,
    });
  }

  /** Skip: protected when the exception's run belongs to a posting, payment or credit-memo flow. */
  async guardSkip(
    exceptionId: string,
    request: { actor: string; reason: string },
  ): Promise<ChangeRequestRecord | null> {
    const rule = this.#policy.actions['exception.skip'];
    if (!this.#policy.enabled || !rule.enabled) return null;
    if (!request.reason?.trim()) throw new ValidationError('skipping needs a reason');
    const exc = await this.#exception(exceptionId);
    if (exc.kind !== 'run' || !exc.flow || !rule.flows.includes(exc.flow)) return null;
    const stake = amountAtStake([exc.lastInput], this.#moneyFields());
    if (!meetsThreshold(stake, rule.minAmount)) return null;
    return this.#create({
      action: 'exception.skip',
      targetType: 'exception',
      targetId: exc.id,
      requestedBy: request.actor,
      reason: request.reason,
      payload: { reason: request.reason },
      diff: [{ path: '$.status', before: exc.status, after: 'skipped' }],
      impact: { flow: exc.flow, runId: exc.runId, entityKey: exc.entityKey },
      stake,
      approvers: rule.approvers,
      expiresAfterMs: rule.expiresAfterMs,
    });
  }

  /** Replay of one run: protected when the run belongs to a posting, payment or credit-memo flow. */
  async guardReplayRun(
    runId: string,
    request: { actor: string; reason?: string },
  ): Promise<ChangeRequestRecord | null> {
    const rule = this.#policy.actions['run.replay'];
    if (!this.#policy.enabled || !rule.enabled) return null;
    const run = await this.#store.runs.getById(this.#store.db, runId);
    if (!run) throw new NotFoundError(`no run ${runId}`);
    if (!rule.flows.includes(run.flow)) return null;
    const stake = amountAtStake([run.input], this.#moneyFields());
    if (!meetsThreshold(stake, rule.minAmount)) return null;
    return this.#create({
      action: 'run.replay',
      targetType: 'run',
      targetId: run.id,
      requestedBy: request.actor,
      reason: request.reason ?? null,
      payload: {},
      diff: [
        {
          path: '$.replays',
          before: null,
          after: `a new ${run.flow} run on run ${run.id}'s input`,
        },
      ],
      impact: { flow: run.flow, entityKey: run.entityKey, status: run.status },
      stake,
      approvers: rule.approvers,
      expiresAfterMs: rule.expiresAfterMs,
    });
  }

  /** Replay of an entity key's runs: protected when any of them is a protected flow's. */
  async guardReplayEntity(
    entityKey: string,
    request: { actor: string; flow?: string; reason?: string },
  ): Promise<ChangeRequestRecord | null> {
    const rule = this.#policy.actions['run.replay'];
    if (!this.#policy.enabled || !rule.enabled) return null;
    const runs = await this.#store.runs.list(this.#store.db, {
      entityKey,
      limit: 10_000,
      ...(request.flow !== undefined && { flow: request.flow }),
    });
    const protectedRuns = runs.filter(
      (r) =>
        rule.flows.includes(r.flow) &&
        (r.status === 'completed' || r.status === 'skipped' || r.status === 'cancelled'),
    );
    if (protectedRuns.length === 0) return null;
    const stake = amountAtStake(
      protectedRuns.map((r) => r.input),
      this.#moneyFields(),
    );
    if (!meetsThreshold(stake, rule.minAmount)) return null;
    return this.#create({
      action: 'entity.replay',
      targetType: 'entity',
      targetId: entityKey,
      requestedBy: request.actor,
      reason: request.reason ?? null,
      payload: request.flow !== undefined ? { flow: request.flow } : {},
      diff: [
        {
          path: '$.replays',
          before: null,
          after: protectedRuns.map((r) => `${r.flow} ${r.id}`),
        },
      ],
      impact: { flows: [...new Set(protectedRuns.map((r) => r.flow))], runs: protectedRuns.length },
      stake,
      approvers: rule.approvers,
      expiresAfterMs: rule.expiresAfterMs,
    });
  }

  /**
   * A reconciliation repair (the run that posts, applies or credits what the ERP lacks):
   * protected when the amount at stake — the larger of the billing and ERP amounts — is at
   * least the policy's `minAmount` (default 1,000.00), or unknown. Returns the change request,
   * or null when the repair may start at once. Asking again while a request waits returns that
   * request; once one was approved and executed, the repair (whose start is idempotent) is not
   * asked for again.
   */
  async guardRepair(
    key: string,
    request: {
      actor: string;
      /** The canonical event that starts the repair run once approved. */
      event: Record<string, unknown>;
      /** What the repair does, for a person. */
      action: string;
      /** The discrepancy as evidence (class, ids, amounts, lineage). */
      evidence: Record<string, unknown>;
      amountMinor: number | null;
      currency: string | null;
    },
  ): Promise<ChangeRequestRecord | null> {
    const rule = this.#policy.actions['recon.repair'];
    if (!this.#policy.enabled || !rule.enabled) return null;
    const stake =
      request.amountMinor === null
        ? null
        : { amount: Math.abs(request.amountMinor), currency: request.currency };
    if (!meetsThreshold(stake, rule.minAmount)) return null;
    await this.expireDue();
    const earlier = await this.#store.changeRequests.list(this.#store.db, {
      action: 'recon.repair',
      targetType: 'discrepancy',
      targetId: key,
      status: ['pending', 'approved', 'executed'],
      limit: 1,
    });
    if (earlier[0]) return earlier[0].status === 'pending' ? earlier[0] : null;
    return this.#create({
      action: 'recon.repair',
      targetType: 'discrepancy',
      targetId: key,
      requestedBy: request.actor,
      reason: null,
      payload: { event: request.event, action: request.action, evidence: request.evidence },
      diff: [{ path: '$.repair', before: null, after: request.action }],
      impact: { ...request.evidence, eventType: request.event['type'] ?? null },
      stake,
      approvers: rule.approvers,
      expiresAfterMs: rule.expiresAfterMs,
    });
  }

  /** Change requests, newest first; expires what is due first. */
  async list(filter: ChangeRequestFilter = {}): Promise<ChangeRequestRecord[]> {
    await this.expireDue();
    return this.#store.changeRequests.list(this.#store.db, filter);
  }

  /** One change request with its approvals. */
  async get(id: string): Promise<ChangeRequestDetail> {
    await this.expireDue();
    return this.#detail(this.#store.db, id);
  }

  /** Pending requests on one target (the exception page's "waiting for approval"). */
  async pendingFor(targetType: string, targetId: string): Promise<ChangeRequestRecord[]> {
    await this.expireDue();
    return this.#store.changeRequests.list(this.#store.db, {
      status: 'pending',
      targetType,
      targetId,
    });
  }

  /**
   * Approves a pending request. With enough approvals it executes at once through the engine
   * call the requester made, as the requester; the result (or the error the engine refused it
   * with) is stored and audited.
   *
   * @throws ForbiddenError when `who` requested it or lacks the approver role
   * @throws ConflictError when it is not pending (decided, or expired: `details[0].message`
   *   says `expired`)
   */
  async approve(
    id: string,
    who: Approver,
    options: { comment?: string } = {},
  ): Promise<ChangeRequestDetail> {
    this.#mayDecide(who);
    await this.#expireIfDue(id);
    const at = this.#now();
    const ready = await this.#store.transaction(async (trx) => {
      const request = await this.#pending(trx, id);
      if (request.requestedBy === who.actor) {
        throw new ForbiddenError(
          `${who.actor} requested change request ${id}; another approver must approve it (four-eyes rule)`,
        );
      }
      const added = await this.#store.changeRequests.addApproval(trx, {
        requestId: id,
        approver: who.actor,
        at,
        comment: options.comment ?? null,
      });
      if (!added) throw new ConflictError(`${who.actor} has already approved change request ${id}`);
      const approvals = await this.#store.changeRequests.approvals(trx, id);
      const enough = approvals.length >= request.approvalsRequired;
      if (enough) {
        await this.#store.changeRequests.transition(trx, id, 'approved', {
          decidedBy: who.actor,
          decidedAt: at,
          ...(options.comment !== undefined && { decisionReason: options.comment }),
        });
      }
      await this.#audit(trx, who.actor, 'approval.approve', request, {
        approvals: approvals.length,
        required: request.approvalsRequired,
        ...(options.comment !== undefined && { comment: options.comment }),
      });
      return enough ? request : undefined;
    });
    if (ready) await this.#execute(ready);
    return this.#detail(this.#store.db, id);
  }

  /** Rejects a pending request with a reason; nothing executes. */
  async reject(id: string, who: Approver, reason: string): Promise<ChangeRequestDetail> {
    this.#mayDecide(who);
    if (!reason?.trim()) throw new ValidationError('rejecting needs a reason');
    await this.#expireIfDue(id);
    const at = this.#now();
    await this.#store.transaction(async (trx) => {
      const request = await this.#pending(trx, id);
      await this.#store.changeRequests.transition(trx, id, 'rejected', {
        decidedBy: who.actor,
        decidedAt: at,
        decisionReason: reason,
      });
      await this.#audit(trx, who.actor, 'approval.reject', request, { reason });
    });
    return this.#detail(this.#store.db, id);
  }

  /** Marks every pending request past its expiry `expired` (audited); returns how many. */
  async expireDue(): Promise<number> {
    const due = await this.#store.changeRequests.pendingExpiredBy(this.#store.db, this.#now());
    let n = 0;
    for (const request of due) if (await this.#expire(request)) n += 1;
    return n;
  }

  /**
   * Finishes approved requests whose execution was cut short (the process died between the
   * approval's commit and the execution's). A request already carried out — its engine action's
   * audit entry names it, written in the action's own transaction — is only marked executed;
   * any other runs now. Only requests approved at least `graceMs` ago are touched, so an
   * approval another process is executing at this moment is left to it. Returns how many.
   */
  async resumeApproved(options: { graceMs?: number } = {}): Promise<number> {
    const before = this.#now() - (options.graceMs ?? 60_000);
    const stuck = (await this.list({ status: 'approved', limit: 1000 })).filter(
      (r) => r.decidedAt !== null && r.decidedAt <= before,
    );
    for (const request of stuck) {
      const done = await this.#carriedOut(request);
      if (done === undefined) {
        await this.#execute(request);
        continue;
      }
      await this.#store.transaction(async (trx) => {
        const moved = await this.#store.changeRequests.transition(trx, request.id, 'executed', {
          executedAt: done.at,
          result: { recovered: true, auditEntry: done.id },
        });
        if (moved) {
          await this.#audit(trx, SYSTEM_ACTOR, 'approval.execute', request, {
            recovered: true,
            auditEntry: done.id,
            executedAs: request.requestedBy,
          });
        }
      });
    }
    return stuck.length;
  }

  /** The engine action's audit entry that carried out `request`, if it ran. */
  async #carriedOut(request: ChangeRequestRecord): Promise<{ id: number; at: number } | undefined> {
    const entries = await this.#store.audit.list(this.#store.db, {
      targetId: request.targetId,
      limit: 1000,
    });
    const found = entries.find((e) => e.details['changeRequest'] === request.id);
    return found && { id: found.id, at: found.at };
  }

  /** Pending requests older than `minutes` (the `approval_waiting` alert). */
  async waitingLongerThan(minutes: number): Promise<ChangeRequestRecord[]> {
    const pending = await this.list({ status: 'pending', limit: 1000 });
    const cutoff = this.#now() - minutes * 60_000;
    return pending.filter((r) => r.requestedAt <= cutoff);
  }

  #moneyFields(): string[] {
    return this.#policy.actions['exception.resubmit'].fields.money;
  }

  #mayDecide(who: Approver): void {
    if (!roleAllows(who.role, APPROVER_ROLE)) {
      throw new ForbiddenError(
        `deciding a change request needs the ${APPROVER_ROLE} role (or admin); ${who.actor} is ${who.role}`,
      );
    }
  }

  async #exception(id: string) {
    const exc = await this.#store.exceptions.get(this.#store.db, id);
    if (!exc) throw new NotFoundError(`no exception ${id}`);
    if (exc.status !== 'open') throw new ConflictError(`exception ${id} is already ${exc.status}`);
    return exc;
  }

  async #create(r: {
    action: ProtectedAction | 'entity.replay';
    targetType: string;
    targetId: string;
    requestedBy: string;
    reason: string | null;
    payload: Record<string, unknown>;
    diff: ChangeRequestDiffEntry[];
    impact: Record<string, unknown>;
    stake: Stake | null;
    approvers: number;
    expiresAfterMs: number;
  }): Promise<ChangeRequestRecord> {
    if (!this.#requesterVerified) {
      throw new UnauthorizedError(
        `${r.action} on ${r.targetType} ${r.targetId} needs a second person's approval, and a change request must name who asked: act with your API key (a name given without one proves nothing)`,
      );
    }
    await this.expireDue();
    const at = this.#now();
    const id = newId('chg', { now: at });
    return this.#store.transaction(async (trx) => {
      const waiting = await this.#store.changeRequests.list(trx, {
        status: 'pending',
        targetType: r.targetType,
        targetId: r.targetId,
        limit: 1,
      });
      if (waiting[0]) {
        throw new ConflictError(
          `${r.targetType} ${r.targetId} already has change request ${waiting[0].id} (${waiting[0].action}) waiting for approval`,
        );
      }
      await this.#store.changeRequests.insert(trx, {
        id,
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId,
        requestedBy: r.requestedBy,
        requestedAt: at,
        reason: r.reason,
        payload: r.payload,
        diff: r.diff,
        impact: r.impact,
        amountMinor: r.stake?.amount ?? null,
        currency: r.stake?.currency ?? null,
        approvalsRequired: r.approvers,
        expiresAt: at + r.expiresAfterMs,
      });
      const created = (await this.#store.changeRequests.get(trx, id))!;
      await this.#audit(trx, r.requestedBy, 'approval.request', created, {
        diff: r.diff,
        impact: r.impact,
        reason: r.reason,
        expiresAt: created.expiresAt,
        required: r.approvers,
      });
      return created;
    });
  }

  async #execute(request: ChangeRequestRecord): Promise<void> {
    const actor = request.requestedBy;
    let result: Record<string, unknown>;
    let ok = true;
    try {
      result = await this.#run(request, actor);
    } catch (caught) {
      const error = coerceError(caught);
      ok = false;
      result = { error: { code: error.code, message: error.message } };
    }
    const at = this.#now();
    await this.#store.transaction(async (trx) => {
      await this.#store.changeRequests.transition(trx, request.id, ok ? 'executed' : 'failed', {
        executedAt: at,
        result,
      });
      await this.#audit(
        trx,
        SYSTEM_ACTOR,
        ok ? 'approval.execute' : 'approval.execute_failed',
        request,
        { result, executedAs: actor },
      );
    });
  }

  async #run(request: ChangeRequestRecord, actor: string): Promise<Record<string, unknown>> {
    const p = request.payload;
    const changeRequest = request.id;
    switch (request.action) {
      case 'exception.resubmit': {
        const done = await this.#executor.resubmit(request.targetId, {
          actor,
          changeRequest,
          input: p.input,
          ...(typeof p.reason === 'string' && { reason: p.reason }),
        });
        return { exception: done.id };
      }
      case 'exception.skip': {
        const done = await this.#executor.skip(request.targetId, {
          actor,
          changeRequest,
          reason: typeof p.reason === 'string' ? p.reason : (request.reason ?? 'approved skip'),
        });
        return { exception: done.id };
      }
      case 'run.replay': {
        const run = await this.#executor.replayRun(request.targetId, { actor, changeRequest });
        return { run: run.id };
      }
      case 'entity.replay': {
        const runs = await this.#executor.replayEntity(request.targetId, {
          actor,
          changeRequest,
          ...(typeof p.flow === 'string' && { flow: p.flow }),
        });
        return { runs: runs.map((r) => r.id) };
      }
      case 'recon.repair': {
        const started = await this.#executor.startRepair(request.targetId, {
          actor,
          changeRequest,
          event: p.event,
          ...(typeof p.evidence === 'object' &&
            p.evidence !== null && {
              details: { ...(p.evidence as Record<string, unknown>), action: p.action },
            }),
        });
        return { event: started.id, duplicate: started.duplicate };
      }
      default:
        throw new ConflictError(`revsync cannot execute a ${request.action} change request`);
    }
  }

  async #expireIfDue(id: string): Promise<void> {
    const request = await this.#store.changeRequests.get(this.#store.db, id);
    if (request && request.status === 'pending' && request.expiresAt <= this.#now()) {
      await this.#expire(request);
    }
  }

  async #expire(request: ChangeRequestRecord): Promise<boolean> {
    return this.#store.transaction(async (trx) => {
      const at = this.#now();
      const moved = await this.#store.changeRequests.transition(trx, request.id, 'expired', {
        decidedBy: SYSTEM_ACTOR,
        decidedAt: at,
        decisionReason: `not approved within ${Math.round((request.expiresAt - request.requestedAt) / 3_600_000)} h`,
      });
      if (moved) {
        await this.#audit(trx, SYSTEM_ACTOR, 'approval.expire', request, {
          expiresAt: request.expiresAt,
        });
      }
      return moved;
    });
  }

  async #pending(trx: Executor, id: string): Promise<ChangeRequestRecord> {
    const request = await this.#store.changeRequests.get(trx, id);
    if (!request) throw new NotFoundError(`no change request ${id}`);
    if (request.status !== 'pending') {
      throw new ConflictError(
        request.status === 'expired'
          ? `change request ${id} expired at ${new Date(request.expiresAt).toISOString()}; ask for the change again`
          : `change request ${id} is already ${request.status}`,
        { details: [{ path: 'status', message: request.status }] },
      );
    }
    return request;
  }

  async #detail(db: Executor, id: string): Promise<ChangeRequestDetail> {
    const request = await this.#store.changeRequests.get(db, id);
    if (!request) throw new NotFoundError(`no change request ${id}`);
    return { ...request, approvals: await this.#store.changeRequests.approvals(db, id) };
  }

  async #audit(
    trx: Executor,
    actor: string,
    action: string,
    request: ChangeRequestRecord,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.#store.audit.record(trx, {
      at: this.#now(),
      actor,
      action,
      targetType: 'change_request',
      targetId: request.id,
      details: {
        action: request.action,
        target: `${request.targetType}:${request.targetId}`,
        requestedBy: request.requestedBy,
        amountMinor: request.amountMinor,
        currency: request.currency,
        ...details,
      },
    });
  }
}

/** The amount an action puts at stake. */
interface Stake {
  amount: number;
  currency: string | null;
}

function meetsThreshold(stake: Stake | null, minAmount: number): boolean {
  // An unknown amount is treated as above any threshold: refusing to guess is the safe side.
  return minAmount <= 0 || stake === null || stake.amount >= minAmount;
}

/** The changes from `before` to `after` by JSON path (same format as the engine's audit diff). */
export function jsonChanges(before: unknown, after: unknown, path = '$'): ChangeRequestDiffEntry[] {
  if (Object.is(before, after)) return [];
  const bothObjects =
    typeof before === 'object' && before !== null && typeof after === 'object' && after !== null;
  if (!bothObjects || Array.isArray(before) !== Array.isArray(after)) {
    return [{ path, before: before ?? null, after: after ?? null }];
  }
  const out: ChangeRequestDiffEntry[] = [];
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      out.push(...jsonChanges(before[i], after[i], `${path}[${i}]`));
    }
    return out;
  }
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    out.push(...jsonChanges(a[key], b[key], `${path}.${key}`));
  }
  return out;
}

/** Which changed paths touch money, account or date fields (including keys inside changed objects). */
export function sensitiveChanges(
  diff: readonly ChangeRequestDiffEntry[],
  fields: { money: string[]; account: string[]; date: string[] },
): { path: string; kind: 'money' | 'account' | 'date' }[] {
  const out: { path: string; kind: 'money' | 'account' | 'date' }[] = [];
  for (const change of diff) {
    const names = new Set<string>();
    const key = lastKey(change.path);
    if (key !== null) names.add(key);
    collectKeys(change.before, names);
    collectKeys(change.after, names);
    for (const kind of ['money', 'account', 'date'] as const) {
      if ([...names].some((n) => fieldMatches(n, fields[kind]))) {
        out.push({ path: change.path, kind });
      }
    }
  }
  return out;
}

function collectKeys(value: unknown, into: Set<string>): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) collectKeys(v, into);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    into.add(k);
    collectKeys(v, into);
  }
}

/**
 * The largest amount in the documents: numeric fields whose name is a money field (not
 * `currency`, `quantity` or `rate`), with the currency found beside them or above them. When
 * `changed` is given, only changed money paths count (before and after values), falling back to
 * the documents when those carry no number.
 */
export function amountAtStake(
  documents: readonly unknown[],
  moneyFields: readonly string[],
  changed?: readonly ChangeRequestDiffEntry[],
): Stake | null {
  let best: Stake | null = null;
  const consider = (amount: number, currency: string | null) => {
    if (!Number.isFinite(amount)) return;
    const abs = Math.abs(Math.trunc(amount));
    if (!best || abs > best.amount) best = { amount: abs, currency };
  };
  const amountField = (name: string) =>
    !/^(currency|quantity|rate)$/i.test(name) && fieldMatches(name, moneyFields);
  const walk = (value: unknown, currency: string | null, name: string | null) => {
    if (typeof value === 'number') {
      if (name !== null && amountField(name)) consider(value, currency);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, currency, name);
      return;
    }
    const obj = value as Record<string, unknown>;
    const here =
      typeof obj.currency === 'string' && /^[A-Z]{3}$/.test(obj.currency) ? obj.currency : currency;
    for (const [k, v] of Object.entries(obj)) walk(v, here, k);
  };
  if (changed && changed.length > 0) {
    for (const c of changed) {
      const currency = currencyNear(documents, c.path);
      for (const v of [c.before, c.after]) walk(v, currency, lastKey(c.path));
    }
    if (best) return best;
  }
  for (const doc of documents) walk(doc, null, null);
  return best;
}

/** The currency of the object holding `path` (or of an object above it) in the first document that has one. */
function currencyNear(documents: readonly unknown[], path: string): string | null {
  const steps = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .slice(1);
  for (const doc of documents) {
    let node: unknown = doc;
    let found: string | null = null;
    for (const step of steps) {
      if (typeof node !== 'object' || node === null) break;
      const obj = node as Record<string, unknown>;
      if (typeof obj.currency === 'string' && /^[A-Z]{3}$/.test(obj.currency)) found = obj.currency;
      node = obj[step];
    }
    if (found) return found;
  }
  return null;
}

export type { ChangeRequestStatus };
