import type { BillingPayment } from '../connectors/ports.ts';
import { defineFlow, type FlowContext, type TriggerEvent } from '../engine/flow.ts';
import { subtract } from '../model/money.ts';
import { ValidationError } from '../model/revsync-error.ts';
import { canonicalData } from '../model/canonical-events.ts';
import { isRepairEvent } from '../model/repair-events.ts';
import { erpLink } from './erp-link.ts';
import { writeBillingToCrm } from './crm-writeback.ts';
import type { FlowDeps } from './deps.ts';
import { applyCustomerCredit } from './customer-credit.ts';
import { postInOpenPeriod } from './erp-period.ts';
import { postInvoiceToErp } from './invoice-posting.ts';
import { readOptions, writeOptions } from './step-options.ts';

/** A payment's observed statuses, oldest first (entity type `payment_history`). */
export interface PaymentHistory {
  paymentId: string;
  invoiceId?: string;
  customerId: string;
  history: { status: BillingPayment['status']; at: string; reason?: string; eventId: string }[];
}

type PaymentEventInput = (
  | { kind: 'paid' | 'failed'; invoiceId: string; eventId: string }
  | { kind: 'refund'; refundId: string; eventId: string }
) & {
  /** Started by recon repair: the ERP is checked instead of revsync's links to it. */
  repair?: boolean;
};

/**
 * Payment status: paid invoices → an ERP customer payment applied to the invoice (external id =
 * the billing payment id); failed payments and refunds recorded in the payment's status history;
 * refunds → an ERP credit memo (external id = the refund id); the CRM shows the payment status.
 * Runs in the `critical` lane so payments are never starved by backfills.
 */
export function paymentStatusFlow(deps: FlowDeps) {
  return defineFlow<PaymentEventInput>({
    name: 'payment-status',
    triggers: ['billing.invoice.paid', 'billing.payment.failed', 'billing.refund.created'],
    priority: 'critical',
    input: (event) => ({
      ...paymentInput(event),
      ...(isRepairEvent(event) && { repair: true }),
    }),
    async run(ctx, input) {
      const repair = input.repair === true;
      if (input.kind === 'refund')
        return applyRefund(ctx, deps, input.refundId, input.eventId, repair);
      // The invoice must be in the ERP before a payment can be applied to it; posting is an
      // idempotent upsert, so this also covers a paid event that overtook the finalized one.
      const posted = await postInvoiceToErp(ctx, deps, input.invoiceId, 'invoice', { repair });
      const invoice = posted.invoice;
      // The part billing settled from the customer's credit balance: apply those credit memos.
      if (input.kind === 'paid') await applyCustomerCredit(ctx, deps, invoice);
      if (!invoice.paymentId) {
        // Settled without a payment: a zero or negative invoice, or one covered entirely by the
        // customer's credit balance. Nothing to apply in the ERP.
        return {
          invoiceId: invoice.id,
          status: input.kind === 'paid' ? 'settled_without_payment' : 'failed_without_payment',
        };
      }
      // The payment was read from this invoice: the billing platform need not look it up.
      const payment = await ctx.step('read-payment', (s) =>
        deps.billing.getPayment(invoice.paymentId!, {
          ...readOptions(s, 'critical'),
          invoiceId: invoice.id,
        }),
      );
      if (
        input.kind === 'paid' &&
        (payment.status === 'succeeded' || payment.status.endsWith('refunded'))
      ) {
        await ctx.step('erp-payment', async (s) => {
          const date = (invoice.paidAt ?? payment.createdAt).slice(0, 10);
          const what = `${deps.billing.system} payment ${payment.id}`;
          const { id } = await postInOpenPeriod(deps, what, date, s, () =>
            deps.erp.upsertPayment(
              {
                externalId: payment.id,
                customerExternalId: posted.customerId,
                invoiceExternalId: invoice.id,
                amount: invoice.amountPaid.amount > 0 ? invoice.amountPaid : payment.amount,
                date,
                memo: `payment of ${invoice.number ?? invoice.id}`,
              },
              writeOptions(s, 'critical'),
            ),
          );
          await erpLink(
            deps,
            {
              canonicalId: `pay:${payment.id}`,
              entityType: 'payment',
              system: deps.erp.system,
              objectType: 'payment',
              externalId: id,
            },
            repair,
          );
          return id;
        });
      }
      const status = input.kind === 'paid' ? 'succeeded' : 'failed';
      await recordHistory(
        ctx,
        deps,
        payment,
        posted.customerId,
        invoice.id,
        status,
        input.eventId,
        payment.failureReason,
      );
      await ctx.step('crm-payment-status', async (s) => {
        const accountId = await deps.xrefs.findExternal(
          posted.customerId,
          deps.crm.system,
          'account',
        );
        if (!accountId) return null;
        await writeBillingToCrm(
          deps,
          { objectType: 'account', id: accountId },
          {
            paymentStatus: input.kind === 'paid' ? 'paid' : 'failed',
            ...(input.kind === 'paid' && invoice.paidAt && { lastPaymentAt: invoice.paidAt }),
          },
          s,
          { lane: 'critical' },
        );
        return accountId;
      });
      return { paymentId: payment.id, status };
    },
  });
}

/** The run's input from the trigger event. */
function paymentInput(event: TriggerEvent): PaymentEventInput {
  return event.type === 'billing.refund.created'
    ? {
        kind: 'refund',
        refundId: canonicalData(event, 'billing.refund.created').refundId,
        eventId: event.eventId,
      }
    : event.type === 'billing.invoice.paid'
      ? {
          kind: 'paid',
          invoiceId: canonicalData(event, 'billing.invoice.paid').invoiceId,
          eventId: event.eventId,
        }
      : {
          kind: 'failed',
          invoiceId: canonicalData(event, 'billing.payment.failed').invoiceId,
          eventId: event.eventId,
        };
}

async function applyRefund(
  ctx: FlowContext,
  deps: FlowDeps,
  refundId: string,
  eventId: string,
  repair: boolean,
) {
  const refund = await ctx.step('read-refund', (s) =>
    deps.billing.getRefund(refundId, readOptions(s, 'critical')),
  );
  // The refund's invoice is the invoice of the payment it refunds.
  const payment = await ctx.step('read-payment', (s) =>
    deps.billing.getPayment(refund.paymentId, {
      ...readOptions(s, 'critical'),
      ...(refund.invoiceId !== undefined && { invoiceId: refund.invoiceId }),
    }),
  );
  const invoiceId = refund.invoiceId ?? payment.invoiceId;
  if (!invoiceId) {
    await ctx.step('no-invoice', () => {
      throw new ValidationError(
        `refund ${refundId} is for a payment without an invoice; record it in the ERP by hand`,
      );
    });
  }
  const posted = await postInvoiceToErp(ctx, deps, invoiceId!, 'invoice', { repair });
  await ctx.step('erp-credit-memo', async (s) => {
    const what = `${deps.billing.system} refund ${refund.id}`;
    const { id } = await postInOpenPeriod(deps, what, refund.createdAt.slice(0, 10), s, () =>
      deps.erp.upsertCreditMemo(
        {
          externalId: refund.id,
          customerExternalId: posted.customerId,
          invoiceExternalId: posted.invoice.id,
          currency: refund.amount.currency,
          tranDate: refund.createdAt.slice(0, 10),
          memo: `refund ${refund.id} of ${posted.invoice.number ?? posted.invoice.id}`,
          lines: [
            {
              description: `Refund of ${posted.invoice.number ?? posted.invoice.id}`,
              quantity: 1,
              amount: refund.amount,
            },
          ],
          total: refund.amount,
        },
        writeOptions(s, 'critical'),
      ),
    );
    return id;
  });
  const status =
    payment.amountRefunded.amount >= payment.amount.amount ? 'refunded' : 'partially_refunded';
  await recordHistory(
    ctx,
    deps,
    payment,
    posted.customerId,
    posted.invoice.id,
    status,
    eventId,
    `refund ${refund.id}`,
  );
  await ctx.step('crm-payment-status', async (s) => {
    const accountId = await deps.xrefs.findExternal(posted.customerId, deps.crm.system, 'account');
    if (!accountId) return null;
    await writeBillingToCrm(
      deps,
      { objectType: 'account', id: accountId },
      { paymentStatus: status },
      s,
      { lane: 'critical' },
    );
    return accountId;
  });
  const remaining = subtract(payment.amount, payment.amountRefunded);
  return { refundId, paymentId: payment.id, status, remaining: remaining.amount };
}

/** Appends to the payment's status history (kept once per event). */
async function recordHistory(
  ctx: FlowContext,
  deps: FlowDeps,
  payment: BillingPayment,
  customerId: string,
  invoiceId: string,
  status: BillingPayment['status'],
  eventId: string,
  reason: string | undefined,
) {
  await ctx.step('payment-history', async () => {
    const id = `payment:${payment.id}`;
    const stored = await deps.entities.get<PaymentHistory>(id);
    const history: PaymentHistory = stored?.data ?? {
      paymentId: payment.id,
      invoiceId,
      customerId,
      history: [],
    };
    if (history.history.some((h) => h.eventId === eventId)) return history.history.length;
    history.history.push({
      status,
      at: new Date(Date.now()).toISOString(),
      eventId,
      ...(reason !== undefined && { reason }),
    });
    await deps.entities.put({
      id,
      type: 'payment_history',
      data: history,
      expectedVersion: stored?.version ?? 0,
      by: deps.billing.system,
    });
    return history.history.length;
  });
}
