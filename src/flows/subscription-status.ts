import { defineFlow } from '../engine/flow.ts';
import { parseCanonicalData } from '../model/canonical-events.ts';
import { writeBillingToCrm } from './crm-writeback.ts';
import type { FlowDeps } from './deps.ts';
import { monthlyRecurringRevenue } from './mrr.ts';
import { readOptions } from './step-options.ts';
import { toDecimalString } from '../model/money.ts';

/**
 * Subscription status to the CRM: every change of a subscription (status, items, cancellation)
 * is re-read from the billing platform and written to its opportunity — status, MRR — so sales
 * sees the true state. A canceled subscription also flags the account as churned. Write-backs
 * go through revsync's write-back ledger (a repeat of what was written is not sent). The
 * creation of a subscription revsync created itself is skipped (see below).
 */
export function subscriptionStatusFlow(deps: FlowDeps) {
  return defineFlow<
    { subscriptionId: string; created?: boolean },
    { subscriptionId: string; status: string; mrr: string } | { skipped: string }
  >({
    name: 'subscription-status',
    triggers: [
      'billing.subscription.created',
      'billing.subscription.updated',
      'billing.subscription.canceled',
    ],
    input: (event) => ({
      subscriptionId: parseCanonicalData(event.type as 'billing.subscription.updated', event.data)
        .subscriptionId,
      ...(event.type === 'billing.subscription.created' && { created: true }),
    }),
    async run(ctx, { subscriptionId, created }) {
      if (created) {
        // A subscription revsync created itself (quote-to-cash's `create-subscription` links the
        // contract to it right after creating it) needs nothing from its `created` event:
        // quote-to-cash writes its status and MRR to the opportunity and account in the same
        // run, from the subscription the create answered (or re-read, on a retry). Whatever
        // changes after the create (the first payment activating it, items, cancellation)
        // arrives as its own `billing.subscription.updated` / `canceled` event, which this
        // flow handles in full. Ordering: these events carry the deal's canonical customer as
        // entity key (the subscription's metadata), the key the quote-to-cash run that made it
        // normally has too, so this run waits for that run (running or parked) and the link
        // exists by then; and since a skipped `created` writes nothing, it can never overwrite
        // the newer state an `updated` wrote. Without the link (the
        // event outran the link's commit, or someone else created the subscription) the run
        // goes on as for any change — a repeat write-back, never a lost one.
        const contractId = await ctx.step('created-by-revsync', () =>
          deps.xrefs.find(deps.billing.system, 'subscription', subscriptionId),
        );
        if (contractId !== undefined)
          return { skipped: `created by revsync for contract ${contractId}` };
      }
      const sub = await ctx.step('read-subscription', (s) =>
        deps.billing.getSubscription(subscriptionId, readOptions(s)),
      );
      const opportunityId = sub.metadata.revsync_crm_opportunity_id;
      const accountId = sub.metadata.revsync_crm_account_id;
      const mrr = monthlyRecurringRevenue(sub);
      if (opportunityId) {
        await ctx.step('crm-opportunity', (s) =>
          writeBillingToCrm(
            deps,
            { objectType: 'opportunity', id: opportunityId },
            { subscriptionId: sub.id, subscriptionStatus: sub.status, mrr },
            s,
          ),
        );
      }
      if (accountId && sub.status === 'canceled') {
        await ctx.step('crm-churn', (s) =>
          writeBillingToCrm(
            deps,
            { objectType: 'account', id: accountId },
            { subscriptionId: sub.id, subscriptionStatus: 'canceled', churned: true },
            s,
          ),
        );
      }
      return { subscriptionId, status: sub.status, mrr: toDecimalString(mrr) };
    },
  });
}
