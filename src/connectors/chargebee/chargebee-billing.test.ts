/**
 * The Chargebee connector against the emulator through the `chargebee` SDK: an amendment books
 * Chargebee's own day-based proration, a downgrade's credit note, usage on the renewal invoice,
 * refunds from transactions, and what the events mean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  prorate,
  startChargebeeEmulator,
  type ChargebeeEmulator,
} from '@revsync/emulators/chargebee';
import { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import type { BillingSystem, Connector, VendorEvent } from '../ports.ts';
import { createChargebeeConnector } from './connector.ts';
import { toCanonicalEvents, toVendorEvent } from './events.ts';

const DAY = 86_400;
let emu: ChargebeeEmulator;
let connector: Connector<BillingSystem>;
let keys = 0;
const key = () => ({ idempotencyKey: `test-${++keys}` });

beforeAll(async () => {
  emu = await startChargebeeEmulator({ port: 0, ratePerMinute: 0 });
  connector = createChargebeeConnector({
    apiKey: 'test_connector',
    baseUrl: emu.url,
    paymentToken: 'tok_visa',
    connection: new OutboundConnection('chargebee-test', { system: 'chargebee' }),
  });
});
afterAll(async () => {
  await emu.close();
});

async function subscribed(revsyncId: string, quantity: number) {
  const port = connector.port;
  const { id: customerId } = await port.upsertCustomer(
    {
      revsyncId,
      name: `Customer ${revsyncId}`,
      currency: 'GBP',
      address: { line1: '1 High St', city: 'London', country: 'GB' },
    },
    key(),
  );
  const { priceId } = await port.ensurePrice(
    {
      productCode: 'SEAT',
      productName: 'Seat',
      unitAmount: { amount: 3_100, currency: 'GBP' },
      interval: 'month',
    },
    key(),
  );
  const sub = await port.createSubscription(
    { customerId, items: [{ priceId, quantity }], metadata: { revsync_customer_id: revsyncId } },
    key(),
  );
  return { customerId, priceId, sub };
}

function events(type: string): VendorEvent[] {
  return emu.events(type).map((e) => toVendorEvent(e));
}

describe('chargebee billing port', () => {
  it('answers a new subscription with its first invoice, as getInvoice reads it', async () => {
    const { sub } = await subscribed('cus_first_invoice', 3);
    expect(sub.latestInvoice).toBeDefined();
    expect(sub.latestInvoice?.id).toBe(sub.latestInvoiceId);
    expect(sub.latestInvoice?.status).toBe('paid');
    expect(sub.latestInvoice).toEqual(await connector.port.getInvoice(sub.latestInvoiceId!));
  });

  it('books an upgrade with the proration Chargebee computed, to the cent', async () => {
    const { priceId, sub } = await subscribed('cus_prorate_up', 2);
    const start = Date.parse(sub.currentPeriodStart) / 1000;
    const end = Date.parse(sub.currentPeriodEnd) / 1000;
    emu.clock.set((start + 12 * DAY + 3_600) * 1000);
    const amended = await connector.port.amendSubscription(
      sub.id,
      {
        items: [{ itemId: sub.items[0]!.id, priceId, quantity: 7 }],
        metadata: { revsync_correlation_id: 'corr-1' },
      },
      key(),
    );
    expect(amended.latestInvoiceId).toBeDefined();
    expect(amended.latestInvoiceId).not.toBe(sub.latestInvoiceId);
    expect(amended.metadata).toEqual({
      revsync_customer_id: 'cus_prorate_up',
      revsync_correlation_id: 'corr-1',
    });
    expect(amended.items).toEqual([expect.objectContaining({ quantity: 7, productCode: 'SEAT' })]);

    const invoice = await connector.port.getInvoice(amended.latestInvoiceId!);
    const expected = prorate(5 * 3_100, start, end, start + 12 * DAY + 3_600);
    expect(invoice).toMatchObject({
      billingReason: 'subscription_update',
      status: 'paid',
      subtotal: { amount: expected, currency: 'GBP' },
      tax: { amount: Math.round(expected * 0.2), currency: 'GBP' },
      revsyncId: 'cus_prorate_up',
    });
    expect(invoice.total.amount).toBe(invoice.subtotal.amount + invoice.tax.amount);
    expect(invoice.lines).toEqual([
      expect.objectContaining({
        proration: true,
        amount: { amount: expected, currency: 'GBP' },
        productCode: 'SEAT',
      }),
    ]);
    const finalized = events('invoice_generated')
      .filter((e) => e.subject === invoice.id)
      .flatMap(toCanonicalEvents);
    expect(finalized).toContainEqual(
      expect.objectContaining({
        type: 'billing.invoice.finalized',
        data: { invoiceId: invoice.id, reason: 'subscription_update' },
      }),
    );
    const payment = await connector.port.getPayment(invoice.paymentId!);
    expect(payment).toMatchObject({
      status: 'succeeded',
      invoiceId: invoice.id,
      amount: invoice.total,
    });
  });

  it('books a downgrade as the adjustment credit note Chargebee issues', async () => {
    const { priceId, sub } = await subscribed('cus_prorate_down', 6);
    const amended = await connector.port.amendSubscription(
      sub.id,
      { items: [{ priceId, quantity: 2 }] },
      key(),
    );
    expect(amended.latestInvoiceId).toBe(sub.latestInvoiceId);
    const created = events('credit_note_created').filter((e) => {
      const note = (e.data as { credit_note?: { subscription_id?: string } }).credit_note;
      return note?.subscription_id === sub.id;
    });
    const canonical = created.flatMap(toCanonicalEvents);
    expect(canonical).toHaveLength(1);
    const note = await connector.port.getCreditNote(created[0]!.subject!);
    expect(note.invoiceId).toBe(sub.latestInvoiceId);
    expect(note.total.amount).toBeGreaterThan(0);
    expect(note.reason).toBe('subscription_change');
  });

  it('bills usage as an unbilled charge on the renewal invoice', async () => {
    const { sub } = await subscribed('cus_usage', 1);
    const item = sub.items[0]!;
    const { id } = await connector.port.reportUsage!(
      {
        subscriptionItemId: item.id,
        quantity: 4,
        periodStart: sub.currentPeriodStart,
        periodEnd: sub.currentPeriodStart,
        description: 'Usage: 4 units',
      },
      key(),
    );
    expect(id).toMatch(/^uc_/);
    emu.clock.set(Date.parse(sub.currentPeriodEnd) + 60_000);
    emu.runBilling();
    const [renewal] = await connector.port.listInvoices({ subscriptionId: sub.id });
    expect(renewal).toMatchObject({ billingReason: 'subscription_cycle' });
    expect(renewal!.lines.map((l) => [l.description, l.amount.amount])).toContainEqual([
      'Usage: 4 units',
      4 * 3_100,
    ]);
  });

  it('reads a refund from its transaction and books it once (not again as its credit note)', async () => {
    const { sub } = await subscribed('cus_refund', 1);
    const res = await fetch(`${emu.url}/api/v2/invoices/${sub.latestInvoiceId}/refund`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('test_connector:').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'refund_amount=1000',
    });
    const { transaction } = (await res.json()) as { transaction: { id: string } };
    const refund = await connector.port.getRefund(transaction.id);
    expect(refund).toMatchObject({
      invoiceId: sub.latestInvoiceId,
      amount: { amount: 1_000, currency: 'GBP' },
    });
    const payment = await connector.port.getPayment(refund.paymentId);
    expect(payment).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: { amount: 1_000 },
    });
    const refunded = events('payment_refunded').find((e) => e.subject === transaction.id)!;
    expect(toCanonicalEvents(refunded)).toEqual([
      expect.objectContaining({
        type: 'billing.refund.created',
        data: { refundId: transaction.id, paymentId: refund.paymentId },
      }),
    ]);
    const note = events('credit_note_created').at(-1)!;
    expect(toCanonicalEvents(note)).toEqual([]);
  });

  it('polls every event once, in order, across pages and polls', async () => {
    const poller = connector.pollers[0]!;
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 500; i++) {
      const page = await poller.poll(cursor, { limit: 3 });
      seen.push(...page.events.map((e) => e.id));
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(emu.state.events.map((e) => e.id));
    await connector.port.upsertCustomer(
      { revsyncId: 'cus_late', name: 'Late', currency: 'USD' },
      key(),
    );
    const next = await poller.poll(cursor, { limit: 3 });
    expect(next.events.map((e) => e.type)).toEqual(['chargebee.customer_created']);
  });
});
