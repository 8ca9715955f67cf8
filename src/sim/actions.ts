import type { Connection } from 'jsforce';
import type Stripe from 'stripe';
import type { UsageManifestInput, UsageRecordInput } from '../app/usage-service.ts';
import { walkStripeList, type StripePage } from '../connectors/stripe/list-pages.ts';
import type { Rng } from '@revsync/emulators/kit';
import { CATALOG, SIM_REGIONS, annualPrice, companyName } from './catalog.ts';

/**
 * What the people and systems around revsync do, as actions on the vendors' own APIs: sales
 * creates accounts and wins deals in Salesforce; customers change cards; finance refunds and
 * issues credit notes in Stripe; meters report usage to revsync. Shared by `revsync simulate`
 * (in phases) and the demo's steady traffic.
 */
export interface World {
  stripe: Stripe;
  salesforce: Connection;
  /** Standard price book entry per product code. */
  pricebook: Map<string, string>;
  testClockId: string;
}

/** One simulated customer as the actions created it. */
export interface SimCustomer {
  index: number;
  accountId: string;
  name: string;
  region: string;
  currency: 'USD' | 'GBP' | 'EUR';
  /** Monthly or annual deal (every line of a deal bills on one interval). */
  interval: 'month' | 'year';
  /** Set when this account deliberately duplicates an earlier one. */
  duplicateOf?: number;
  opportunityId?: string;
  lines: { code: string; quantity: number }[];
}

/** A deal revsync turned into a billing subscription. */
export interface BilledCustomer {
  sim: SimCustomer;
  subscriptionId: string;
  subscriptionItemId: string;
  billingCustomerId: string;
}

/** The usage API the meters report to (revsync's usage ledger). */
export interface UsageApi {
  record(records: UsageRecordInput[]): Promise<unknown>;
  closePeriod(manifest: UsageManifestInput): Promise<unknown>;
}

/** Creates the products and standard price book entries of the catalog (once). */
export async function setUpCatalog(
  stripe: Stripe,
  salesforce: Connection,
  testClockId: string,
): Promise<World> {
  const standard = await retry(() =>
    salesforce.query<{ Id: string }>('SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1'),
  );
  const pricebookId = standard.records[0]?.Id;
  if (!pricebookId) throw new Error('the Salesforce org has no standard price book');
  const pricebook = new Map<string, string>();
  for (const product of CATALOG) {
    const existing = await retry(() =>
      salesforce.query<{ Id: string }>(
        `SELECT Id FROM PricebookEntry WHERE Product2.ProductCode = '${product.code}' AND Pricebook2Id = '${pricebookId}' LIMIT 1`,
      ),
    );
    if (existing.records[0]) {
      pricebook.set(product.code, existing.records[0].Id);
      continue;
    }
    const p = await retry(() =>
      salesforce
        .sobject('Product2')
        .create({ Name: product.name, ProductCode: product.code, IsActive: true }),
    );
    const e = await retry(() =>
      salesforce.sobject('PricebookEntry').create({
        Pricebook2Id: pricebookId,
        Product2Id: idOf(p),
        UnitPrice: product.price.USD / 100,
        IsActive: true,
      }),
    );
    pricebook.set(product.code, idOf(e));
  }
  return { stripe, salesforce, pricebook, testClockId };
}

/** A new Salesforce account, in a region picked by weight; or a duplicate of `duplicate`. */
export async function createAccount(
  world: World,
  rng: Rng,
  index: number,
  duplicate?: SimCustomer,
): Promise<SimCustomer> {
  const region = duplicate
    ? SIM_REGIONS.find((r) => r.region === duplicate.region)!
    : pickWeighted(rng, SIM_REGIONS);
  const country = rng.pick(region.countries);
  const company = companyName(duplicate?.index ?? index, country);
  // A duplicate is the same company typed differently by another rep.
  const name = duplicate ? company.name.toUpperCase().replace(/[.,]/g, '') : company.name;
  const account = await retry(() =>
    world.salesforce.sobject('Account').create({
      Name: name,
      Website: `https://www.${company.domain}`,
      BillingCountry: country,
      Region__c: region.region,
      Currency__c: region.currency,
      Billing_Email__c: `billing@${company.domain}`,
      ...(region.region === 'EU' && {
        Tax_Id__c: `${country}${100_000_000 + (duplicate?.index ?? index)}`,
        Tax_Id_Type__c: 'eu_vat',
      }),
    }),
  );
  return {
    index,
    accountId: idOf(account),
    name,
    region: region.region,
    currency: region.currency,
    interval: rng.chance(0.2) ? 'year' : 'month',
    lines: [],
    ...(duplicate && { duplicateOf: duplicate.index }),
  };
}

/**
 * A deal: an opportunity with 1–3 products, created open and then won. With `withoutLines` the
 * rep forgets the products (the deal parks in revsync until they are added and it is retried).
 */
export async function winDeal(
  world: World,
  rng: Rng,
  sim: SimCustomer,
  options: { withoutLines?: boolean } = {},
): Promise<string> {
  const products = [CATALOG[0]!, ...CATALOG.slice(1).filter(() => rng.chance(0.5))];
  sim.lines = products.map((p) => ({ code: p.code, quantity: p.perSeat ? rng.int(1, 20) : 1 }));
  const opp = await retry(() =>
    world.salesforce.sobject('Opportunity').create({
      Name: `${sim.name} — ${sim.lines.map((l) => l.code).join('+')}`,
      AccountId: sim.accountId,
      StageName: 'Prospecting',
      CloseDate: new Date().toISOString().slice(0, 10),
      Type: 'New Business',
      Currency__c: sim.currency,
    }),
  );
  const opportunityId = idOf(opp);
  sim.opportunityId = opportunityId;
  if (!options.withoutLines) await addLines(world, opportunityId, sim);
  await retry(() =>
    world.salesforce.sobject('Opportunity').update({ Id: opportunityId, StageName: 'Closed Won' }),
  );
  return opportunityId;
}

/** Adds the customer's current lines to an opportunity (unit prices in the deal's currency and interval). */
export async function addLines(
  world: World,
  opportunityId: string,
  sim: Pick<SimCustomer, 'lines' | 'currency' | 'interval'>,
): Promise<void> {
  for (const line of sim.lines) {
    const product = CATALOG.find((p) => p.code === line.code)!;
    const unit =
      sim.interval === 'year' ? annualPrice(product, sim.currency) : product.price[sim.currency];
    await retry(() =>
      world.salesforce.sobject('OpportunityLineItem').create({
        OpportunityId: opportunityId,
        PricebookEntryId: world.pricebook.get(line.code),
        Quantity: line.quantity,
        UnitPrice: unit / 100,
        Billing_Interval__c: sim.interval,
      }),
    );
  }
}

/** A won amendment: seat counts up (mostly) or down, as an Amendment opportunity. */
export async function amend(world: World, rng: Rng, billed: BilledCustomer): Promise<void> {
  const { sim } = billed;
  const lines = sim.lines.map((l) => {
    const product = CATALOG.find((p) => p.code === l.code)!;
    if (!product.perSeat) return l;
    const delta = rng.chance(0.7) ? rng.int(1, 5) : -rng.int(1, Math.max(1, l.quantity - 1));
    return { code: l.code, quantity: Math.max(1, l.quantity + delta) };
  });
  if (lines.every((l, i) => l.quantity === sim.lines[i]!.quantity))
    lines[0] = { ...lines[0]!, quantity: lines[0]!.quantity + 1 };
  const opp = await retry(() =>
    world.salesforce.sobject('Opportunity').create({
      Name: `${sim.name} — amendment`,
      AccountId: sim.accountId,
      StageName: 'Negotiation/Review',
      CloseDate: new Date().toISOString().slice(0, 10),
      Type: 'Amendment',
      Subscription_Id__c: billed.subscriptionId,
      Currency__c: sim.currency,
    }),
  );
  const oppId = idOf(opp);
  await addLines(world, oppId, { ...sim, lines });
  await retry(() =>
    world.salesforce.sobject('Opportunity').update({ Id: oppId, StageName: 'Closed Won' }),
  );
  sim.lines = lines;
}

/** The billing subscription revsync created for a won deal (read back from Salesforce), if any. */
export async function billingOf(
  world: World,
  sim: SimCustomer,
): Promise<BilledCustomer | undefined> {
  const opportunityId = sim.opportunityId;
  if (!opportunityId || sim.duplicateOf !== undefined) return undefined;
  const opp = (await retry(() =>
    world.salesforce.sobject('Opportunity').retrieve(opportunityId),
  )) as Record<string, unknown>;
  const subscriptionId = opp.Subscription_Id__c as string | undefined;
  if (!subscriptionId) return undefined;
  const sub = await retry(() => world.stripe.subscriptions.retrieve(subscriptionId));
  return {
    sim,
    subscriptionId,
    subscriptionItemId: sub.items.data[0]!.id,
    billingCustomerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
  };
}

/**
 * Usage of the last full hour from two meters; with `holdBack`, meter-b closes the period before
 * its last two records arrive — `deliverLate` sends them.
 */
export async function reportUsage(
  usage: UsageApi,
  rng: Rng,
  subscriptionItemId: string,
  holdBack: boolean,
): Promise<{ deliverLate?: () => Promise<void> }> {
  const hour = 3_600_000;
  const periodEnd = Math.floor(Date.now() / hour) * hour;
  const periodStart = periodEnd - hour;
  let deliverLate: (() => Promise<void>) | undefined;
  for (const source of ['meter-a', 'meter-b']) {
    const records = Array.from({ length: rng.int(3, 12) }, (_, n) => ({
      subscriptionItemId,
      quantity: rng.int(1, 50),
      timestamp: new Date(periodStart + rng.int(0, hour - 1)).toISOString(),
      source,
      dedupeKey: `${subscriptionItemId}:${source}:${periodStart}:${n}`,
    }));
    const manifest = {
      source,
      subscriptionItemId,
      periodStart: new Date(periodStart).toISOString(),
      periodEnd: new Date(periodEnd).toISOString(),
      count: records.length,
      sum: records.reduce((a, r) => a + r.quantity, 0),
    };
    if (holdBack && source === 'meter-b') {
      await usage.record(records.slice(0, -2));
      await usage.closePeriod(manifest);
      deliverLate = async () => void (await usage.record(records));
    } else {
      await usage.record(records);
      await usage.closePeriod(manifest);
    }
  }
  return deliverLate ? { deliverLate } : {};
}

/** The customer's new default card (`pm_card_visa`, `pm_card_chargeDeclined`). */
export async function setCard(world: World, customerId: string, token: string): Promise<void> {
  const pm = await retry(() => world.stripe.paymentMethods.attach(token, { customer: customerId }));
  await retry(() =>
    world.stripe.customers.update(customerId, {
      invoice_settings: { default_payment_method: pm.id },
    }),
  );
}

/** Pays the customer's open invoices with a good card; returns how many. */
export async function payOpenInvoices(world: World, customerId: string): Promise<number> {
  let paid = 0;
  const open = await retry(() =>
    world.stripe.invoices.list({ customer: customerId, status: 'open', limit: 100 }),
  );
  for (const invoice of open.data) {
    await retry(() => world.stripe.invoices.pay(invoice.id!, { payment_method: 'pm_card_visa' }));
    paid += 1;
  }
  return paid;
}

/** Refunds the customer's latest paid invoice in full or in half; false if nothing to refund. */
export async function refundLatest(world: World, rng: Rng, customerId: string): Promise<boolean> {
  const paid = await latestInvoice(world, customerId, 'paid');
  const pi = paid ? await paymentIntentOf(world, paid) : undefined;
  if (!paid || !pi || paid.amount_paid <= 0) return false;
  const amount = rng.chance(0.5) ? paid.amount_paid : Math.max(1, Math.floor(paid.amount_paid / 2));
  await retry(() => world.stripe.refunds.create({ payment_intent: pi, amount }));
  return true;
}

/** Cancels the subscription now and credits a quarter of the latest paid invoice. */
export async function cancelWithCreditNote(world: World, billed: BilledCustomer): Promise<void> {
  await retry(() => world.stripe.subscriptions.cancel(billed.subscriptionId));
  const paid = await latestInvoice(world, billed.billingCustomerId, 'paid');
  if (paid && paid.amount_paid > 0) {
    await retry(() =>
      world.stripe.creditNotes.create({
        invoice: paid.id!,
        amount: Math.max(1, Math.floor(paid.total / 4)),
        reason: 'order_change',
      }),
    );
  }
}

/** Moves the Stripe test clock forward and waits until it has billed everything due. */
export async function advanceTestClock(world: World, ms: number): Promise<void> {
  const clock = await retry(() => world.stripe.testHelpers.testClocks.retrieve(world.testClockId));
  await retry(() =>
    world.stripe.testHelpers.testClocks.advance(world.testClockId, {
      frozen_time: clock.frozen_time + Math.round(ms / 1000),
    }),
  );
  for (let i = 0; i < 600; i++) {
    const now = await retry(() => world.stripe.testHelpers.testClocks.retrieve(world.testClockId));
    if (now.status === 'ready') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the Stripe test clock did not finish advancing');
}

/** Invoices of a billing reason, counted across the account. */
export async function countInvoices(world: World, reason: string): Promise<number> {
  const invoices = await everyPage((after) =>
    world.stripe.invoices.list({ limit: 100, starting_after: after }),
  );
  return invoices.filter((invoice) => invoice.billing_reason === reason).length;
}

/**
 * Every object of a Stripe list, page by page, each page retried on its own: the SDK's
 * auto-pagination would give up the whole walk on one 429 between pages.
 */
export function everyPage<T extends { id?: string }>(
  page: (startingAfter: string | undefined) => PromiseLike<StripePage<T>>,
): Promise<T[]> {
  return walkStripeList((after) => retry(() => page(after)));
}

async function latestInvoice(world: World, customer: string, status: 'paid' | 'open') {
  const page = await retry(() => world.stripe.invoices.list({ customer, status, limit: 1 }));
  return page.data[0];
}

async function paymentIntentOf(world: World, invoice: Stripe.Invoice): Promise<string | undefined> {
  const payments = await retry(() => world.stripe.invoicePayments.list({ invoice: invoice.id! }));
  const pi = payments.data.find((p) => p.status === 'paid')?.payment.payment_intent;
  return typeof pi === 'string' ? pi : pi?.id;
}

/**
 * The people and systems around revsync retry what fails for a passing reason, as their tools
 * do: the emulators inject the same faults into their calls as into revsync's.
 */
export async function retry<T>(call: () => PromiseLike<T>, attempts = 12): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (caught) {
      const status =
        (caught as { statusCode?: number }).statusCode ?? (caught as { status?: number }).status;
      const code =
        (caught as { errorCode?: string }).errorCode ?? (caught as { code?: string }).code ?? '';
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

export function pickWeighted<T extends { weight: number }>(rng: Rng, items: readonly T[]): T {
  let roll = rng.next();
  for (const item of items) {
    roll -= item.weight;
    if (roll < 0) return item;
  }
  return items[items.length - 1]!;
}

function idOf(result: unknown): string {
  const r = result as { id?: string; success?: boolean; errors?: unknown };
  if (!r.id) throw new Error(`Salesforce did not create the record: ${JSON.stringify(result)}`);
  return r.id;
}
