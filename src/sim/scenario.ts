import type { Rng } from '@revsync/emulators/kit';
import {
  amend,
  billingOf,
  cancelWithCreditNote,
  countInvoices,
  createAccount,
  refundLatest,
  reportUsage,
  winDeal,
  type BilledCustomer,
  type SimCustomer,
  type UsageApi,
  type World,
} from './actions.ts';

export type { SimCustomer } from './actions.ts';

/** What the scenario drives and how it waits for revsync. */
export interface ScenarioContext {
  rng: Rng;
  /** The CRM and billing systems, as their drivers act on them. */
  world: World;
  /** revsync's usage API (records and period manifests). */
  usage: UsageApi;
  /** Waits until revsync has processed everything it received. */
  settle(label: string): Promise<void>;
  /** A phase's progress; with `counts`, how far through the phase it is. */
  progress(message: string, counts?: { done: number; total: number }): void;
  /** How often an incomplete usage period is checked again (ms). */
  usageRecheckMs: number;
}

/** What happened, for the report. */
export interface ScenarioTally {
  accounts: number;
  duplicateAccounts: number;
  deals: number;
  amendments: number;
  usagePeriods: number;
  usageHeldBack: number;
  failedPayments: number;
  recoveredPayments: number;
  refunds: number;
  cancellations: number;
  renewalsBilled: number;
  /** Payouts to the bank at the end (billing systems that model them). */
  payouts: number;
}

const DAY = 86_400_000;

/**
 * The simulated business, in phases: accounts (a few deliberate duplicates) and closed-won deals
 * in three regions and currencies; mid-cycle upgrades and downgrades; usage periods (some held
 * back until their data is complete); cards that decline at renewal and are later replaced; a
 * renewal through the billing platform's test clock; refunds; cancellations with credit notes. revsync does
 * all the syncing; the scenario only acts as the people and systems around it would.
 */
export async function runScenario(
  ctx: ScenarioContext,
  customers: number,
): Promise<{ customers: SimCustomer[]; tally: ScenarioTally }> {
  const tally: ScenarioTally = {
    accounts: 0,
    duplicateAccounts: 0,
    deals: 0,
    amendments: 0,
    usagePeriods: 0,
    usageHeldBack: 0,
    failedPayments: 0,
    recoveredPayments: 0,
    refunds: 0,
    cancellations: 0,
    renewalsBilled: 0,
    payouts: 0,
  };
  const rng = ctx.rng;
  const world = ctx.world;

  // 1. Accounts, about 3 % of them duplicates of an earlier account.
  ctx.progress(`creating ${customers} CRM accounts`);
  const sims: SimCustomer[] = [];
  for (let i = 0; i < customers; i++) {
    const duplicate = i > 5 && rng.chance(0.03) ? sims[rng.int(0, i - 1)] : undefined;
    const sim = await createAccount(world, rng, i, duplicate);
    if (duplicate) tally.duplicateAccounts += 1;
    sims.push(sim);
    tally.accounts += 1;
    ctx.progress('accounts', { done: i + 1, total: customers });
  }

  // 2. Deals: an opportunity per account with 1–3 products, created open then won.
  ctx.progress(`closing ${sims.length} deals`);
  for (const sim of sims) {
    await winDeal(world, rng, sim);
    tally.deals += 1;
    ctx.progress('deals', { done: tally.deals, total: sims.length });
  }
  await ctx.settle('deals');
  const billed: BilledCustomer[] = [];
  for (const sim of sims) {
    const b = await billingOf(world, sim);
    if (b) billed.push(b);
  }

  // 3. Mid-cycle: twelve days into the period, a third of the customers upgrade or downgrade.
  await world.billing.advanceClock(12 * DAY);
  ctx.progress('amending subscriptions mid-cycle');
  for (const b of billed) {
    if (!rng.chance(0.3)) continue;
    await amend(world, rng, b);
    tally.amendments += 1;
  }
  await ctx.settle('amendments');

  // 4. Usage for a fifth of the subscriptions; for a fifth of those one meter's data arrives
  //    late, so the period is held back until it does.
  ctx.progress('reporting usage');
  const late: (() => Promise<void>)[] = [];
  for (const { subscriptionItemId } of billed) {
    if (!rng.chance(0.2)) continue;
    tally.usagePeriods += 1;
    const holdBack = rng.chance(0.2);
    if (holdBack) tally.usageHeldBack += 1;
    const { deliverLate } = await reportUsage(ctx.usage, rng, subscriptionItemId, holdBack);
    if (deliverLate) late.push(deliverLate);
  }
  if (late.length > 0) {
    // Let the flow find those periods incomplete first, then deliver the rest.
    await new Promise((r) => setTimeout(r, ctx.usageRecheckMs));
    for (const deliver of late) await deliver();
  }
  await ctx.settle('usage');

  // 5. Cards that will decline at renewal (monthly plans: yearly ones do not renew in this run).
  const declining = billed.filter((b) => b.sim.interval === 'month' && rng.chance(0.12));
  for (const { billingCustomerId } of declining) {
    await world.billing.setCard(billingCustomerId, 'declining');
    tally.failedPayments += 1;
  }

  // 6. Renewal: the test clock passes the end of the first period (plus finalization).
  ctx.progress('renewing through the billing test clock');
  const renewalsBefore = await countInvoices(world, 'subscription_cycle');
  await world.billing.advanceClock(20 * DAY);
  tally.renewalsBilled = (await countInvoices(world, 'subscription_cycle')) - renewalsBefore;
  await ctx.settle('renewals');

  // 7. The declined customers replace their card and the open invoice is paid.
  ctx.progress('recovering declined payments');
  for (const { billingCustomerId } of declining) {
    await world.billing.setCard(billingCustomerId, 'good');
    tally.recoveredPayments += await world.billing.payOpenInvoices(billingCustomerId);
  }
  await ctx.settle('recovery');

  // 8. Refunds and cancellations with credit notes.
  ctx.progress('refunds and cancellations');
  for (const b of billed) {
    const roll = rng.next();
    if (roll < 0.05) {
      if (await refundLatest(world, rng, b.billingCustomerId)) tally.refunds += 1;
    } else if (roll < 0.1) {
      await cancelWithCreditNote(world, b);
      tally.cancellations += 1;
    }
  }
  await ctx.settle('refunds and cancellations');

  // 9. The day ends: billing pays what settled out to the bank; revsync books the deposits.
  if (world.billing.payOut) {
    ctx.progress('paying out to the bank');
    tally.payouts = await world.billing.payOut();
    await ctx.settle('payouts');
  }
  return { customers: sims, tally };
}
