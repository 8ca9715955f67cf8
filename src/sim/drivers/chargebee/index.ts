import { randomUUID } from 'node:crypto';
import Chargebee, { type Invoice, type Subscription } from 'chargebee';
import { startChargebeeEmulator } from '@revsync/emulators/chargebee';
import { toSubscriptionStatus } from '../../../connectors/chargebee/mapper.ts';
import { env } from '../../../connectors/settings.ts';
import { retry } from '../../retry.ts';
import {
  monthlyAmount,
  startOrAttach,
  type BillingActor,
  type BillingDriver,
  type BillingInvoiceFacts,
  type BillingSubscriptionFacts,
} from '../driver.ts';

const API_KEY = 'test_revsync_simulator';
const WEBHOOK_USER = 'revsync';
const WEBHOOK_PASSWORD = 'revsync-simulator-webhook';
const CARDS = { good: 'tok_visa', declining: 'tok_chargeDeclined' } as const;

/** A Chargebee SDK call, retried for passing failures as a person's tool would (429, 5xx, no answer). */
function cb<T>(call: () => Promise<T>): Promise<T> {
  return retry(() =>
    call().catch((caught: unknown) => {
      const status = (caught as { http_status_code?: unknown }).http_status_code;
      if (typeof status !== 'number') throw caught;
      const message = String((caught as { message?: unknown }).message ?? 'chargebee error');
      throw Object.assign(new Error(`chargebee ${status}: ${message}`), { status, cause: caught });
    }),
  );
}

/** An idempotency key for one action of the actor (its retries replay). */
function once(): Record<string, string> {
  return { 'chargebee-idempotency-key': `sim-${randomUUID()}` };
}

/**
 * Customers and finance in Chargebee through the `chargebee` SDK: card changes, payments,
 * refunds, cancellations with credit notes, and time through the site's time machine
 * (renewals). Lists are read page by page with `offset`, each page retried on its own.
 */
export class ChargebeeActor implements BillingActor {
  readonly sdk: Chargebee;

  constructor(sdk: Chargebee) {
    this.sdk = sdk;
  }

  async subscription(id: string): Promise<BillingSubscriptionFacts> {
    const res = await cb(() => this.sdk.subscription.retrieve(id));
    return subscriptionFacts(res.subscription);
  }

  async setCard(customerId: string, card: 'good' | 'declining'): Promise<void> {
    const headers = once();
    await cb(() =>
      this.sdk.paymentSource.createUsingTempToken(
        {
          customer_id: customerId,
          type: 'card',
          tmp_token: CARDS[card],
          replace_primary_payment_source: true,
        },
        headers,
      ),
    );
  }

  async payOpenInvoices(customerId: string): Promise<number> {
    const open = await this.#every((offset) =>
      this.sdk.invoice.list({
        limit: 100,
        customer_id: { is: customerId },
        status: { is: 'payment_due' },
        ...(offset !== undefined && { offset }),
      }),
    );
    let paid = 0;
    for (const { invoice } of open) {
      const headers = once();
      await cb(() => this.sdk.invoice.collectPayment(invoice.id, {}, headers));
      paid += 1;
    }
    return paid;
  }

  async refundLatest(customerId: string, part: 'full' | 'half'): Promise<boolean> {
    const paid = await this.#latestPaid(customerId);
    if (!paid || (paid.amount_paid ?? 0) <= 0) return false;
    const amountPaid = paid.amount_paid ?? 0;
    const amount = part === 'full' ? amountPaid : Math.max(1, Math.floor(amountPaid / 2));
    const headers = once();
    await cb(() =>
      this.sdk.invoice.refund(
        paid.id,
        { refund_amount: amount, credit_note: { reason_code: 'other' } },
        headers,
      ),
    );
    return true;
  }

  async cancelWithCreditNote(subscriptionId: string, customerId: string): Promise<void> {
    const cancel = once();
    await cb(() =>
      this.sdk.subscription.cancelForItems(
        subscriptionId,
        { end_of_term: false, credit_option_for_current_term_charges: 'none' },
        cancel,
      ),
    );
    const paid = await this.#latestPaid(customerId);
    if (paid && (paid.amount_paid ?? 0) > 0) {
      const headers = once();
      await cb(() =>
        this.sdk.creditNote.create(
          {
            reference_invoice_id: paid.id,
            total: Math.max(1, Math.floor((paid.total ?? 0) / 4)),
            type: 'refundable',
            create_reason_code: 'subscription_cancellation',
          },
          headers,
        ),
      );
    }
  }

  async advanceClock(ms: number): Promise<void> {
    const tm = await cb(() => this.sdk.timeMachine.retrieve('delorean'));
    const destination =
      (tm.time_machine.destination_time ?? Math.floor(Date.now() / 1000)) + Math.round(ms / 1000);
    const headers = once();
    await cb(() =>
      this.sdk.timeMachine.travelForward('delorean', { destination_time: destination }, headers),
    );
    for (let i = 0; i < 600; i++) {
      const now = await cb(() => this.sdk.timeMachine.retrieve('delorean'));
      if (now.time_machine.time_travel_status === 'succeeded') return;
      if (now.time_machine.time_travel_status === 'failed')
        throw new Error('the Chargebee time travel failed');
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the Chargebee time machine did not finish travelling');
  }

  async finalizedInvoices(): Promise<BillingInvoiceFacts[]> {
    const all = await this.#every((offset) =>
      this.sdk.invoice.list({ limit: 100, ...(offset !== undefined && { offset }) }),
    );
    return all
      .map((e) => e.invoice)
      .filter((i) => i.status !== 'pending' && i.status !== 'voided')
      .map((i) => ({
        id: i.id,
        currency: i.currency_code.toUpperCase(),
        total: i.total ?? 0,
        tax: i.tax,
        reason: reasonOf(i),
      }));
  }

  async invoicePayments(): Promise<{ paymentId: string; invoiceId: string; amount: number }[]> {
    const all = await this.#every((offset) =>
      this.sdk.transaction.list({
        limit: 100,
        type: { is: 'payment' },
        status: { is: 'success' },
        ...(offset !== undefined && { offset }),
      }),
    );
    return all.flatMap(({ transaction: t }) =>
      (t.linked_invoices ?? [])
        .filter((l) => l.applied_amount > 0)
        .map((l) => ({ paymentId: t.id, invoiceId: l.invoice_id, amount: l.applied_amount })),
    );
  }

  async customers(): Promise<{ id: string; revsyncId?: string }[]> {
    const all = await this.#every((offset) =>
      this.sdk.customer.list({ limit: 100, ...(offset !== undefined && { offset }) }),
    );
    return all.map(({ customer: c }) => {
      const revsyncId = (c.meta_data as Record<string, unknown> | undefined)?.revsync_customer_id;
      return { id: c.id, ...(typeof revsyncId === 'string' && { revsyncId }) };
    });
  }

  async subscriptions(): Promise<BillingSubscriptionFacts[]> {
    const all = await this.#every((offset) =>
      this.sdk.subscription.list({ limit: 100, ...(offset !== undefined && { offset }) }),
    );
    return all.map((e) => subscriptionFacts(e.subscription));
  }

  async #latestPaid(customerId: string): Promise<Invoice | undefined> {
    const page = await cb(() =>
      this.sdk.invoice.list({
        limit: 1,
        customer_id: { is: customerId },
        status: { is: 'paid' },
        'sort_by[desc]': 'date',
      }),
    );
    return page.list[0]?.invoice;
  }

  async #every<T>(
    page: (offset: string | undefined) => Promise<{ list: T[]; next_offset?: string }>,
  ): Promise<T[]> {
    const all: T[] = [];
    let offset: string | undefined;
    do {
      const res = await cb(() => page(offset));
      all.push(...res.list);
      offset = res.next_offset;
    } while (offset !== undefined && offset !== '');
    return all;
  }
}

function reasonOf(invoice: Invoice): BillingInvoiceFacts['reason'] {
  if (invoice.first_invoice) return 'subscription_create';
  if ((invoice.line_items ?? []).some((l) => l.proration_mode !== undefined))
    return 'subscription_update';
  if (invoice.recurring && invoice.subscription_id !== undefined) return 'subscription_cycle';
  return 'manual';
}

function subscriptionFacts(sub: Subscription): BillingSubscriptionFacts {
  const items = sub.subscription_items ?? [];
  const mrr =
    sub.status === 'cancelled'
      ? 0
      : monthlyAmount(
          items.map((item) => ({
            amount: BigInt(item.unit_price ?? 0) * BigInt(item.quantity ?? 1),
            interval: sub.billing_period_unit === 'year' ? 'year' : 'month',
          })),
        );
  const deal = (sub.meta_data as Record<string, unknown> | undefined)?.revsync_crm_opportunity_id;
  return {
    id: sub.id,
    customerId: sub.customer_id,
    // In the canonical vocabulary revsync writes to the CRM (Chargebee's `cancelled` is `canceled`).
    status: toSubscriptionStatus(sub.status),
    currency: (sub.currency_code ?? 'USD').toUpperCase(),
    mrr,
    firstItemId: `${sub.id}:${items[0]?.item_price_id ?? ''}`,
    ...(typeof deal === 'string' && { crmDealId: deal }),
  };
}

/** A Chargebee SDK client of an emulator (or any Chargebee-compatible URL). */
export function chargebeeClient(url: string): Chargebee {
  const u = new URL(url);
  const protocol = u.protocol === 'https:' ? 'https' : 'http';
  return new Chargebee({
    site: u.hostname,
    apiKey: API_KEY,
    hostSuffix: '',
    protocol,
    port: u.port === '' ? (protocol === 'http' ? 80 : 443) : Number(u.port),
    sdkTelemetryEnabled: false,
  });
}

/**
 * The Chargebee emulator at a live site's top rate limit (3500 a minute), a webhook with Basic
 * auth pointing at revsync, and revsync connected with an API key. Renewals go through the
 * site's time machine, so there is no per-customer test clock.
 */
export const driver: BillingDriver = {
  system: 'chargebee',
  role: 'billing',
  async start(options) {
    const emulator = await startOrAttach(options, (listen) =>
      startChargebeeEmulator({
        ...listen,
        seed: options.seed,
        faults: options.faults,
        ratePerMinute: options.rateLimits === 'off' ? 0 : 3_500,
      }),
    );
    const url = emulator.url;
    const res = await fetch(new URL('/_emulator/webhooks', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        url: options.webhookUrl,
        username: WEBHOOK_USER,
        password: WEBHOOK_PASSWORD,
      }),
    });
    if (!res.ok) throw new Error(`${url}: registering the webhook answered ${res.status}`);
    const started = emulator.started;
    return {
      url,
      connection: {
        baseUrl: url,
        apiKey: env('CHARGEBEE_API_KEY'),
        webhookUsername: WEBHOOK_USER,
        webhookPassword: env('CHARGEBEE_WEBHOOK_PASSWORD'),
        paymentToken: CARDS.good,
        limits: { ratePerSecond: 50, maxConcurrent: 10 },
      },
      env: { CHARGEBEE_API_KEY: API_KEY, CHARGEBEE_WEBHOOK_PASSWORD: WEBHOOK_PASSWORD },
      actor: new ChargebeeActor(chargebeeClient(url)),
      clearFaults: emulator.clearFaults,
      ...(started && { flushWebhooks: () => started.flushWebhooks() }),
      close: () => emulator.close(),
    };
  },
};
