import type { Connection } from 'jsforce';
import type Stripe from 'stripe';
import type { Rng } from '../emulators/kit/index.ts';
import { CATALOG, SIM_REGIONS, annualPrice, companyName, type CatalogProduct } from './catalog.ts';

/** What the scenario drives and how it waits for revsync. */
export interface ScenarioContext {
  rng: Rng;
  stripe: Stripe;
  salesforce: Connection;
  /** revsync's usage API (records and period manifests). */
  usage: {
    record(
      records: {
        subscriptionItemId: string;
        quantity: number;
        timestamp: string;
        source: string;
        dedupeKey: string;
      }[],
    ): Promise<unknown>;
    closePeriod(manifest: {
      source: string;
      subscriptionItemId: string;
      periodStart: string;
      periodEnd: string;
      count: number;
      sum: number;
    }): Promise<unknown>;
  };
  /** The Stripe test clock new customers are attached to. */
  testClockId: string;
  /** Waits until revsync has processed everything it received. */
  settle(label: string): Promise<void>;
  progress(message: string): void;
  /** How often an incomplete usage period is checked again (ms). */
  usageRecheckMs: number;
}

/** One simulated customer as the scenario created it. */
export interface SimCustomer {
  index: number;
  accountId: string;
  name: string;
  region: string;
  currency: 'USD' | 'GBP' | 'EUR';
  /** Set when this account deliberately duplicates an earlier one. */
  duplicateOf?: number;
  opportunityId?: string;
  /** Monthly or annual deal (every line of a deal bills on one interval). */
  interval: 'month' | 'year';
  lines: { code: string; quantity: number }[];
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
}

const DAY = 86_400_000;

/**
 * The simulated business, in phases: accounts (a few deliberate duplicates) and closed-won deals
 * in three regions and currencies; mid-cycle upgrades and downgrades; usage periods (some held
 * back until their data is complete); cards that decline at renewal and are later replaced; a
 * renewal through the Stripe test clock; refunds; cancellations with credit notes. revsync does
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
  };
  const rng = ctx.rng;
  const pricebook = await setUpCatalog(ctx);

  // 1. Accounts, about 3 % of them duplicates of an earlier account.
  ctx.progress(`creating ${customers} Salesforce accounts`);
  const sims: SimCustomer[] = [];
  for (let i = 0; i < customers; i++) {
    const duplicate = i > 5 && rng.chance(0.03) ? sims[rng.int(0, i - 1)] : undefined;
    const regionPick = pickWeighted(rng, SIM_REGIONS);
    const region = duplicate ? SIM_REGIONS.find((r) => r.region === duplicate.region)! : regionPick;
    const country = rng.pick(region.countries);
    const company = duplicate ? companyName(duplicate.index, country) : companyName(i, country);
    const name = duplicate ? company.name.toUpperCase().replace(/[.,]/g, '') : company.name;
    const account = await retry(() =>
      ctx.salesforce.sobject('Account').create({
        Name: name,
        Website: `https://www.${company.domain}`,
        BillingCountry: duplicate
          ? sims[duplicate.index]?.region === 'NA'
            ? 'US'
            : country
          : country,
        Region__c: region.region,
        Currency__c: region.currency,
        Billing_Email__c: `billing@${company.domain}`,
        ...(region.region === 'EU' && {
          Tax_Id__c: `${country}${100_000_000 + (duplicate?.index ?? i)}`,
          Tax_Id_Type__c: 'eu_vat',
        }),
      }),
    );
    if (!account.success) throw new Error(`account ${i} not created: ${JSON.stringify(account)}`);
    const sim: SimCustomer = {
      index: i,
      accountId: account.id,
      name,
      region: region.region,
      currency: region.currency,
      interval: rng.chance(0.2) ? 'year' : 'month',
      lines: [],
    };
    if (duplicate) {
      sim.duplicateOf = duplicate.index;
      tally.duplicateAccounts += 1;
    }
    sims.push(sim);
    tally.accounts += 1;
  }

  // 2. Deals: an opportunity per account with 1–3 products, created open then won.
  ctx.progress(`closing ${sims.length} deals`);
  for (const sim of sims) {
    const products = [CATALOG[0]!, ...CATALOG.slice(1).filter(() => rng.chance(0.5))];
    sim.lines = products.map((p) => ({ code: p.code, quantity: p.perSeat ? rng.int(1, 20) : 1 }));
    const opp = await retry(() =>
      ctx.salesforce.sobject('Opportunity').create({
        Name: `${sim.name} — ${sim.lines.map((l) => l.code).join('+')}`,
        AccountId: sim.accountId,
        StageName: 'Prospecting',
        CloseDate: new Date().toISOString().slice(0, 10),
        Type: 'New Business',
        Currency__c: sim.currency,
      }),
    );
    const opportunityId = (opp as { id: string }).id;
    sim.opportunityId = opportunityId;
    await addLines(ctx, opportunityId, sim.lines, sim.currency, sim.interval, pricebook);
    await retry(() =>
      ctx.salesforce.sobject('Opportunity').update({ Id: opportunityId, StageName: 'Closed Won' }),
    );
    tally.deals += 1;
  }
  await ctx.settle('deals');

  const billed = await subscriptionsOf(ctx, sims);

  // 3. Mid-cycle: twelve days into the period, a third of the customers upgrade or downgrade.
  await advanceTestClock(ctx, 12 * DAY);
  ctx.progress('amending subscriptions mid-cycle');
  for (const { sim, subscriptionId } of billed) {
    if (!rng.chance(0.3)) continue;
    const lines = sim.lines.map((l) => {
      const product = CATALOG.find((p) => p.code === l.code)!;
      if (!product.perSeat) return l;
      const delta = rng.chance(0.7) ? rng.int(1, 5) : -rng.int(1, Math.max(1, l.quantity - 1));
      return { code: l.code, quantity: Math.max(1, l.quantity + delta) };
    });
    if (lines.every((l, i) => l.quantity === sim.lines[i]!.quantity))
      lines[0] = { ...lines[0]!, quantity: lines[0]!.quantity + 1 };
    const opp = await retry(() =>
      ctx.salesforce.sobject('Opportunity').create({
        Name: `${sim.name} — amendment`,
        AccountId: sim.accountId,
        StageName: 'Negotiation/Review',
        CloseDate: new Date().toISOString().slice(0, 10),
        Type: 'Amendment',
        Subscription_Id__c: subscriptionId,
        Currency__c: sim.currency,
      }),
    );
    const oppId = (opp as { id: string }).id;
    await addLines(ctx, oppId, lines, sim.currency, sim.interval, pricebook);
    await retry(() =>
      ctx.salesforce.sobject('Opportunity').update({ Id: oppId, StageName: 'Closed Won' }),
    );
    sim.lines = lines;
    tally.amendments += 1;
  }
  await ctx.settle('amendments');

  // 4. Usage for a fifth of the subscriptions: two meters each report the last full hour; for a
  //    fifth of those one meter's data arrives late, so the period is held back until it does.
  ctx.progress('reporting usage');
  const hour = 3_600_000;
  const periodEnd = Math.floor(Date.now() / hour) * hour;
  const periodStart = periodEnd - hour;
  const late: (() => Promise<void>)[] = [];
  for (const { subscriptionItemId } of billed) {
    if (!rng.chance(0.2)) continue;
    tally.usagePeriods += 1;
    const holdBack = rng.chance(0.2);
    if (holdBack) tally.usageHeldBack += 1;
    for (const source of ['meter-a', 'meter-b']) {
      const records = Array.from({ length: rng.int(3, 12) }, (_, n) => ({
        subscriptionItemId,
        quantity: rng.int(1, 50),
        timestamp: new Date(periodStart + rng.int(0, hour - 1)).toISOString(),
        source,
        dedupeKey: `${subscriptionItemId}:${source}:${periodStart}:${n}`,
      }));
      const sum = records.reduce((a, r) => a + r.quantity, 0);
      const manifest = {
        source,
        subscriptionItemId,
        periodStart: new Date(periodStart).toISOString(),
        periodEnd: new Date(periodEnd).toISOString(),
        count: records.length,
        sum,
      };
      if (holdBack && source === 'meter-b') {
        const first = records.slice(0, -2);
        await ctx.usage.record(first);
        await ctx.usage.closePeriod(manifest);
        late.push(async () => void (await ctx.usage.record(records)));
      } else {
        await ctx.usage.record(records);
        await ctx.usage.closePeriod(manifest);
      }
    }
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
    await setPaymentMethod(ctx, billingCustomerId, 'pm_card_chargeDeclined');
    tally.failedPayments += 1;
  }

  // 6. Renewal: the test clock passes the end of the first period (plus finalization).
  ctx.progress('renewing through the Stripe test clock');
  const renewalsBefore = await countInvoices(ctx, 'subscription_cycle');
  await advanceTestClock(ctx, 20 * DAY);
  tally.renewalsBilled = (await countInvoices(ctx, 'subscription_cycle')) - renewalsBefore;
  await ctx.settle('renewals');

  // 7. The declined customers replace their card and the open invoice is paid.
  ctx.progress('recovering declined payments');
  for (const { billingCustomerId } of declining) {
    await setPaymentMethod(ctx, billingCustomerId, 'pm_card_visa');
    for await (const invoice of ctx.stripe.invoices.list({
      customer: billingCustomerId,
      status: 'open',
      limit: 100,
    })) {
      await retry(() => ctx.stripe.invoices.pay(invoice.id!, { payment_method: 'pm_card_visa' }));
      tally.recoveredPayments += 1;
    }
  }
  await ctx.settle('recovery');

  // 8. Refunds and cancellations with credit notes.
  ctx.progress('refunds and cancellations');
  for (const { billingCustomerId, subscriptionId } of billed) {
    const roll = rng.next();
    if (roll < 0.05) {
      const paid = await latestInvoice(ctx, billingCustomerId, 'paid');
      const pi = paid ? await paymentIntentOf(ctx, paid) : undefined;
      if (paid && pi) {
        const amount = rng.chance(0.5)
          ? paid.amount_paid
          : Math.max(1, Math.floor(paid.amount_paid / 2));
        await retry(() => ctx.stripe.refunds.create({ payment_intent: pi, amount }));
        tally.refunds += 1;
      }
    } else if (roll < 0.1) {
      await retry(() => ctx.stripe.subscriptions.cancel(subscriptionId));
      const paid = await latestInvoice(ctx, billingCustomerId, 'paid');
      if (paid && paid.amount_paid > 0) {
        await retry(() =>
          ctx.stripe.creditNotes.create({
            invoice: paid.id!,
            amount: Math.max(1, Math.floor(paid.total / 4)),
            reason: 'order_change',
          }),
        );
      }
      tally.cancellations += 1;
    }
  }
  await ctx.settle('refunds and cancellations');
  return { customers: sims, tally };
}

async function setUpCatalog(ctx: ScenarioContext): Promise<Map<string, string>> {
  const standard = await retry(() =>
    ctx.salesforce.query<{ Id: string }>(
      'SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1',
    ),
  );
  const pricebookId = standard.records[0]?.Id;
  if (!pricebookId) throw new Error('the Salesforce org has no standard price book');
  const entries = new Map<string, string>();
  for (const product of CATALOG) {
    const existing = await retry(() =>
      ctx.salesforce.query<{ Id: string }>(
        `SELECT Id FROM PricebookEntry WHERE Product2.ProductCode = '${product.code}' AND Pricebook2Id = '${pricebookId}' LIMIT 1`,
      ),
    );
    if (existing.records[0]) {
      entries.set(product.code, existing.records[0].Id);
      continue;
    }
    const p = await retry(() =>
      ctx.salesforce.sobject('Product2').create({
        Name: product.name,
        ProductCode: product.code,
        IsActive: true,
        Billing_Interval__c: product.interval,
      }),
    );
    const e = await retry(() =>
      ctx.salesforce.sobject('PricebookEntry').create({
        Pricebook2Id: pricebookId,
        Product2Id: (p as { id: string }).id,
        UnitPrice: product.price.USD / 100,
        IsActive: true,
      }),
    );
    entries.set(product.code, (e as { id: string }).id);
  }
  return entries;
}

async function addLines(
  ctx: ScenarioContext,
  opportunityId: string,
  lines: { code: string; quantity: number }[],
  currency: 'USD' | 'GBP' | 'EUR',
  interval: 'month' | 'year',
  pricebook: Map<string, string>,
): Promise<void> {
  for (const line of lines) {
    const product = CATALOG.find((p) => p.code === line.code) as CatalogProduct;
    const unit = interval === 'year' ? annualPrice(product, currency) : product.price[currency];
    await retry(() =>
      ctx.salesforce.sobject('OpportunityLineItem').create({
        OpportunityId: opportunityId,
        PricebookEntryId: pricebook.get(line.code),
        Quantity: line.quantity,
        UnitPrice: unit / 100,
        Billing_Interval__c: interval,
      }),
    );
  }
}

/** The billing subscription revsync created for each won deal (read back from Salesforce). */
async function subscriptionsOf(ctx: ScenarioContext, sims: SimCustomer[]) {
  const out: {
    sim: SimCustomer;
    subscriptionId: string;
    subscriptionItemId: string;
    billingCustomerId: string;
  }[] = [];
  for (const sim of sims) {
    const opportunityId = sim.opportunityId;
    if (!opportunityId || sim.duplicateOf !== undefined) continue;
    const opp = await retry(() => ctx.salesforce.sobject('Opportunity').retrieve(opportunityId));
    const subscriptionId = (opp as Record<string, unknown>).Subscription_Id__c as
      string | undefined;
    if (!subscriptionId) continue;
    const sub = await retry(() => ctx.stripe.subscriptions.retrieve(subscriptionId));
    out.push({
      sim,
      subscriptionId,
      subscriptionItemId: sub.items.data[0]!.id,
      billingCustomerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    });
  }
  return out;
}

async function advanceTestClock(ctx: ScenarioContext, ms: number): Promise<void> {
  const clock = await retry(() => ctx.stripe.testHelpers.testClocks.retrieve(ctx.testClockId));
  await retry(() =>
    ctx.stripe.testHelpers.testClocks.advance(ctx.testClockId, {
      frozen_time: clock.frozen_time + Math.round(ms / 1000),
    }),
  );
  for (let i = 0; i < 600; i++) {
    const now = await retry(() => ctx.stripe.testHelpers.testClocks.retrieve(ctx.testClockId));
    if (now.status === 'ready') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the Stripe test clock did not finish advancing');
}

async function setPaymentMethod(
  ctx: ScenarioContext,
  customerId: string,
  token: string,
): Promise<void> {
  const pm = await retry(() => ctx.stripe.paymentMethods.attach(token, { customer: customerId }));
  await retry(() =>
    ctx.stripe.customers.update(customerId, {
      invoice_settings: { default_payment_method: pm.id },
    }),
  );
}

async function countInvoices(ctx: ScenarioContext, reason: string): Promise<number> {
  let n = 0;
  for await (const invoice of ctx.stripe.invoices.list({ limit: 100 }))
    if (invoice.billing_reason === reason) n += 1;
  return n;
}

async function latestInvoice(ctx: ScenarioContext, customer: string, status: 'paid' | 'open') {
  const page = await retry(() => ctx.stripe.invoices.list({ customer, status, limit: 1 }));
  return page.data[0];
}

async function paymentIntentOf(
  ctx: ScenarioContext,
  invoice: Stripe.Invoice,
): Promise<string | undefined> {
  const payments = await retry(() => ctx.stripe.invoicePayments.list({ invoice: invoice.id! }));
  const pi = payments.data.find((p) => p.status === 'paid')?.payment.payment_intent;
  return typeof pi === 'string' ? pi : pi?.id;
}

/**
 * The people and systems around revsync retry what fails for a passing reason, as their tools
 * do: the emulators inject the same faults into their calls as into revsync's.
 */
async function retry<T>(call: () => PromiseLike<T>, attempts = 12): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (caught) {
      const status =
        (caught as { statusCode?: number; status?: number }).statusCode ??
        (caught as { status?: number }).status;
      const code =
        (caught as { errorCode?: string; code?: string }).errorCode ??
        (caught as { code?: string }).code ??
        '';
      const passing =
        status === undefined ||
        status === 429 ||
        status >= 500 ||
        /LIMIT|UNAVAILABLE|ECONN|socket|timeout|fetch failed|rate/i.test(
          `${code} ${String(caught)}`,
        );
      if (!passing || attempt >= attempts) throw caught;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 50 * 2 ** attempt)));
    }
  }
}

function pickWeighted<T extends { weight: number }>(rng: Rng, items: T[]): T {
  let roll = rng.next();
  for (const item of items) {
    roll -= item.weight;
    if (roll < 0) return item;
  }
  return items[items.length - 1]!;
}
