import { defineFlow } from '../engine/flow.ts';
import { ValidationError } from '../model/revsync-error.ts';
import { canonicalData } from '../model/canonical-events.ts';
import type { FlowDeps } from './deps.ts';
import { postInvoiceToErp } from './invoice-posting.ts';
import { ensurePrices, writeSubscriptionToCrm } from './quote-to-cash.ts';
import { readOptions, writeOptions } from './step-options.ts';

/**
 * Amendment-to-invoice: a won amendment opportunity changes quantities or prices mid-cycle → the
 * subscription is updated with immediate proration invoicing → the proration invoice is posted to
 * the ERP → the CRM shows the new MRR. The opportunity's lines are the subscription's new state:
 * each line replaces the item of the same product (or adds one).
 */
export function amendmentFlow(deps: FlowDeps) {
  return defineFlow<{ opportunityId: string }>({
    name: 'amendment',
    triggers: ['crm.opportunity.won'],
    filter: (event) => canonicalData(event, 'crm.opportunity.won').dealType === 'amendment',
    priority: 'high',
    input: (event) => ({
      opportunityId: canonicalData(event, 'crm.opportunity.won').opportunityId,
    }),
    async run(ctx, { opportunityId }) {
      const opp = await ctx.step('read-opportunity', (s) =>
        deps.crm.getOpportunity(opportunityId, readOptions(s)),
      );
      const subscriptionId = await ctx.step('find-subscription', async (s) => {
        const id =
          opp.subscriptionId ??
          (await deps.crm.getAccountBilling(opp.accountId, readOptions(s))).subscriptionId;
        if (!id)
          throw new ValidationError(
            `amendment ${opp.id} names no subscription and its account has none`,
          );
        return id;
      });
      const applied = await ctx.step(
        'check-applied',
        async () => (await deps.entities.get(`amendment:${opp.id}`)) !== undefined,
      );
      if (applied) return { skipped: 'amendment already applied' };

      const before = await ctx.step('read-subscription', (s) =>
        deps.billing.getSubscription(subscriptionId, readOptions(s)),
      );
      const prices = await ensurePrices(ctx, deps, opp);
      const amended = await ctx.step('amend-subscription', async (s) => {
        const items = opp.lines.map((line, i) => {
          const current = before.items.find((item) => item.productCode === line.productCode);
          return {
            ...(current && { itemId: current.id }),
            priceId: prices[i]!,
            quantity: line.quantity,
          };
        });
        const result = await deps.billing.amendSubscription(
          subscriptionId,
          // The proration invoice's events then carry this change's correlation id.
          { items, metadata: { revsync_correlation_id: ctx.correlationId } },
          writeOptions(s, 'high'),
        );
        await deps.entities.put({
          id: `amendment:${opp.id}`,
          type: 'amendment',
          data: {
            opportunityId: opp.id,
            subscriptionId,
            before: before.items,
            after: result.items,
          },
          by: 'revsync',
        });
        return result;
      });
      const customerId =
        amended.metadata.revsync_customer_id ??
        (await ctx.step(
          'resolve-customer',
          () => deps.xrefs.find(deps.billing.system, 'customer', amended.customerId),
          { local: true },
        ));
      if (!customerId) {
        await ctx.step('unknown-customer', () => {
          throw new ValidationError(
            `subscription ${subscriptionId} belongs to a customer revsync does not know`,
          );
        });
      }
      const posted =
        amended.latestInvoiceId && amended.latestInvoiceId !== before.latestInvoiceId
          ? await postInvoiceToErp(ctx, deps, amended.latestInvoiceId, 'proration-invoice')
          : undefined;
      const mrr = await writeSubscriptionToCrm(
        ctx,
        deps,
        { id: opp.id, accountId: opp.accountId },
        customerId!,
        amended,
      );
      return {
        subscriptionId,
        mrr,
        ...(posted && { invoiceId: posted.invoice.id, erpInvoiceId: posted.erpInvoiceId }),
      };
    },
  });
}
