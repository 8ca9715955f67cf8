import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingSystem, Connector } from '../ports.ts';
import { money } from '../../model/money.ts';
import { ConflictError, NotFoundError } from '../../model/revsync-error.ts';
import { startStripeFixture, utcSeconds, type StripeFixture } from './emulator-fixture.ts';

let fx: StripeFixture;

beforeAll(async () => {
  fx = await startStripeFixture({ seed: 7 });
});
afterAll(() => fx.close());

const usd = (amount: number) => money(amount, 'USD');

/** A connector whose new customers live on a fresh test clock at `frozenTime`. */
async function onClock(frozenTime: number) {
  const clock = await fx.clock(frozenTime);
  const connector = fx.connector({ testClock: clock, defaultPaymentMethod: 'pm_card_visa' });
  return { clock, connector, billing: connector.port };
}

async function customerAndPrices(billing: BillingSystem, revsyncId: string) {
  const { id: customerId } = await billing.upsertCustomer(
    { revsyncId, name: `Customer ${revsyncId}`, currency: 'USD' },
    { idempotencyKey: fx.key() },
  );
  const seats = await billing.ensurePrice(
    { productCode: 'SEATS', productName: 'Seats', unitAmount: usd(1500), interval: 'month' },
    { idempotencyKey: fx.key() },
  );
  const support = await billing.ensurePrice(
    { productCode: 'SUPPORT', productName: 'Support', unitAmount: usd(9900), interval: 'month' },
    { idempotencyKey: fx.key() },
  );
  return { customerId, seats: seats.priceId, support: support.priceId };
}

describe('upsertCustomer', () => {
  it('creates once, then finds the same customer by its revsync id', async () => {
    const clock = await fx.clock(utcSeconds(2026, 0, 1));
    const billing = fx.connector({ testClock: clock, defaultPaymentMethod: 'pm_card_visa' }).port;
    const input = {
      revsyncId: 'cus_rs_upsert_1',
      name: 'Acme Ltd',
      email: 'billing@acme.test',
      currency: 'GBP',
      address: { line1: '1 High St', city: 'London', postalCode: 'EC1A 1AA', country: 'GB' },
      taxId: { type: 'gb_vat', value: 'GB123456789' },
      metadata: { salesforce_account_id: '001A' },
    };
    const first = await billing.upsertCustomer(input, { idempotencyKey: fx.key() });
    const second = await billing.upsertCustomer(input, { idempotencyKey: fx.key() });
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });

    const found = await fx.sdk.customers.search({
      query: "metadata['revsync_customer_id']:'cus_rs_upsert_1'",
    });
    expect(found.data.map((c) => c.id)).toEqual([first.id]);
    const customer = await fx.sdk.customers.retrieve(first.id, { expand: ['tax_ids'] });
    expect(customer.deleted).toBeUndefined();
    const c = customer as Stripe.Customer;
    expect(c.name).toBe('Acme Ltd');
    expect(c.email).toBe('billing@acme.test');
    expect(c.address).toMatchObject({ line1: '1 High St', postal_code: 'EC1A 1AA', country: 'GB' });
    expect(c.metadata).toEqual({
      revsync_customer_id: 'cus_rs_upsert_1',
      salesforce_account_id: '001A',
    });
    expect(c.tax_ids?.data.map((t) => [t.type, t.value])).toEqual([['gb_vat', 'GB123456789']]);
    expect(c.test_clock).toBe(clock);
    expect(c.invoice_settings.default_payment_method).toMatch(/^pm_/);
  });

  it('updates changed fields of the customer it finds', async () => {
    const billing = fx.connector().port;
    const input = { revsyncId: 'cus_rs_upsert_2', name: 'Old Name', currency: 'USD' };
    const { id } = await billing.upsertCustomer(input, { idempotencyKey: fx.key() });
    const again = await billing.upsertCustomer(
      { ...input, name: 'New Name', email: 'new@example.test' },
      { idempotencyKey: fx.key() },
    );
    expect(again).toEqual({ id, created: false });
    const c = (await fx.sdk.customers.retrieve(id)) as Stripe.Customer;
    expect([c.name, c.email]).toEqual(['New Name', 'new@example.test']);
  });

  it('a retried create with the same idempotency key replays instead of duplicating', async () => {
    const billing = fx.connector().port;
    const key = fx.key();
    const input = { revsyncId: 'cus_rs_upsert_3', name: 'Replay Co', currency: 'USD' };
    const first = await billing.upsertCustomer(input, { idempotencyKey: key });
    // A second process that missed the first write (search lag) sends the same create.
    const replayed = await fx.sdk.customers.create(
      { name: 'Replay Co', metadata: { revsync_customer_id: 'cus_rs_upsert_3' } },
      { idempotencyKey: key },
    );
    expect(replayed.id).toBe(first.id);
    const all = await fx.sdk.customers.search({
      query: "metadata['revsync_customer_id']:'cus_rs_upsert_3'",
    });
    expect(all.data).toHaveLength(1);
  });

  it('refuses to pick one of several customers with the same revsync id', async () => {
    for (let i = 0; i < 2; i++) {
      await fx.sdk.customers.create({ name: 'Dup', metadata: { revsync_customer_id: 'dup-1' } });
    }
    const err = await fx
      .connector()
      .port.upsertCustomer(
        { revsyncId: 'dup-1', name: 'Dup', currency: 'USD' },
        { idempotencyKey: fx.key() },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
  });
});

describe('ensurePrice', () => {
  it('finds the price by its lookup key the second time, on a deterministic product', async () => {
    const billing = fx.connector().port;
    const input = {
      productCode: 'PLAT-001',
      productName: 'Platform',
      unitAmount: usd(4999),
      interval: 'month' as const,
    };
    const first = await billing.ensurePrice(input, { idempotencyKey: fx.key() });
    const second = await billing.ensurePrice(input, { idempotencyKey: fx.key() });
    expect(second).toEqual(first);
    expect(first.productId).toBe('prod_revsync_PLAT-001');

    const prices = await fx.sdk.prices.list({ product: first.productId });
    expect(prices.data).toHaveLength(1);
    const price = prices.data[0]!;
    expect(price.lookup_key).toBe('revsync:PLAT-001:usd:4999:month');
    expect([price.unit_amount, price.currency, price.recurring?.interval]).toEqual([
      4999,
      'usd',
      'month',
    ]);
    const product = await fx.sdk.products.retrieve(first.productId);
    expect(product.metadata).toEqual({ revsync_product_code: 'PLAT-001' });

    const yearly = await billing.ensurePrice(
      { ...input, unitAmount: usd(49_990), interval: 'year' },
      { idempotencyKey: fx.key() },
    );
    expect(yearly.productId).toBe(first.productId);
    expect(yearly.priceId).not.toBe(first.priceId);
  });

  it('converts amounts for currencies whose Stripe exponent differs from ISO (ISK)', async () => {
    const billing = fx.connector({ defaultPaymentMethod: 'pm_card_visa' }).port;
    // ISO: ISK has no decimals, so 12 900 kr. is 12900 minor units; Stripe wants 1290000.
    const { priceId } = await billing.ensurePrice(
      {
        productCode: 'NORDIC',
        productName: 'Nordic',
        unitAmount: money(12_900, 'ISK'),
        interval: 'month',
      },
      { idempotencyKey: fx.key() },
    );
    const price = await fx.sdk.prices.retrieve(priceId);
    expect([price.unit_amount, price.currency]).toEqual([1_290_000, 'isk']);

    const { id: customerId } = await billing.upsertCustomer(
      { revsyncId: 'cus_rs_isk', name: 'Reykjavik ehf', currency: 'ISK' },
      { idempotencyKey: fx.key() },
    );
    const sub = await billing.createSubscription(
      {
        customerId,
        items: [{ priceId, quantity: 2 }],
        metadata: { revsync_customer_id: 'cus_rs_isk' },
      },
      { idempotencyKey: fx.key() },
    );
    expect(sub.currency).toBe('ISK');
    expect(sub.items[0]?.unitAmount).toEqual(money(12_900, 'ISK'));
    const invoice = await billing.getInvoice(sub.latestInvoiceId!);
    expect(invoice.total).toEqual(money(25_800, 'ISK'));
    expect(invoice.lines[0]?.unitAmount).toEqual(money(12_900, 'ISK'));
    expect((await fx.sdk.invoices.retrieve(invoice.id)).total).toBe(2_580_000);
  });
});

describe('prices and products cached as reference data', () => {
  // Outside calls by operation, through a connector of its own.
  const counted = (options: Parameters<StripeFixture['connector']>[0] = {}) => {
    const calls = new Map<string, number>();
    const connector = fx.connector({
      ...options,
      onCall: (r) => calls.set(r.operation, (calls.get(r.operation) ?? 0) + 1),
    });
    const count = (operation: string) => calls.get(`stripe.${operation}`) ?? 0;
    return { billing: connector.port, count };
  };
  const priceOf = (code: string, currency: 'USD' | 'GBP' | 'EUR', amount: number) => ({
    productCode: code,
    productName: `Product ${code}`,
    unitAmount: money(amount, currency),
    interval: 'month' as const,
  });

  it('asks once per price and once per product, however many deals ask at once', async () => {
    const c = counted();
    const wanted = ['CACHE-A', 'CACHE-B'].flatMap((code, i) =>
      (['USD', 'GBP', 'EUR'] as const).map((currency) => priceOf(code, currency, 1_000 + i * 100)),
    );
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        Promise.all(wanted.map((w) => c.billing.ensurePrice(w, { idempotencyKey: fx.key() }))),
      ),
    );
    // One price per key in Stripe, the same one for every caller.
    for (const a of answers) expect(a).toEqual(answers[0]);
    for (const code of ['CACHE-A', 'CACHE-B']) {
      const prices = await fx.sdk.prices.list({ product: `prod_revsync_${code}`, limit: 100 });
      expect(prices.data).toHaveLength(3);
    }
    const counts = () =>
      ['prices.list', 'prices.create', 'products.retrieve', 'products.create'].map(c.count);
    expect(counts()).toEqual([6, 6, 2, 2]);
    await Promise.all(wanted.map((w) => c.billing.ensurePrice(w, { idempotencyKey: fx.key() })));
    expect(counts()).toEqual([6, 6, 2, 2]);
  });

  it('knows the unit amounts of the prices it ensured: invoices on them need no price read', async () => {
    const c = counted({ defaultPaymentMethod: 'pm_card_visa' });
    const { id: customerId } = await c.billing.upsertCustomer(
      { revsyncId: 'cus_rs_cache', name: 'Cache Ltd', currency: 'USD' },
      { idempotencyKey: fx.key() },
    );
    const a = await c.billing.ensurePrice(priceOf('CACHE-C', 'USD', 2_500), {
      idempotencyKey: fx.key(),
    });
    // Found by its lookup key, not created, by a connector that has not seen it yet.
    const other = counted();
    const again = await other.billing.ensurePrice(priceOf('CACHE-C', 'USD', 2_500), {
      idempotencyKey: fx.key(),
    });
    expect(again).toEqual(a);
    expect([other.count('prices.list'), other.count('prices.create')]).toEqual([1, 0]);
    const sub = await c.billing.createSubscription(
      { customerId, items: [{ priceId: a.priceId, quantity: 3 }], metadata: {} },
      { idempotencyKey: fx.key() },
    );
    const invoice = await c.billing.getInvoice(sub.latestInvoiceId!);
    expect(invoice.lines[0]?.unitAmount).toEqual(usd(2_500));
    expect(c.count('prices.retrieve')).toBe(0);
  });
});

describe('subscriptions and invoices', () => {
  const t0 = utcSeconds(2026, 2, 1);
  const t1 = utcSeconds(2026, 3, 1);
  let fixture: Awaited<ReturnType<typeof onClock>>;
  let ids: Awaited<ReturnType<typeof customerAndPrices>>;
  let created: Awaited<ReturnType<BillingSystem['createSubscription']>>;

  beforeAll(async () => {
    fixture = await onClock(t0);
    ids = await customerAndPrices(fixture.billing, 'cus_rs_sub_1');
    created = await fixture.billing.createSubscription(
      {
        customerId: ids.customerId,
        items: [
          { priceId: ids.seats, quantity: 2 },
          { priceId: ids.support, quantity: 1 },
        ],
        metadata: { revsync_customer_id: 'cus_rs_sub_1', salesforce_opportunity_id: '006X' },
      },
      { idempotencyKey: fx.key() },
    );
  });

  it('creates the subscription with two items; its first invoice is finalized and paid', async () => {
    expect(created).toMatchObject({
      customerId: ids.customerId,
      status: 'active',
      currency: 'USD',
      cancelAtPeriodEnd: false,
      currentPeriodStart: new Date(t0 * 1000).toISOString(),
      currentPeriodEnd: new Date(t1 * 1000).toISOString(),
      metadata: { revsync_customer_id: 'cus_rs_sub_1', salesforce_opportunity_id: '006X' },
    });
    expect(
      created.items.map((i) => [i.productCode, i.quantity, i.unitAmount.amount, i.interval]),
    ).toEqual([
      ['SEATS', 2, 1500, 'month'],
      ['SUPPORT', 1, 9900, 'month'],
    ]);

    const invoice = await fixture.billing.getInvoice(created.latestInvoiceId!);
    expect(invoice).toMatchObject({
      customerId: ids.customerId,
      subscriptionId: created.id,
      status: 'paid',
      billingReason: 'subscription_create',
      currency: 'USD',
      subtotal: usd(12_900),
      tax: usd(0),
      total: usd(12_900),
      amountPaid: usd(12_900),
      amountDue: usd(0),
      revsyncId: 'cus_rs_sub_1',
    });
    expect(invoice.number).toMatch(/-0001$/);
    expect(invoice.finalizedAt).toBe(new Date(t0 * 1000).toISOString());
    expect(invoice.paidAt).toBeDefined();
    expect(invoice.paymentId).toMatch(/^pi_/);
    expect(
      invoice.lines.map((l) => [
        l.productCode,
        l.priceId,
        l.quantity,
        l.unitAmount?.amount,
        l.amount.amount,
        l.proration,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['SEATS', ids.seats, 2, 1500, 3000, false],
        ['SUPPORT', ids.support, 1, 9900, 9900, false],
      ]),
    );
    expect(invoice.lines.map((l) => l.subscriptionItemId).sort()).toEqual(
      created.items.map((i) => i.id).sort(),
    );
    const payment = await fixture.billing.getPayment(invoice.paymentId!);
    expect(payment).toMatchObject({
      id: invoice.paymentId,
      invoiceId: invoice.id,
      customerId: ids.customerId,
      status: 'succeeded',
      amount: usd(12_900),
      amountRefunded: usd(0),
    });
  });

  it('answers the create with its first invoice as getInvoice reads it; a replay with the same', async () => {
    expect(created.latestInvoice).toEqual(
      await fixture.billing.getInvoice(created.latestInvoiceId!),
    );
    expect(created.latestInvoice?.status).toBe('paid');
    // A step retried after a crash sends the same key: Stripe replays its saved answer.
    const key = fx.key();
    const input = {
      customerId: ids.customerId,
      items: [{ priceId: ids.seats, quantity: 1 }],
      metadata: {},
    };
    const first = await fixture.billing.createSubscription(input, { idempotencyKey: key });
    fx.emu.app.requests.clear();
    const replayed = await fixture.billing.createSubscription(input, { idempotencyKey: key });
    expect(replayed).toEqual(first);
    expect(replayed.latestInvoice?.id).toBe(replayed.latestInvoiceId);
    expect(fx.emu.app.requests.list().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/subscriptions',
    ]);
  });

  it('getPayment takes the invoice the caller knows instead of looking it up', async () => {
    const invoice = created.latestInvoice!;
    const looked = await fixture.billing.getPayment(invoice.paymentId!);
    fx.emu.app.requests.clear();
    const known = await fixture.billing.getPayment(invoice.paymentId!, { invoiceId: invoice.id });
    expect(known).toEqual(looked);
    expect(known.invoiceId).toBe(invoice.id);
    expect(fx.emu.app.requests.list().map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /v1/payment_intents/${invoice.paymentId}`,
    ]);
  });

  it('getSubscription reads items with unit amounts, interval and product codes', async () => {
    const sub = await fixture.billing.getSubscription(created.id);
    // Only the create's answer carries the first invoice.
    expect(sub.latestInvoice).toBeUndefined();
    expect(sub).toEqual({ ...created, latestInvoice: undefined });
  });

  it('a mid-cycle quantity upgrade invoices Stripe’s proration at once', async () => {
    const at = t0 + 10 * 86_400 + 5 * 3600 + 17;
    await fx.advance(fixture.clock, at);
    const seatsItem = created.items.find((i) => i.productCode === 'SEATS')!;
    const amended = await fixture.billing.amendSubscription(
      created.id,
      { items: [{ itemId: seatsItem.id, priceId: ids.seats, quantity: 5 }] },
      { idempotencyKey: fx.key() },
    );
    expect(amended.latestInvoiceId).toBeDefined();
    expect(amended.latestInvoiceId).not.toBe(created.latestInvoiceId);
    // Items not named are kept.
    expect(amended.items.map((i) => [i.productCode, i.quantity])).toEqual([
      ['SEATS', 5],
      ['SUPPORT', 1],
    ]);

    const invoice = await fixture.billing.getInvoice(amended.latestInvoiceId!);
    expect(invoice.billingReason).toBe('subscription_update');
    expect(invoice.status).toBe('paid');
    const fraction = (t1 - at) / (t1 - t0);
    const credit = -Math.round(1500 * 2 * fraction);
    const charge = Math.round(1500 * 5 * fraction);
    const lines = [...invoice.lines].sort((a, b) => a.amount.amount - b.amount.amount);
    expect(lines.map((l) => [l.amount.amount, l.quantity, l.proration, l.productCode])).toEqual([
      [credit, 2, true, 'SEATS'],
      [charge, 5, true, 'SEATS'],
    ]);
    for (const line of lines) {
      expect(line.periodStart).toBe(new Date(at * 1000).toISOString());
      expect(line.periodEnd).toBe(new Date(t1 * 1000).toISOString());
      expect(line.subscriptionItemId).toBe(seatsItem.id);
      expect(line.unitAmount).toEqual(usd(1500));
    }
    expect(invoice.total).toEqual(usd(credit + charge));
    expect(invoice.amountPaid).toEqual(usd(credit + charge));
  });

  it('adds an item when the change names none, and the amendment replays under its key', async () => {
    const addon = await fixture.billing.ensurePrice(
      { productCode: 'ADDON', productName: 'Add-on', unitAmount: usd(700), interval: 'month' },
      { idempotencyKey: fx.key() },
    );
    const key = fx.key();
    const change = { items: [{ priceId: addon.priceId, quantity: 3 }] };
    const amended = await fixture.billing.amendSubscription(created.id, change, {
      idempotencyKey: key,
    });
    const again = await fixture.billing.amendSubscription(created.id, change, {
      idempotencyKey: key,
    });
    expect(again.latestInvoiceId).toBe(amended.latestInvoiceId);
    expect(amended.items.map((i) => i.productCode)).toEqual(['SEATS', 'SUPPORT', 'ADDON']);
    const sub = await fixture.billing.getSubscription(created.id);
    expect(sub.items.filter((i) => i.productCode === 'ADDON')).toHaveLength(1);
  });

  it('lists the subscription’s invoices across pages, newest first, and after a time', async () => {
    const paged = fx.connector({ pageSize: 1 });
    const calls = paged.connection.health().calls;
    const all = await paged.port.listInvoices({ subscriptionId: created.id });
    // One request per page (three pages of one; the last says has_more: false) plus a price
    // read per distinct price; every one passes the connection.
    expect(paged.connection.health().calls - calls).toBeGreaterThanOrEqual(3);
    expect(all.map((i) => i.billingReason)).toEqual([
      'subscription_update',
      'subscription_update',
      'subscription_create',
    ]);
    const later = await fixture.billing.listInvoices({
      customerId: ids.customerId,
      createdAfter: new Date(t0 * 1000).toISOString(),
    });
    expect(later.map((i) => i.id)).toEqual(all.slice(0, 2).map((i) => i.id));
  });

  it('credit note with a refund: credit note, refund and payment map', async () => {
    const first = await fixture.billing.getInvoice(created.latestInvoiceId!);
    const seatsLine = first.lines.find((l) => l.productCode === 'SEATS')!;
    const note = await fx.sdk.creditNotes.create({
      invoice: first.id,
      lines: [{ type: 'invoice_line_item', invoice_line_item: seatsLine.id, quantity: 1 }],
      refund_amount: 1500,
      reason: 'order_change',
    });
    const mapped = await fixture.billing.getCreditNote(note.id);
    expect(mapped).toMatchObject({
      id: note.id,
      invoiceId: first.id,
      customerId: ids.customerId,
      status: 'issued',
      total: usd(1500),
      reason: 'order_change',
      lines: [{ amount: usd(1500), quantity: 1 }],
    });
    expect(mapped.number).toMatch(/-CN-01$/);

    const refundId = note.refunds[0]!.refund as string;
    const refund = await fixture.billing.getRefund(refundId);
    expect(refund).toMatchObject({
      id: refundId,
      paymentId: first.paymentId,
      invoiceId: first.id,
      amount: usd(1500),
      status: 'succeeded',
    });
    const payment = await fixture.billing.getPayment(refund.paymentId);
    expect(payment).toMatchObject({
      status: 'partially_refunded',
      amount: usd(12_900),
      amountRefunded: usd(1500),
      invoiceId: first.id,
    });
  });

  it('reportUsage adds a pending invoice item once that the next invoice bills', async () => {
    const seatsItem = created.items.find((i) => i.productCode === 'SEATS')!;
    const key = fx.key();
    const usage = {
      subscriptionItemId: seatsItem.id,
      quantity: 4,
      periodStart: new Date(t0 * 1000).toISOString(),
      periodEnd: new Date(t1 * 1000).toISOString(),
      description: 'Usage March: 4 units',
    };
    const first = await fixture.billing.reportUsage!(usage, { idempotencyKey: key });
    const again = await fixture.billing.reportUsage!(usage, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    const pending = await fx.sdk.invoiceItems.list({ customer: ids.customerId, pending: true });
    expect(pending.data.map((ii) => ii.id)).toEqual([first.id]);
    expect(pending.data[0]).toMatchObject({ amount: 6000, quantity: 4 });
    expect(pending.data[0]?.parent?.subscription_details?.subscription).toBe(created.id);

    await fx.advance(fixture.clock, t1 + 2 * 3600);
    const renewal = (await fixture.billing.listInvoices({ subscriptionId: created.id })).find(
      (i) => i.billingReason === 'subscription_cycle',
    )!;
    expect(renewal.status).toBe('paid');
    const line = renewal.lines.find((l) => l.description === 'Usage March: 4 units');
    expect(line).toMatchObject({
      amount: usd(6000),
      quantity: 4,
      proration: false,
      periodStart: usage.periodStart,
      periodEnd: usage.periodEnd,
    });
  });

  it('cancels at period end, then at once', async () => {
    const atEnd = await fixture.billing.cancelSubscription(
      created.id,
      { atPeriodEnd: true },
      { idempotencyKey: fx.key() },
    );
    expect([atEnd.status, atEnd.cancelAtPeriodEnd]).toEqual(['active', true]);
    const now = await fixture.billing.cancelSubscription(
      created.id,
      { atPeriodEnd: false },
      { idempotencyKey: fx.key() },
    );
    expect(now.status).toBe('canceled');
    expect(now.canceledAt).toBeDefined();
  });
});

describe('declined payments are outcomes, not errors', () => {
  it('a declined first payment leaves the subscription incomplete and the payment failed', async () => {
    const clock = await fx.clock(utcSeconds(2026, 5, 1));
    const billing = fx.connector({ testClock: clock }).port;
    const { customerId, seats } = await customerAndPrices(billing, 'cus_rs_declined');
    await billing.upsertCustomer(
      { revsyncId: 'cus_rs_declined', name: 'x', currency: 'USD' },
      { idempotencyKey: fx.key() },
    );
    const pm = await fx.sdk.paymentMethods.attach('pm_card_chargeDeclined', {
      customer: customerId,
    });
    await fx.sdk.customers.update(customerId, {
      invoice_settings: { default_payment_method: pm.id },
    });
    const sub = await billing.createSubscription(
      { customerId, items: [{ priceId: seats, quantity: 1 }], metadata: {} },
      { idempotencyKey: fx.key() },
    );
    expect(sub.status).toBe('incomplete');
    const invoice = await billing.getInvoice(sub.latestInvoiceId!);
    expect([invoice.status, invoice.amountDue.amount]).toEqual(['open', 1500]);
    expect(sub.latestInvoice).toEqual(invoice);
    const payment = await billing.getPayment(invoice.paymentId!);
    expect(payment.status).toBe('failed');
    expect(payment.failureReason).toMatch(/card_declined/);
  });
});

describe('declined amendment charges', () => {
  it('a declined proration charge leaves the subscription past_due with an open invoice', async () => {
    const t0 = utcSeconds(2026, 7, 1);
    const { clock, billing } = await onClock(t0);
    const { customerId, seats } = await customerAndPrices(billing, 'cus_rs_amend_declined');
    const sub = await billing.createSubscription(
      { customerId, items: [{ priceId: seats, quantity: 1 }], metadata: {} },
      { idempotencyKey: fx.key() },
    );
    expect(sub.status).toBe('active');
    const pm = await fx.sdk.paymentMethods.attach('pm_card_chargeDeclined', {
      customer: customerId,
    });
    await fx.sdk.customers.update(customerId, {
      invoice_settings: { default_payment_method: pm.id },
    });
    await fx.advance(clock, t0 + 5 * 86_400);
    const amended = await billing.amendSubscription(
      sub.id,
      { items: [{ itemId: sub.items[0]!.id, priceId: seats, quantity: 3 }] },
      { idempotencyKey: fx.key() },
    );
    expect(amended.status).toBe('past_due');
    const invoice = await billing.getInvoice(amended.latestInvoiceId!);
    expect([invoice.status, invoice.billingReason]).toEqual(['open', 'subscription_update']);
    expect(invoice.amountDue.amount).toBeGreaterThan(0);
    const payment = await billing.getPayment(invoice.paymentId!);
    expect(payment.status).toBe('failed');
  });
});

describe('reads of missing objects', () => {
  it('answer NotFoundError', async () => {
    const billing = fx.connector().port;
    for (const read of [
      () => billing.getInvoice('in_missing'),
      () => billing.getSubscription('sub_missing'),
      () => billing.getPayment('pi_missing'),
      () => billing.getRefund('re_missing'),
      () => billing.getCreditNote('cn_missing'),
    ]) {
      await expect(read()).rejects.toBeInstanceOf(NotFoundError);
    }
  });
});

describe('check', () => {
  it('passes with a valid key', async () => {
    const connector: Connector<BillingSystem> = fx.connector();
    await expect(connector.check()).resolves.toBeUndefined();
    expect(connector.system).toBe('stripe');
    expect(connector.pollers.map((p) => p.cursorName)).toEqual(['stripe:events']);
    expect(connector.webhooks).toBeUndefined();
  });
});
