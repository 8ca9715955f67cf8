import { defineFlow } from '../engine/flow.ts';
import { canonicalData } from '../model/canonical-events.ts';
import { isRepairEvent } from '../model/repair-events.ts';
import type { FlowDeps } from './deps.ts';
import { postedInvoice, postInvoiceToErp } from './invoice-posting.ts';

/**
 * Invoice posting: every finalized billing invoice (other than renewals, which the renewal flow
 * posts with its revenue schedule) reaches the ERP exactly once. Posting is an upsert by the
 * billing invoice id, so the quote-to-cash and amendment flows posting the same invoice converge.
 */
export function invoiceToErpFlow(deps: FlowDeps) {
  return defineFlow<{ invoiceId: string; repair?: boolean }>({
    name: 'invoice-to-erp',
    triggers: ['billing.invoice.finalized'],
    filter: (event) =>
      canonicalData(event, 'billing.invoice.finalized').reason !== 'subscription_cycle',
    priority: 'high',
    input: (event) => ({
      invoiceId: canonicalData(event, 'billing.invoice.finalized').invoiceId,
      ...(isRepairEvent(event) && { repair: true }),
    }),
    async run(ctx, { invoiceId, repair }) {
      // Most finalized invoices were posted already by the flow that created them (quote to
      // cash, amendment): then there is nothing to read or write. A repair run (recon) checks
      // the ERP instead of trusting revsync's link to it.
      if (!repair) {
        const erpInvoiceId = await ctx.step(
          'invoice:already-posted',
          async () => (await postedInvoice(deps, invoiceId)) ?? null,
          { local: true },
        );
        if (erpInvoiceId) return { invoiceId, erpInvoiceId, alreadyPosted: true };
      }
      const posted = await postInvoiceToErp(ctx, deps, invoiceId, 'invoice', { repair });
      return { invoiceId, erpInvoiceId: posted.erpInvoiceId, total: posted.invoice.total };
    },
  });
}
