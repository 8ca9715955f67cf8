import type { UsageManifestInput, UsageRecordInput } from '../app/usage-service.ts';
import type { Rng } from '@revsync/emulators/kit';
import {
  CATALOG,
  SIM_REGIONS,
  annualPrice,
  companyName,
  type SimCurrency,
  type SimRegion,
} from './catalog.ts';
import type { BillingActor, CrmActor } from './drivers/driver.ts';

/**
 * What the people and systems around revsync do, in role terms: sales creates accounts and wins
 * deals in the CRM; customers change cards; finance refunds and issues credit notes in billing;
 * meters report usage to revsync. Each role's driver carries the actions out on its vendor's
 * API. Shared by `revsync simulate` (in phases) and the demo's steady traffic.
 */
export interface World {
  crm: CrmActor;
  billing: BillingActor;
  /** The regions new customers are spread over (default {@link SIM_REGIONS}). */
  regions?: readonly SimRegion[];
}

/** One simulated customer as the actions created it. */
export interface SimCustomer {
  index: number;
  accountId: string;
  name: string;
  region: string;
  currency: SimCurrency;
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

/** Creates the products of the catalog in the CRM (once). */
export async function setUpCatalog(world: World): Promise<void> {
  await world.crm.setUpCatalog(
    CATALOG.map((p) => ({ code: p.code, name: p.name, listPrice: p.price.USD })),
  );
}

/** A new CRM account, in a region picked by weight; or a duplicate of `duplicate`. */
export async function createAccount(
  world: World,
  rng: Rng,
  index: number,
  duplicate?: SimCustomer,
): Promise<SimCustomer> {
  const regions = world.regions ?? SIM_REGIONS;
  const region = duplicate
    ? regions.find((r) => r.region === duplicate.region)!
    : pickWeighted(rng, regions);
  const country = rng.pick(region.countries);
  const company = companyName(duplicate?.index ?? index, country);
  // A duplicate is the same company typed differently by another rep.
  const name = duplicate ? company.name.toUpperCase().replace(/[.,]/g, '') : company.name;
  const accountId = await world.crm.createAccount({
    name,
    domain: company.domain,
    country,
    region: region.region,
    currency: region.currency,
    email: `billing@${company.domain}`,
    ...(region.region === 'EU' && {
      taxId: { type: 'eu_vat', value: `${country}${100_000_000 + (duplicate?.index ?? index)}` },
    }),
  });
  return {
    index,
    accountId,
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
  const opportunityId = await world.crm.createDeal({
    accountId: sim.accountId,
    name: `${sim.name} — ${sim.lines.map((l) => l.code).join('+')}`,
    currency: sim.currency,
    kind: 'new',
  });
  sim.opportunityId = opportunityId;
  if (!options.withoutLines) await addLines(world, opportunityId, sim);
  await world.crm.win(opportunityId);
  return opportunityId;
}

/** Adds the customer's current lines to a deal (unit prices in the deal's currency and interval). */
export async function addLines(
  world: World,
  opportunityId: string,
  sim: Pick<SimCustomer, 'lines' | 'currency' | 'interval'>,
): Promise<void> {
  for (const line of sim.lines) {
    const product = CATALOG.find((p) => p.code === line.code)!;
    const unit =
      sim.interval === 'year' ? annualPrice(product, sim.currency) : product.price[sim.currency];
    await world.crm.addLine(opportunityId, {
      productCode: line.code,
      currency: sim.currency,
      quantity: line.quantity,
      unitAmount: unit,
      interval: sim.interval,
    });
  }
}

/** A won amendment: seat counts up (mostly) or down. */
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
  const dealId = await world.crm.createDeal({
    accountId: sim.accountId,
    name: `${sim.name} — amendment`,
    currency: sim.currency,
    kind: 'amendment',
    subscriptionId: billed.subscriptionId,
  });
  await addLines(world, dealId, { ...sim, lines });
  await world.crm.win(dealId);
  sim.lines = lines;
}

/** The billing subscription revsync created for a won deal (read back from the CRM), if any. */
export async function billingOf(
  world: World,
  sim: SimCustomer,
): Promise<BilledCustomer | undefined> {
  const opportunityId = sim.opportunityId;
  if (!opportunityId || sim.duplicateOf !== undefined) return undefined;
  const { subscriptionId } = await world.crm.dealBilling(opportunityId);
  if (!subscriptionId) return undefined;
  const sub = await world.billing.subscription(subscriptionId);
  return {
    sim,
    subscriptionId,
    subscriptionItemId: sub.firstItemId,
    billingCustomerId: sub.customerId,
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

/** Refunds the customer's latest paid invoice in full or in half; false if nothing to refund. */
export function refundLatest(world: World, rng: Rng, customerId: string): Promise<boolean> {
  return world.billing.refundLatest(customerId, rng.chance(0.5) ? 'full' : 'half');
}

/** Cancels the subscription now and credits a quarter of the latest paid invoice. */
export function cancelWithCreditNote(world: World, billed: BilledCustomer): Promise<void> {
  return world.billing.cancelWithCreditNote(billed.subscriptionId, billed.billingCustomerId);
}

/** Finalized invoices of a billing reason, counted across the account. */
export async function countInvoices(world: World, reason: string): Promise<number> {
  return (await world.billing.finalizedInvoices()).filter((i) => i.reason === reason).length;
}

export function pickWeighted<T extends { weight: number }>(rng: Rng, items: readonly T[]): T {
  let roll = rng.next();
  for (const item of items) {
    roll -= item.weight;
    if (roll < 0) return item;
  }
  return items[items.length - 1]!;
}

export { retry } from './retry.ts';
