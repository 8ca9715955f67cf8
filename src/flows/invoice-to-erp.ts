import { defineFlow } from '../engine/flow.ts';
import { requireSubject } from './account-sync.ts';
import type { FlowDeps } from './deps.ts';
import { postInvoiceToErp } from './invoice-posting.ts';

/** Billing reason of a billing-platform invoice event, when the event carries the invoice. */
export function billingReasonOf(data: unknown): string | undefined {
  return typeof data === 'object' && data !== null
    ? ((data as { billing_reason?: string }).billing_reason ?? undefined)
    : undefined;
}

/**
 * Invoice posting: every finalized billing invoice (other than renewals, which the renewal flow
 * posts with its revenue schedule) reaches the ERP exactly once. Posting is an upsert by the
 * billing invoice id, so the quote-to-cash and amendment flows posting the same invoice converge.
 */
export function invoiceToErpFlow(deps: FlowDeps) {
  return defineFlow<{ invoiceId: string }>({
    name: 'invoice-to-erp',
    triggers: [`${deps.billing.system}.invoice.finalized`],
    filter: (event) => billingReasonOf(event.data) !== 'subscription_cycle',
    priority: 'high',
    input: (event) => ({ invoiceId: requireSubject(event.subject) }),
    async run(ctx, { invoiceId }) {
      const posted = await postInvoiceToErp(ctx, deps, invoiceId);
      return { invoiceId, erpInvoiceId: posted.erpInvoiceId, total: posted.invoice.total };
    },
  });
}
