/**
 * The simulator's per-vendor drivers: each starts its system's emulator (or attaches to a running
 * one), says how revsync connects to it, and acts on it as the people and systems around revsync
 * would — sales in the CRM, customers and finance in billing — and reads it back for the
 * invariant checks, always through the vendor's own API. One folder per system under
 * `src/sim/drivers/<system>/` exporting `driver`; the simulator finds them by system name.
 */
import type { Role } from '../../connectors/definition.ts';
import type { BillingReason } from '../../model/entities/invoice.ts';

export type FaultLevel = 'none' | 'light' | 'heavy';

/** How to start (or attach to) one system for a simulation or the demo. */
export interface DriverStartOptions {
  seed: number;
  faults: FaultLevel;
  /** The emulator's port: `0` any free port (tests, simulations), absent its default port (demo). */
  port?: number;
  /** Use the emulator already running at this URL instead of starting one. */
  url?: string;
  /** Where revsync receives this system's webhooks (`<revsync>/webhooks/<system>`). */
  webhookUrl: string;
  /** `'off'`: the emulator enforces no request-rate limit (benchmarks); default the vendor's. */
  rateLimits?: 'vendor' | 'off';
  /**
   * Webhook deliveries the emulator has in flight to revsync at once (default 1: one at a time,
   * in order, reproducibly); emulators without the setting ignore it.
   */
  webhookConcurrency?: number;
}

/** A started system: how revsync connects to it, the actor that drives it, how to stop it. */
export interface StartedSystem<Actor> {
  url: string;
  /** `connections.<role>` without `system`: settings, `env()` references, limits. */
  connection: Record<string, unknown>;
  /** The values of the connection's `env()` references. */
  env: Record<string, string>;
  /** Billing only: the test clock revsync's new customers join (so renewals can be simulated). */
  testClock?: string;
  /** ERP only: the subsidiary (legal entity, company, realm) that books each simulated region. */
  subsidiaries?: Partial<Record<'NA' | 'UK' | 'EU' | 'JP', string>>;
  actor: Actor;
  /** Switches the emulator's faults off (before the books are read). */
  clearFaults(): Promise<void>;
  /** Delivers pending webhooks now (emulators batch and delay them). */
  flushWebhooks?(): Promise<void>;
  close(): Promise<void>;
}

/** One system's driver. */
export interface SystemDriver<R extends Role, Actor> {
  readonly system: string;
  readonly role: R;
  start(options: DriverStartOptions): Promise<StartedSystem<Actor>>;
}

// ---------------------------------------------------------------------------------------------
// What the scenario does in each role
// ---------------------------------------------------------------------------------------------

/** A product of the simulated price list. */
export interface SimProduct {
  code: string;
  name: string;
  /** Unit price in USD minor units (the CRM's list price). */
  listPrice: number;
}

/** A new CRM account. */
export interface AccountInput {
  name: string;
  domain: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  region: string;
  currency: string;
  email: string;
  taxId?: { type: string; value: string };
}

/** A line of a deal: the unit price per billing interval, in the deal's currency. */
export interface DealLine {
  productCode: string;
  /** ISO 4217, the deal's currency. */
  currency: string;
  quantity: number;
  /** Minor units. */
  unitAmount: number;
  interval: 'month' | 'year';
}

/** What the CRM shows of a deal's billing (revsync's write-back). */
export interface CrmDealBilling {
  subscriptionId?: string;
  subscriptionStatus?: string;
  /** MRR as a decimal string in the deal's currency, if written. */
  mrr?: string;
  currency?: string;
}

/** Sales in the CRM. */
export interface CrmActor {
  /** Creates the products of the price list (once). */
  setUpCatalog(products: readonly SimProduct[]): Promise<void>;
  createAccount(input: AccountInput): Promise<string>;
  /** An open deal; `subscriptionId` names the subscription an amendment changes. */
  createDeal(input: {
    accountId: string;
    name: string;
    currency: string;
    kind: 'new' | 'amendment';
    subscriptionId?: string;
  }): Promise<string>;
  addLine(dealId: string, line: DealLine): Promise<void>;
  /** Moves the deal to closed won. */
  win(dealId: string): Promise<void>;
  /** The deal's billing as revsync wrote it back. */
  dealBilling(dealId: string): Promise<CrmDealBilling>;
  /** Every deal's billing (the invariant check), by deal id. */
  allDealBilling(): Promise<Map<string, CrmDealBilling>>;
}

/** A billing subscription as the invariants compare it. */
export interface BillingSubscriptionFacts {
  id: string;
  customerId: string;
  status: string;
  currency: string;
  /** Monthly recurring revenue in minor units, from the items as billing holds them. */
  mrr: number;
  /** The first item (usage is reported against it). */
  firstItemId: string;
  /** The CRM deal revsync created it for (its metadata). */
  crmDealId?: string;
}

/** A finalized billing invoice as the invariants compare it (minor units). */
export interface BillingInvoiceFacts {
  id: string;
  currency: string;
  total: number;
  tax: number;
  reason: BillingReason;
}

/** Customers and finance in the billing platform. */
export interface BillingActor {
  subscription(id: string): Promise<BillingSubscriptionFacts>;
  /** The customer's payment method from now on. */
  setCard(customerId: string, card: 'good' | 'declining'): Promise<void>;
  /** Pays the customer's open invoices with a good card; returns how many. */
  payOpenInvoices(customerId: string): Promise<number>;
  /** Refunds the latest paid invoice, in full or half of it; false if there is nothing to refund. */
  refundLatest(customerId: string, part: 'full' | 'half'): Promise<boolean>;
  /** Cancels the subscription now and credits a quarter of the latest paid invoice. */
  cancelWithCreditNote(subscriptionId: string, customerId: string): Promise<void>;
  /** Moves the billing clock forward and waits until everything due is billed. */
  advanceClock(ms: number): Promise<void>;
  /** Finalized invoices (the invariant check). */
  finalizedInvoices(): Promise<BillingInvoiceFacts[]>;
  /** Settled payments of invoices: the payment id and the invoice it paid. */
  invoicePayments(): Promise<{ paymentId: string; invoiceId: string; amount: number }[]>;
  /** Every customer and the canonical id revsync stored on it. */
  customers(): Promise<{ id: string; revsyncId?: string }[]>;
  subscriptions(): Promise<BillingSubscriptionFacts[]>;
  /**
   * Pays everything settled out to the bank (one payout per currency) and returns how many
   * payouts were made. Optional: systems without payouts leave it out.
   */
  payOut?(): Promise<number>;
}

/** An ERP document as the invariants compare it (absolute amounts, minor units). */
export interface ErpDocumentFacts {
  kind: 'invoice' | 'credit_memo' | 'payment';
  id: string;
  /** The billing document it posts (revsync's external id or reference). */
  externalId?: string;
  currency: string;
  total: number;
  tax: number;
  /** Payments: the ERP invoice ids they are applied to. */
  appliedTo?: string[];
}

/** The books in the ERP (read only: nobody but revsync posts in the simulation). */
export interface ErpActor {
  documents(): Promise<ErpDocumentFacts[]>;
  customers(): Promise<{ id: string; externalId?: string; name: string }[]>;
}

/** The driver of each role's system. */
export type CrmDriver = SystemDriver<'crm', CrmActor>;
export type BillingDriver = SystemDriver<'billing', BillingActor>;
export type ErpDriver = SystemDriver<'erp', ErpActor>;

/** What the drivers need of a started emulator. */
export interface RunningEmulator {
  url: string;
  app: { faults: { set(preset: FaultLevel): unknown } };
  close(): Promise<void>;
}

/** An emulator a driver started or attached to, and how to clear its faults and stop it. */
export interface DriverEmulator<E extends RunningEmulator> {
  url: string;
  /** The emulator this process started; undefined when attached to one at `options.url`. */
  started: E | undefined;
  clearFaults(): Promise<void>;
  /** Stops the emulator if this process started it. */
  close(): Promise<void>;
}

/**
 * The emulator at `options.url`, or one started now with `start` (given the port to listen on,
 * if any): the part of `start` every driver shares.
 */
export async function startOrAttach<E extends RunningEmulator>(
  options: DriverStartOptions,
  start: (listen: { port?: number }) => Promise<E>,
): Promise<DriverEmulator<E>> {
  const started = options.url
    ? undefined
    : await start(options.port !== undefined ? { port: options.port } : {});
  const url = options.url ?? started!.url;
  return {
    url,
    started,
    clearFaults: async () =>
      started ? void started.app.faults.set('none') : setEmulatorFaults(url, 'none'),
    close: async () => void (await started?.close()),
  };
}

/** Sets an emulator's fault preset through the admin route every emulator has. */
export async function setEmulatorFaults(url: string, preset: FaultLevel): Promise<void> {
  const res = await fetch(new URL('/_emulator/faults', url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ preset }),
  });
  if (!res.ok) throw new Error(`${url}: setting faults answered ${res.status}`);
}

/** Monthly recurring revenue of items: yearly amounts / 12, half-even to the minor unit. */
export function monthlyAmount(items: { amount: bigint; interval: 'month' | 'year' }[]): number {
  let total = 0n;
  for (const { amount, interval } of items) {
    if (interval === 'year') {
      const q = amount / 12n;
      const r = amount % 12n;
      total += r * 2n > 12n || (r * 2n === 12n && q % 2n === 1n) ? q + 1n : q;
    } else total += amount;
  }
  return Number(total);
}
