import Stripe from 'stripe';
import { startStripeEmulator } from '@revsync/emulators/stripe';
import { walkStripeList, type StripePage } from '../../../connectors/stripe/list-pages.ts';
import { env } from '../../../connectors/settings.ts';
import { BillingReason } from '../../../model/entities/invoice.ts';
import { retry } from '../../retry.ts';
import {
  monthlyAmount,
  startOrAttach,
  type BillingActor,
  type BillingDriver,
  type BillingInvoiceFacts,
  type BillingSubscriptionFacts,
} from '../driver.ts';

const API_KEY = 'sk_test_revsync_simulator';
const CARDS = { good: 'pm_card_visa', declining: 'pm_card_chargeDeclined' } as const;

/**
 * Customers and finance in Stripe through the `stripe` SDK: card changes, payments, refunds,
 * cancellations with credit notes, and time on a test clock (renewals). Lists are read page by
 * page with each page retried (the SDK's auto-pagination gives up the walk on one 429).
 */
export class StripeActor implements BillingActor {
  readonly stripe: Stripe;
  readonly testClockId: string;

  readonly #url: string;

  constructor(stripe: Stripe, testClockId: string, url = '') {
    this.stripe = stripe;
    this.testClockId = testClockId;
    this.#url = url;
  }

  /** The emulator's admin route pays out every balance transaction not paid out yet. */
  async payOut(): Promise<number> {
    const res = await fetch(`${this.#url}/_emulator/payouts`, { method: 'POST' });
    if (!res.ok) throw new Error(`POST /_emulator/payouts answered ${res.status}`);
    return ((await res.json()) as { data: unknown[] }).data.length;
  }

  async subscription(id: string): Promise<BillingSubscriptionFacts> {
    const sub = await retry(() =>
      this.stripe.subscriptions.retrieve(id, { expand: ['items.data.price'] }),
    );
    return subscriptionFacts(sub);
  }

  async setCard(customerId: string, card: 'good' | 'declining'): Promise<void> {
    const pm = await retry(() =>
      this.stripe.paymentMethods.attach(CARDS[card], { customer: customerId }),
    );
    await retry(() =>
      this.stripe.customers.update(customerId, {
        invoice_settings: { default_payment_method: pm.id },
      }),
    );
  }

  async payOpenInvoices(customerId: string): Promise<number> {
    let paid = 0;
    const open = await retry(() =>
      this.stripe.invoices.list({ customer: customerId, status: 'open', limit: 100 }),
    );
    for (const invoice of open.data) {
      await retry(() => this.stripe.invoices.pay(invoice.id!, { payment_method: CARDS.good }));
      paid += 1;
    }
    return paid;
  }

  async refundLatest(customerId: string, part: 'full' | 'half'): Promise<boolean> {
    const paid = await this.#latestInvoice(customerId, 'paid');
    const pi = paid ? await this.#paymentIntentOf(paid) : undefined;
    if (!paid || !pi || paid.amount_paid <= 0) return false;
    const amount =
      part === 'full' ? paid.amount_paid : Math.max(1, Math.floor(paid.amount_paid / 2));
    await retry(() => this.stripe.refunds.create({ payment_intent: pi, amount }));
    return true;
  }

  async cancelWithCreditNote(subscriptionId: string, customerId: string): Promise<void> {
    await retry(() => this.stripe.subscriptions.cancel(subscriptionId));
    const paid = await this.#latestInvoice(customerId, 'paid');
    if (paid && paid.amount_paid > 0) {
      await retry(() =>
        this.stripe.creditNotes.create({
          invoice: paid.id!,
          amount: Math.max(1, Math.floor(paid.total / 4)),
          reason: 'order_change',
        }),
      );
    }
  }

  async advanceClock(ms: number): Promise<void> {
    const clocks = this.stripe.testHelpers.testClocks;
    const clock = await retry(() => clocks.retrieve(this.testClockId));
    await retry(() =>
      clocks.advance(this.testClockId, { frozen_time: clock.frozen_time + Math.round(ms / 1000) }),
    );
    for (let i = 0; i < 600; i++) {
      const now = await retry(() => clocks.retrieve(this.testClockId));
      if (now.status === 'ready') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the Stripe test clock did not finish advancing');
  }

  async finalizedInvoices(): Promise<BillingInvoiceFacts[]> {
    const invoices = await this.#every((after) =>
      this.stripe.invoices.list({ limit: 100, starting_after: after }),
    );
    return invoices
      .filter((i) => i.status !== 'draft' && i.status_transitions?.finalized_at)
      .map((i) => ({
        id: i.id!,
        currency: i.currency.toUpperCase(),
        total: i.total,
        tax: (i.total_taxes ?? []).reduce((a, t) => a + t.amount, 0),
        reason: BillingReason.safeParse(i.billing_reason).data ?? 'manual',
      }));
  }

  async invoicePayments(): Promise<{ paymentId: string; invoiceId: string; amount: number }[]> {
    const payments = await this.#every((after) =>
      this.stripe.invoicePayments.list({ status: 'paid', limit: 100, starting_after: after }),
    );
    return payments.flatMap((p) => {
      const pi = p.payment.payment_intent;
      const paymentId = typeof pi === 'string' ? pi : pi?.id;
      const invoiceId = typeof p.invoice === 'string' ? p.invoice : p.invoice.id!;
      const amount = p.amount_paid ?? 0;
      return paymentId && amount > 0 ? [{ paymentId, invoiceId, amount }] : [];
    });
  }

  async customers(): Promise<{ id: string; revsyncId?: string }[]> {
    const customers = await this.#every((after) =>
      this.stripe.customers.list({ limit: 100, starting_after: after }),
    );
    return customers.map((c) => ({
      id: c.id,
      ...(c.metadata?.revsync_customer_id && { revsyncId: c.metadata.revsync_customer_id }),
    }));
  }

  async subscriptions(): Promise<BillingSubscriptionFacts[]> {
    const subs = await this.#every((after) =>
      this.stripe.subscriptions.list({
        status: 'all',
        limit: 100,
        starting_after: after,
        expand: ['data.items.data.price'],
      }),
    );
    return subs.map(subscriptionFacts);
  }

  /** Invoices of a billing reason, counted across the account. */
  async countInvoices(reason: string): Promise<number> {
    const invoices = await this.#every((after) =>
      this.stripe.invoices.list({ limit: 100, starting_after: after }),
    );
    return invoices.filter((invoice) => invoice.billing_reason === reason).length;
  }

  #every<T extends { id?: string }>(
    page: (startingAfter: string | undefined) => PromiseLike<StripePage<T>>,
  ): Promise<T[]> {
    return everyPage(page);
  }

  async #latestInvoice(customer: string, status: 'paid' | 'open') {
    const page = await retry(() => this.stripe.invoices.list({ customer, status, limit: 1 }));
    return page.data[0];
  }

  async #paymentIntentOf(invoice: Stripe.Invoice): Promise<string | undefined> {
    const payments = await retry(() => this.stripe.invoicePayments.list({ invoice: invoice.id! }));
    const pi = payments.data.find((p) => p.status === 'paid')?.payment.payment_intent;
    return typeof pi === 'string' ? pi : pi?.id;
  }
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

function subscriptionFacts(sub: Stripe.Subscription): BillingSubscriptionFacts {
  const ended = sub.status === 'canceled' || sub.status === 'incomplete_expired';
  const mrr = ended
    ? 0
    : monthlyAmount(
        sub.items.data.map((item) => ({
          amount: BigInt(item.price.unit_amount ?? 0) * BigInt(item.quantity ?? 1),
          interval: item.price.recurring?.interval === 'year' ? 'year' : 'month',
        })),
      );
  const deal = sub.metadata?.revsync_crm_opportunity_id;
  return {
    id: sub.id,
    customerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    status: sub.status,
    currency: sub.currency.toUpperCase(),
    mrr,
    firstItemId: sub.items.data[0]!.id,
    ...(deal && { crmDealId: deal }),
  };
}

/** A Stripe SDK client of an emulator (or any Stripe-compatible URL). */
export function stripeClient(url: string): Stripe {
  const u = new URL(url);
  return new Stripe(API_KEY, {
    host: u.hostname,
    port: Number(u.port),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    maxNetworkRetries: 3,
  });
}

/**
 * The Stripe emulator at live mode's rate limit, a test clock new customers join, a webhook
 * endpoint pointing at revsync, and revsync connected with a secret key.
 */
export const driver: BillingDriver = {
  system: 'stripe',
  role: 'billing',
  async start(options) {
    const emulator = await startOrAttach(options, (listen) =>
      startStripeEmulator({
        ...listen,
        seed: options.seed,
        faults: options.faults,
        rateLimit: options.rateLimits === 'off' ? 0 : 100,
        ...(options.webhookConcurrency !== undefined && {
          webhookConcurrency: options.webhookConcurrency,
        }),
      }),
    );
    const url = emulator.url;
    const started = emulator.started;
    const stripe = stripeClient(url);
    const clock = await retry(() =>
      stripe.testHelpers.testClocks.create({
        frozen_time: Math.floor(Date.now() / 1000),
        name: `revsync seed ${options.seed}`,
      }),
    );
    const endpoint = await retry(() =>
      stripe.webhookEndpoints.create({ url: options.webhookUrl, enabled_events: ['*'] }),
    );
    return {
      url,
      connection: {
        baseUrl: url,
        apiKey: env('STRIPE_API_KEY'),
        webhookSecret: env('STRIPE_WEBHOOK_SECRET'),
        defaultPaymentMethod: CARDS.good,
        limits: { ratePerSecond: 90, maxConcurrent: 10 },
      },
      env: { STRIPE_API_KEY: API_KEY, STRIPE_WEBHOOK_SECRET: endpoint.secret ?? '' },
      testClock: clock.id,
      actor: new StripeActor(stripe, clock.id, url),
      clearFaults: emulator.clearFaults,
      ...(started && { flushWebhooks: () => started.flushWebhooks() }),
      async close() {
        await stripe.webhookEndpoints.del(endpoint.id).catch(() => undefined);
        await emulator.close();
      },
    };
  },
};
