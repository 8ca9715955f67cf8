import { defineFlow } from '../engine/flow.ts';
import { parseCanonicalData } from '../model/canonical-events.ts';
import type { FlowDeps } from './deps.ts';
import { monthlyRecurringRevenue } from './mrr.ts';
import { readOptions, writeOptions } from './step-options.ts';
import { toDecimalString } from '../model/money.ts';

/**
 * Subscription status to the CRM: every change of a subscription (status, items, cancellation)
 * is re-read from the billing platform and written to its opportunity — status, MRR — so sales
 * sees the true state. A canceled subscription also flags the account as churned.
 */
export function subscriptionStatusFlow(deps: FlowDeps) {
  return defineFlow<{ subscriptionId: string }>({
    name: 'subscription-status',
    triggers: [
      'billing.subscription.created',
      'billing.subscription.updated',
      'billing.subscription.canceled',
    ],
    input: (event) => ({
      subscriptionId: parseCanonicalData(event.type as 'billing.subscription.updated', event.data)
        .subscriptionId,
    }),
    async run(ctx, { subscriptionId }) {
      const sub = await ctx.step('read-subscription', (s) =>
        deps.billing.getSubscription(subscriptionId, readOptions(s)),
      );
      const opportunityId = sub.metadata.revsync_crm_opportunity_id;
      const accountId = sub.metadata.revsync_crm_account_id;
      const mrr = monthlyRecurringRevenue(sub);
      if (opportunityId) {
        await ctx.step('crm-opportunity', (s) =>
          deps.crm.updateOpportunityBilling(
            opportunityId,
            { subscriptionId: sub.id, subscriptionStatus: sub.status, mrr },
            writeOptions(s),
          ),
        );
      }
      if (accountId && sub.status === 'canceled') {
        await ctx.step('crm-churn', (s) =>
          deps.crm.updateAccountBilling(
            accountId,
            { subscriptionId: sub.id, subscriptionStatus: 'canceled', churned: true },
            writeOptions(s),
          ),
        );
      }
      return { subscriptionId, status: sub.status, mrr: toDecimalString(mrr) };
    },
  });
}
