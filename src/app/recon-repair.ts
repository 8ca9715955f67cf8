/**
 * Repair after a reconciliation: a discrepancy with a safe fix becomes an ordinary engine run of
 * the flow that should have made the ERP (or CRM) agree, started by a canonical event appended to
 * the inbox under a deterministic id (`recon-repair:<class>:<billingId>`), so asking twice starts
 * one run and nothing is written outside the engine. A discrepancy that needs a person goes to
 * the exception queue (kind `discrepancy`) with its evidence and a proposed action. Each repair
 * and each decision is one audit entry.
 */
import type { BillingSystem } from '../connectors/ports.ts';
import type { Clock } from '../engine/clock.ts';
import type { CanonicalEventType } from '../model/canonical-events.ts';
import { stableId } from '../model/ids.ts';
import { RECON_REPAIR_SOURCE } from '../model/repair-events.ts';
import { coerceError } from '../model/revsync-error.ts';
import type { BillingDocument, Discrepancy, DiscrepancyClass } from '../recon/index.ts';
import type { Approvals } from '../governance/approvals.ts';
import type { Inbox } from '../store/inbox.ts';
import type { Store } from '../store/store.ts';

// The source of the events repair appends; flows read it to tell a repair run (model/repair-events).
export { RECON_REPAIR_SOURCE };

/** What repair does about one discrepancy. */
export type RepairPlan =
  | {
      kind: 'run';
      /** The canonical event that starts the flow run, and a line for a person. */
      event: { type: CanonicalEventType; subject: string; data: Record<string, unknown> };
      action: string;
    }
  | { kind: 'person'; action: string };

/** What happened to one discrepancy. */
export interface RepairOutcome {
  key: string;
  class: DiscrepancyClass;
  billingId: string | null;
  erpId: string | null;
  outcome:
    | 'run_started'
    | 'run_already_started'
    | 'queued'
    | 'already_queued'
    | 'awaiting_approval'
    | 'failed';
  action: string;
  /** The inbox event that starts the repair run. */
  eventId?: string;
  exceptionId?: string;
  /** The change request a repair waits on (`awaiting_approval`). */
  changeRequest?: string;
  error?: string;
}

export interface RepairDeps {
  store: Store;
  inbox: Inbox;
  billing: BillingSystem;
  clock: Clock;
  /**
   * Four-eyes approvals: a repair whose amount reaches the `recon.repair` policy's threshold
   * becomes a change request instead of starting (it starts when another person approves).
   * Without it every repair starts at once.
   */
  approvals?: Pick<Approvals, 'guardRepair'>;
}

export interface RepairOptions {
  /** Who asked (recorded in the audit trail). */
  actor: string;
  /** The stored reconciliation run this repair acts on, if any (audited with it). */
  reconRunId?: string;
}

/** What a person is asked to do, per class without a safe automatic fix. */
const PERSON_ACTIONS: Partial<Record<DiscrepancyClass, string>> = {
  missing_in_billing:
    'find what the ERP document posts: void it in the ERP if nothing in billing explains it, or bill it',
  duplicate_in_erp:
    'void the second ERP document (keep the one whose external id is the billing id) and re-apply its payment if any',
  amount_mismatch:
    'the posted document was changed in the ERP: restore the billed amount there or issue a credit/debit memo',
  tax_mismatch:
    'correct the tax of the posted ERP document or raise a credit/debit memo for the difference',
  currency_mismatch:
    'void the ERP document and post it again in the billing currency (the customer currency may be wrong)',
  period_mismatch:
    'move the posting to the billing period in the ERP, or journal it there if that period is closed',
  mrr_mismatch: "correct the subscription's MRR in the CRM (or check the billing subscription)",
};

/** The deterministic key of a discrepancy's repair: the inbox event id / the exception's source. */
export function repairKey(d: Pick<Discrepancy, 'class' | 'billingId' | 'erpId'>): string {
  return `recon-repair:${d.class}:${d.billingId ?? `erp:${d.erpId ?? 'unknown'}`}`;
}

/**
 * Decides the fix for one discrepancy. `doc` is the billing document it is about (from the same
 * reconciliation); without it only a person can act.
 */
export async function planRepair(
  d: Discrepancy,
  doc: BillingDocument | undefined,
  billing: Pick<BillingSystem, 'getInvoice'>,
): Promise<RepairPlan> {
  const person = (action?: string): RepairPlan => ({
    kind: 'person',
    action:
      action ?? PERSON_ACTIONS[d.class] ?? 'check both systems and correct the one that is wrong',
  });
  const paid = (invoiceId: string, why: string): RepairPlan => ({
    kind: 'run',
    event: { type: 'billing.invoice.paid', subject: invoiceId, data: { invoiceId } },
    action: why,
  });
  switch (d.class) {
    case 'missing_in_erp': {
      if (!doc)
        return person('the billing document was not read: post it through its flow by hand');
      if (doc.kind === 'credit_note')
        return {
          kind: 'run',
          event: {
            type: 'billing.credit_note.created',
            subject: doc.id,
            data: { creditNoteId: doc.id, ...(doc.invoiceId && { invoiceId: doc.invoiceId }) },
          },
          action: 'post the credit memo (cancellation flow)',
        };
      if (doc.kind !== 'invoice') return person();
      // The invoice's billing reason picks the flow: a renewal posts with its revenue schedule.
      const invoice = await billing.getInvoice(doc.id);
      return {
        kind: 'run',
        event: {
          type: 'billing.invoice.finalized',
          subject: doc.id,
          data: { invoiceId: doc.id, reason: invoice.billingReason },
        },
        action: `post the ${doc.amount < 0 ? 'credit memo' : 'invoice'} (invoice posting flow)`,
      };
    }
    case 'payment_missing_in_erp':
      return doc?.invoiceId
        ? paid(doc.invoiceId, 'post the customer payment (payment status flow)')
        : person('the payment has no billing invoice: record it in the ERP by hand');
    case 'payment_unapplied':
      return doc?.invoiceId
        ? paid(doc.invoiceId, 'apply the customer payment to its invoice (payment status flow)')
        : person('the payment has no billing invoice: apply it in the ERP by hand');
    case 'refund_missing_in_erp':
      if (!doc || doc.kind !== 'refund') return person();
      return {
        kind: 'run',
        event: {
          type: 'billing.refund.created',
          subject: doc.id,
          data: { refundId: doc.id },
        },
        action: 'create the credit memo for the refund (payment status flow)',
      };
    case 'status_mismatch':
      // Paid in billing, open in the ERP: posting and applying the payment fixes it. The reverse
      // (paid in the ERP, open in billing) means money the billing system does not know of.
      return doc?.kind === 'invoice' && doc.status === 'paid'
        ? paid(doc.id, 'apply the payment (and any customer credit) to the ERP invoice')
        : person(
            'the ERP shows paid what billing shows open: find the ERP payment and reverse it, or record it in billing',
          );
    case 'crm_status_mismatch':
      return d.billingId
        ? {
            kind: 'run',
            event: {
              type: 'billing.subscription.updated',
              subject: d.billingId,
              data: { subscriptionId: d.billingId },
            },
            action: 'update the CRM subscription status (subscription status flow)',
          }
        : person();
    default:
      return person();
  }
}

/**
 * Repairs the discrepancies of one reconciliation: starts a run for each that has a safe fix,
 * queues the others for a person. Idempotent: a second call starts no second run and opens no
 * second exception. In-flight items are not discrepancies and are never repaired.
 */
export async function repairDiscrepancies(
  deps: RepairDeps,
  discrepancies: readonly Discrepancy[],
  documents: ReadonlyMap<string, BillingDocument>,
  options: RepairOptions,
): Promise<RepairOutcome[]> {
  const out: RepairOutcome[] = [];
  const seen = new Set<string>();
  for (const d of discrepancies) {
    const key = repairKey(d);
    if (seen.has(key)) continue;
    seen.add(key);
    const base = { key, class: d.class, billingId: d.billingId, erpId: d.erpId };
    const doc = d.billingId ? documents.get(d.billingId) : undefined;
    try {
      const plan = await planRepair(d, doc, deps.billing);
      if (plan.kind === 'person') out.push(await queueForPerson(deps, d, key, plan, options));
      else out.push(await startRun(deps, d, doc, key, plan, options));
    } catch (caught) {
      const error = coerceError(caught);
      await audit(deps, options, 'recon.repair_failed', key, { ...base, error: error.message });
      out.push({ ...base, outcome: 'failed', action: 'none', error: error.message });
    }
  }
  return out;
}

async function startRun(
  deps: RepairDeps,
  d: Discrepancy,
  doc: BillingDocument | undefined,
  key: string,
  plan: RepairPlan & { kind: 'run' },
  options: RepairOptions,
): Promise<RepairOutcome> {
  const base = { key, class: d.class, billingId: d.billingId, erpId: d.erpId, action: plan.action };
  const event = {
    specversion: '1.0',
    id: key,
    source: RECON_REPAIR_SOURCE,
    type: plan.event.type,
    subject: plan.event.subject,
    time: new Date(deps.clock.now()).toISOString(),
    ...(doc?.customer && { entitykey: doc.customer }),
    ...(d.correlationId !== undefined && { correlationid: d.correlationId }),
    data: plan.event.data,
  };
  const request = await deps.approvals?.guardRepair(key, {
    actor: options.actor,
    event,
    action: plan.action,
    evidence: evidence(d),
    ...stakeOf(d),
  });
  if (request) {
    await audit(deps, options, 'recon.repair_awaiting_approval', key, {
      ...evidence(d),
      changeRequest: request.id,
    });
    return { ...base, outcome: 'awaiting_approval', changeRequest: request.id };
  }
  const appended = await deps.inbox.append(event);
  await audit(deps, options, 'recon.repair', key, {
    ...evidence(d),
    action: plan.action,
    event: { type: plan.event.type, id: appended.eventId },
    duplicate: appended.duplicate,
  });
  return {
    ...base,
    outcome: appended.duplicate ? 'run_already_started' : 'run_started',
    eventId: appended.eventId,
  };
}

async function queueForPerson(
  deps: RepairDeps,
  d: Discrepancy,
  key: string,
  plan: RepairPlan & { kind: 'person' },
  options: RepairOptions,
): Promise<RepairOutcome> {
  const id = stableId('exc', key);
  const at = deps.clock.now();
  const created = await deps.store.transaction(async (trx) => {
    if (await deps.store.exceptions.get(trx, id)) return false;
    await deps.store.exceptions.open(trx, {
      id,
      kind: 'discrepancy',
      runId: null,
      eventSeq: null,
      flow: null,
      entityKey: d.billingId ?? d.erpId,
      stepName: d.class,
      error: {
        name: 'ReconDiscrepancy',
        code: 'conflict',
        message: `${d.class}: ${d.message}. Proposed: ${plan.action}`,
        retryable: false,
      },
      attempts: 0,
      lastInput: { ...evidence(d), proposedAction: plan.action, key },
      correlationId: d.correlationId ?? null,
      createdAt: at,
    });
    await deps.store.audit.record(trx, {
      at,
      actor: options.actor,
      action: 'recon.queue_for_person',
      targetType: 'discrepancy',
      targetId: key,
      details: {
        ...evidence(d),
        exceptionId: id,
        proposedAction: plan.action,
        ...(options.reconRunId !== undefined && { reconRunId: options.reconRunId }),
      },
    });
    return true;
  });
  return {
    key,
    class: d.class,
    billingId: d.billingId,
    erpId: d.erpId,
    outcome: created ? 'queued' : 'already_queued',
    action: plan.action,
    exceptionId: id,
  };
}

/** What a repair puts at stake: the larger of the two amounts (minor units), null if neither is known. */
function stakeOf(d: Discrepancy): { amountMinor: number | null; currency: string | null } {
  const amounts = [d.billingAmount, d.erpAmount].filter((a): a is number => a !== null);
  return {
    amountMinor: amounts.length === 0 ? null : Math.max(...amounts.map(Math.abs)),
    currency: d.currency,
  };
}

/** The discrepancy as evidence: ids, amounts, lineage, the match rule and the message. */
function evidence(d: Discrepancy): Record<string, unknown> {
  return {
    class: d.class,
    billingId: d.billingId,
    erpId: d.erpId,
    crmId: d.crmId,
    subsidiary: d.subsidiary,
    currency: d.currency,
    billingAmount: d.billingAmount,
    erpAmount: d.erpAmount,
    correlationId: d.correlationId ?? null,
    runIds: d.runIds ?? [],
    ...(d.match !== undefined && { match: d.match }),
    message: d.message,
  };
}

async function audit(
  deps: RepairDeps,
  options: RepairOptions,
  action: string,
  key: string,
  details: Record<string, unknown>,
): Promise<void> {
  await deps.store.audit.record(deps.store.db, {
    at: deps.clock.now(),
    actor: options.actor,
    action,
    targetType: 'discrepancy',
    targetId: key,
    details: {
      ...details,
      ...(options.reconRunId !== undefined && { reconRunId: options.reconRunId }),
    },
  });
}
