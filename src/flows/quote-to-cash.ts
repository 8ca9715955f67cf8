import type { BillingSubscription, CrmOpportunity } from '../connectors/ports.ts';
import { defineFlow, type FlowContext } from '../engine/flow.ts';
import { canonicalData } from '../model/canonical-events.ts';
import { contractIdForOpportunity } from '../model/ids.ts';
import { toDecimalString } from '../model/money.ts';
import { ConflictError, ValidationError } from '../model/revsync-error.ts';
import { writeBillingToCrm } from './crm-writeback.ts';
import { syncCustomerFromCrm } from './customer-sync.ts';
import type { FlowDeps } from './deps.ts';
import { postInvoiceToErp } from './invoice-posting.ts';
import { monthlyRecurringRevenue } from './mrr.ts';
import { readOptions, writeOptions } from './step-options.ts';

export interface QuoteToCashResult {
  customerId: string;
  subscriptionId: string;
  invoiceId?: string;
  erpInvoiceId?: string;
  mrr: string;
}

/**
 * Quote-to-cash: a won CRM opportunity (other than an amendment) with line items → customer in the ERP and the billing
 * platform → subscription (created once: the contract's cross-reference is checked first and the
 * create carries the step's idempotency key) → its first invoice, once finalized, posted to the
 * ERP with the billing invoice id as external id and the subsidiary from the region rule → the
 * CRM updated with subscription id, status and MRR.
 */
export function quoteToCashFlow(deps: FlowDeps) {
  return defineFlow<{ opportunityId: string }, QuoteToCashResult | { skipped: string }>({
    name: 'quote-to-cash',
    triggers: ['crm.opportunity.won'],
    filter: (event) => canonicalData(event, 'crm.opportunity.won').dealType !== 'amendment',
    priority: 'high',
    input: (event) => ({
      opportunityId: canonicalData(event, 'crm.opportunity.won').opportunityId,
    }),
    async run(ctx, { opportunityId }) {
      const read = await ctx.step('read-opportunity', (s) =>
        deps.crm.getOpportunity(opportunityId, readOptions(s)),
      );
      if (!read.isWon) return { skipped: `opportunity is ${read.stage}, not won` };
      // A deal closed without its products parks here until the rep adds them and an operator
      // retries. The retry replays `read-opportunity` from its stored result (still without
      // lines), so this step reads the opportunity again before giving up.
      const opp = await ctx.step('check-lines', async (s) => {
        const current =
          read.lines.length > 0
            ? read
            : await deps.crm.getOpportunity(opportunityId, readOptions(s));
        if (current.lines.length === 0)
          throw new ValidationError(`opportunity ${current.id} has no line items to bill`);
        return current;
      });

      // The account came with the opportunity read (when the CRM reads both at once).
      const customer = await syncCustomerFromCrm(ctx, deps, opp.accountId, 'customer', opp.account);
      if (customer.status === 'duplicate') {
        await ctx.step('customer-is-duplicate', () => {
          throw new ConflictError(
            `account ${opp.accountId} duplicates customer ${customer.duplicateOf}: merge the accounts in the CRM (the deal moves to the surviving account and is billed from there), then skip this run`,
          );
        });
        return { skipped: 'duplicate customer' };
      }

      const subscription = await ensureSubscription(
        ctx,
        deps,
        opp,
        customer.customerId,
        customer.billingCustomerId,
      );
      const posted = subscription.latestInvoiceId
        ? await postInvoiceToErp(ctx, deps, subscription.latestInvoiceId, 'first-invoice', {
            ...(subscription.latestInvoice && { invoice: subscription.latestInvoice }),
          })
        : undefined;
      const mrr = await writeSubscriptionToCrm(ctx, deps, opp, customer.customerId, subscription);
      return {
        customerId: customer.customerId,
        subscriptionId: subscription.id,
        mrr,
        ...(posted && { invoiceId: posted.invoice.id, erpInvoiceId: posted.erpInvoiceId }),
      };
    },
  });
}

/** Prices for every line, then the subscription — created once per opportunity. */
export async function ensureSubscription(
  ctx: FlowContext,
  deps: FlowDeps,
  opp: CrmOpportunity,
  customerId: string,
  billingCustomerId: string,
): Promise<BillingSubscription> {
  const prices = await ensurePrices(ctx, deps, opp);
  const contractId = contractIdForOpportunity(deps.crm.system, opp.id);
  return ctx.step('create-subscription', async (s) => {
    const existing = await deps.xrefs.findExternal(contractId, deps.billing.system, 'subscription');
    if (existing) return deps.billing.getSubscription(existing, readOptions(s));
    const subscription = await deps.billing.createSubscription(
      {
        customerId: billingCustomerId,
        items: opp.lines.map((line, i) => ({ priceId: prices[i]!, quantity: line.quantity })),
        metadata: {
          revsync_customer_id: customerId,
          revsync_contract_id: contractId,
          revsync_crm_opportunity_id: opp.id,
          revsync_crm_account_id: opp.accountId,
          // Billing events about this subscription continue the deal's correlation id.
          revsync_correlation_id: ctx.correlationId,
        },
      },
      writeOptions(s, 'high'),
    );
    await deps.xrefs.link({
      canonicalId: contractId,
      entityType: 'contract',
      system: deps.billing.system,
      objectType: 'subscription',
      externalId: subscription.id,
    });
    await deps.xrefs.link({
      canonicalId: contractId,
      entityType: 'contract',
      system: deps.crm.system,
      objectType: 'opportunity',
      externalId: opp.id,
    });
    return subscription;
  });
}

/** A recurring price per opportunity line (found by a stable lookup key, else created). */
export async function ensurePrices(
  ctx: FlowContext,
  deps: FlowDeps,
  opp: CrmOpportunity,
): Promise<string[]> {
  return ctx.step('ensure-prices', async (s) => {
    const ids: string[] = [];
    for (const [i, line] of opp.lines.entries()) {
      const { priceId } = await deps.billing.ensurePrice(
        {
          productCode: line.productCode,
          productName: line.productName,
          unitAmount: line.unitAmount,
          interval: line.interval,
        },
        { ...writeOptions(s), idempotencyKey: `${s.idempotencyKey}-${i}` },
      );
      ids.push(priceId);
    }
    return ids;
  });
}

/** Writes subscription id, status and MRR to the opportunity and the account; returns the MRR. */
export async function writeSubscriptionToCrm(
  ctx: FlowContext,
  deps: FlowDeps,
  opp: Pick<CrmOpportunity, 'id' | 'accountId'>,
  customerId: string,
  subscription: BillingSubscription,
): Promise<string> {
  const mrr = monthlyRecurringRevenue(subscription);
  // Through the write-back ledger: a re-run of this flow (the CRM echoing revsync's own write as
  // a fresh `closed_won`, a replay) writes nothing when the values are what it wrote already.
  await ctx.step('crm-opportunity', (s) =>
    writeBillingToCrm(
      deps,
      { objectType: 'opportunity', id: opp.id },
      { subscriptionId: subscription.id, subscriptionStatus: subscription.status, mrr },
      s,
    ),
  );
  await ctx.step('crm-account', (s) =>
    writeBillingToCrm(
      deps,
      { objectType: 'account', id: opp.accountId },
      {
        revsyncId: customerId,
        billingCustomerId: subscription.customerId,
        subscriptionId: subscription.id,
        subscriptionStatus: subscription.status,
      },
      s,
    ),
  );
  return toDecimalString(mrr);
}
