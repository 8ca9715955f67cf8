import type { BillingPayout, ErpDepositInput } from '../connectors/ports.ts';
import { defineFlow } from '../engine/flow.ts';
import { canonicalData } from '../model/canonical-events.ts';
import { ValidationError } from '../model/revsync-error.ts';
import type { FlowDeps, FlowRules } from './deps.ts';
import { readOptions, writeOptions } from './step-options.ts';

/** How long the flow waits between checks for the customer payments a deposit takes. */
export const PAYMENT_WAIT_MS = 30_000;
/** How many times it checks before parking the run (about an hour at the default wait). */
export const PAYMENT_CHECKS = 120;

/**
 * Payout to the bank → ERP deposit (external id = the payout id): every charge at its gross
 * amount as the ERP customer payment it settles, refunds and adjustments as signed lines, all
 * fees withheld on one fee line, so the deposit total is the payout. The customer payments
 * must be in the ERP first: the flow checks, sleeps ({@link PAYMENT_WAIT_MS}) and checks again
 * while the payment runs catch up, and parks with the missing payments named if they never do.
 */
export function payoutDepositFlow(deps: FlowDeps, options: { paymentWaitMs?: number } = {}) {
  return defineFlow<{ payoutId: string }>({
    name: 'payout-deposit',
    triggers: ['billing.payout.paid'],
    entityKey: (event) => `payout:${event.subject ?? ''}`,
    input: (event) => ({ payoutId: canonicalData(event, 'billing.payout.paid').payoutId }),
    async run(ctx, { payoutId }) {
      const { billing, erp } = deps;
      if (!billing.getPayout || !erp.upsertDeposit) {
        return {
          payoutId,
          status: 'unsupported',
          reason: `${billing.getPayout ? erp.system : billing.system} does not model payouts or deposits`,
        };
      }
      const getPayout = billing.getPayout.bind(billing);
      const upsertDeposit = erp.upsertDeposit.bind(erp);
      const payout = await ctx.step('read-payout', (s) => getPayout(payoutId, readOptions(s)));
      if (payout.status !== 'paid') return { payoutId, status: `not_paid_${payout.status}` };
      // One step per payment read, so a transient failure retries that read alone.
      let waiting = [
        ...new Set(
          payout.transactions.filter((t) => t.type === 'charge').map((t) => t.sourceId ?? t.id),
        ),
      ];
      for (let check = 0; ; check++) {
        const missing: string[] = [];
        for (const reference of waiting) {
          const found = await ctx.step(
            `payment:${reference}:${check}`,
            async (s) => (await erp.getPayment(reference, readOptions(s))) !== undefined,
          );
          if (!found) missing.push(reference);
        }
        waiting = missing;
        if (missing.length === 0) break;
        if (check + 1 >= PAYMENT_CHECKS) {
          await ctx.step('payments-missing', () => {
            throw new ValidationError(
              `payout ${payoutId}: the ERP has no customer payment for ${missing.join(', ')}; post them, then retry`,
            );
          });
        }
        await ctx.sleep(`wait-payments-${check}`, options.paymentWaitMs ?? PAYMENT_WAIT_MS);
      }
      const depositId = await ctx.step('erp-deposit', async (s) => {
        const { id } = await upsertDeposit(toErpDeposit(payout, deps.rules), writeOptions(s));
        await deps.xrefs.link({
          canonicalId: `payout:${payout.id}`,
          entityType: 'payout',
          system: erp.system,
          objectType: 'deposit',
          externalId: id,
        });
        return id;
      });
      return { payoutId, depositId, status: 'deposited' };
    },
  });
}

/** The subsidiary that banks a currency: the region booking it, else the default region's. */
function subsidiaryFor(currency: string, rules: FlowRules): string {
  const regions = Object.values(rules.regions);
  const region = regions.find((r) => r.currency === currency) ?? rules.regions[rules.defaultRegion];
  if (!region) throw new ValidationError(`no region books ${currency}`);
  return region.subsidiary;
}

/** A paid payout → the ERP deposit that books it. */
export function toErpDeposit(payout: BillingPayout, rules: FlowRules): ErpDepositInput {
  const currency = payout.amount.currency;
  const lines: ErpDepositInput['lines'] = [];
  let fee = 0;
  for (const t of payout.transactions) {
    fee += t.fee.amount;
    if (t.type === 'fee') {
      fee -= t.amount.amount; // a standalone fee is a negative transaction
      continue;
    }
    if (t.amount.amount === 0) continue;
    lines.push({
      kind: t.type === 'charge' ? 'payment' : t.type,
      reference: t.type === 'adjustment' ? t.id : (t.sourceId ?? t.id),
      amount: t.amount,
      memo: `${t.type} ${t.sourceId ?? t.id}`,
    });
  }
  return {
    externalId: payout.id,
    subsidiary: subsidiaryFor(currency, rules),
    currency,
    tranDate: payout.arrivalDate,
    memo: `payout ${payout.id}`,
    lines,
    fee: { amount: fee, currency },
    total: payout.amount,
  };
}
