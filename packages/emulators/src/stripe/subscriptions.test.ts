import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from './index.ts';

let emu: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startStripeEmulator({ port: 0, rateLimit: 0 });
  stripe = new Stripe('sk_test_subscriptions', {
    host: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
});
afterAll(() => emu.close());

const utc = (...args: [number, number, number, number?, number?, number?]): number =>
  Date.UTC(...args) / 1000;

/** Advances a test clock and waits, like a client would, until it is ready. */
async function advance(clockId: string, frozenTime: number): Promise<Stripe.TestHelpers.TestClock> {
  const started = await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: frozenTime });
  expect(started.status).toBe('advancing');
  for (;;) {
    const clock = await stripe.testHelpers.testClocks.retrieve(clockId);
    if (clock.status === 'ready') return clock;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function customerOnClock(frozenTime: number, paymentMethod = 'pm_card_visa') {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozenTime });
  const customer = await stripe.customers.create({
    email: 'billing@example.com',
    name: 'Example Co',
    test_clock: clock.id,
    payment_method: paymentMethod,
    invoice_settings: { default_payment_method: paymentMethod },
  });
  return { clock, customer };
}

async function monthlyPrice(unitAmount: number, name = 'Plan') {
  const product = await stripe.products.create({ name });
  return stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: unitAmount,
    recurring: { interval: 'month' },
  });
}

function subscriptionIdOf(inv: Stripe.Invoice): string | undefined {
  const s = inv.parent?.subscription_details?.subscription;
  return typeof s === 'string' ? s : s?.id;
}

describe('subscription lifecycle (real stripe SDK)', () => {
  it('customer → product → price → subscription, prorations, renewal, cancel at period end', async () => {
    const t0 = utc(2026, 0, 15);
    const t1 = utc(2026, 1, 15);
    const t2 = utc(2026, 2, 15);
    const { clock, customer } = await customerOnClock(t0);
    expect(customer.test_clock).toBe(clock.id);
    expect(customer.invoice_settings.default_payment_method).toMatch(/^pm_/);
    const price = await monthlyPrice(2000, 'Team');

    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity: 2 }],
      metadata: { crm_id: 'OPP-1' },
      expand: ['latest_invoice'],
    });
    expect(sub.status).toBe('active');
    expect(sub.test_clock).toBe(clock.id);
    const item = sub.items.data[0] as Stripe.SubscriptionItem;
    expect(item.current_period_start).toBe(t0);
    expect(item.current_period_end).toBe(t1);
    const first = sub.latest_invoice as Stripe.Invoice;
    expect(first.status).toBe('paid');
    expect(first.billing_reason).toBe('subscription_create');
    expect(first.amount_paid).toBe(4000);
    expect(first.number).toMatch(/^[A-Z0-9]+-0001$/);
    expect(subscriptionIdOf(first)).toBe(sub.id);
    const firstLine = first.lines.data[0] as Stripe.InvoiceLineItem;
    expect(firstLine.parent?.subscription_item_details?.proration).toBe(false);
    expect(firstLine.period).toEqual({ start: t0, end: t1 });
    expect(firstLine.pricing?.price_details?.price).toBe(price.id);

    // Ten days in, the quantity goes to 3: prorations wait as pending invoice items.
    const t = utc(2026, 0, 25);
    await advance(clock.id, t);
    await stripe.subscriptions.update(sub.id, { items: [{ id: item.id, quantity: 3 }] });
    const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    expect(pending.data).toHaveLength(2);
    const period = t1 - t0;
    const remaining = t1 - t;
    const amounts = pending.data.map((ii) => ii.amount).sort((a, b) => a - b);
    expect(amounts).toEqual([
      -Math.round((4000 * remaining) / period),
      Math.round((6000 * remaining) / period),
    ]);
    expect(pending.data.every((ii) => ii.proration)).toBe(true);

    // At the period end the renewal invoice bills the new period and the prorations.
    await advance(clock.id, t1 + 7200);
    const renewed = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    const renewal = renewed.latest_invoice as Stripe.Invoice;
    expect(renewal.billing_reason).toBe('subscription_cycle');
    expect(renewal.status).toBe('paid');
    expect(renewal.lines.data).toHaveLength(3);
    expect(renewal.total).toBe(6000 + amounts[0]! + amounts[1]!);
    expect(renewed.items.data[0]?.current_period_start).toBe(t1);
    expect(renewed.items.data[0]?.current_period_end).toBe(t2);
    expect(
      (await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data,
    ).toHaveLength(0);

    // Cancel at period end: still active, then canceled when the period ends.
    const canceling = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(canceling.status).toBe('active');
    expect(canceling.cancel_at).toBe(t2);
    await advance(clock.id, t2 + 60);
    const ended = await stripe.subscriptions.retrieve(sub.id);
    expect(ended.status).toBe('canceled');
    expect(ended.ended_at).toBe(t2);
    const deleted = await stripe.events.list({ type: 'customer.subscription.deleted' });
    expect(deleted.data.map((e) => (e.data.object as Stripe.Subscription).id)).toContain(sub.id);
    const invoices = await stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data).toHaveLength(2);
  });

  it('a mid-cycle upgrade with always_invoice bills Stripe’s proration to the cent', async () => {
    const start = utc(2026, 2, 1);
    const end = utc(2026, 3, 1);
    const { clock, customer } = await customerOnClock(start);
    const basic = await monthlyPrice(1999, 'Basic');
    const pro = await monthlyPrice(4999, 'Pro');
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.id, quantity: 3 }],
    });
    const at = start + 9 * 86_400 + 7 * 3600 + 13 * 60 + 21;
    await advance(clock.id, at);

    const upgraded = await stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: pro.id }],
      proration_behavior: 'always_invoice',
      expand: ['latest_invoice'],
    });
    const inv = upgraded.latest_invoice as Stripe.Invoice;
    expect(inv.billing_reason).toBe('subscription_update');
    expect(inv.status).toBe('paid');

    // Stripe's method: unused time on the old price is credited, remaining time on the new price
    // is charged, each as amount × remaining / period by seconds, rounded to the cent.
    const fraction = (end - at) / (end - start);
    const expectedCredit = -Math.round(1999 * 3 * fraction);
    const expectedCharge = Math.round(4999 * 3 * fraction);
    const credit = inv.lines.data.find((l) => l.amount < 0) as Stripe.InvoiceLineItem;
    const charge = inv.lines.data.find((l) => l.amount > 0) as Stripe.InvoiceLineItem;
    expect(inv.lines.data).toHaveLength(2);
    expect(credit.amount).toBe(expectedCredit);
    expect(charge.amount).toBe(expectedCharge);
    for (const line of [credit, charge]) {
      expect(line.period).toEqual({ start: at, end });
      expect(line.quantity).toBe(3);
      expect(line.parent?.type).toBe('subscription_item_details');
      expect(line.parent?.subscription_item_details?.proration).toBe(true);
      expect(line.parent?.subscription_item_details?.invoice_item).toMatch(/^ii_/);
    }
    expect(credit.pricing?.price_details?.price).toBe(basic.id);
    expect(charge.pricing?.price_details?.price).toBe(pro.id);
    expect(credit.description).toMatch(/^Unused time on 3 × Basic after 10 Mar 2026$/);
    expect(charge.description).toMatch(/^Remaining time on 3 × Pro after 10 Mar 2026$/);
    expect(inv.subtotal).toBe(expectedCredit + expectedCharge);
    expect(inv.total).toBe(expectedCredit + expectedCharge);
    expect(inv.amount_paid).toBe(expectedCredit + expectedCharge);
    // The period does not move with billing_cycle_anchor unchanged.
    expect(upgraded.items.data[0]?.current_period_end).toBe(end);
  });

  it('advancing a test clock past the period end produces the renewal invoice', async () => {
    const t0 = utc(2026, 4, 31, 12);
    const { clock, customer } = await customerOnClock(t0);
    const price = await monthlyPrice(1500);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    // Anchored on the 31st: June has 30 days.
    const t1 = utc(2026, 5, 30, 12);
    const t2 = utc(2026, 6, 31, 12);
    expect(sub.items.data[0]?.current_period_end).toBe(t1);

    // At the period end the renewal is a draft that finalizes about an hour later.
    await advance(clock.id, t1 + 60);
    const drafts = await stripe.invoices.list({ subscription: sub.id, status: 'draft' });
    expect(drafts.data).toHaveLength(1);
    expect(drafts.data[0]?.automatically_finalizes_at).toBe(t1 + 3600);

    await advance(clock.id, t1 + 2 * 3600);
    const renewals = await stripe.invoices.list({ subscription: sub.id });
    const renewal = renewals.data.find(
      (i) => i.billing_reason === 'subscription_cycle',
    ) as Stripe.Invoice;
    expect(renewal.status).toBe('paid');
    expect(renewal.created).toBe(t1);
    expect(renewal.period_start).toBe(t0);
    expect(renewal.period_end).toBe(t1);
    expect(renewal.lines.data[0]?.period).toEqual({ start: t1, end: t2 });
    expect(renewal.test_clock).toBe(clock.id);
    expect(renewal.status_transitions.finalized_at).toBe(t1 + 3600);
    const current = await stripe.subscriptions.retrieve(sub.id);
    expect(current.items.data[0]?.current_period_start).toBe(t1);
    expect(current.items.data[0]?.current_period_end).toBe(t2);

    const types = emu
      .events()
      .filter((e) => (e.data.object as { id?: string }).id === renewal.id)
      .map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['invoice.created', 'invoice.finalized', 'invoice.paid']),
    );
    const created = emu
      .events('invoice.created')
      .find((e) => (e.data.object as { id: string }).id === renewal.id);
    expect(created?.request).toEqual({ id: null, idempotency_key: null });
    expect((created?.data.object as Stripe.Invoice).status).toBe('draft');
  });

  it('a declined renewal makes the subscription past_due; paying with pm_card_visa recovers it', async () => {
    const t0 = utc(2026, 6, 1);
    const { clock, customer } = await customerOnClock(t0);
    const price = await monthlyPrice(3000);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    expect(sub.status).toBe('active');

    const declined = await stripe.paymentMethods.attach('pm_card_chargeDeclined', {
      customer: customer.id,
    });
    await stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: declined.id },
    });
    await advance(clock.id, utc(2026, 7, 1, 2));

    const pastDue = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(pastDue.status).toBe('past_due');
    const inv = pastDue.latest_invoice as Stripe.Invoice;
    expect(inv.status).toBe('open');
    expect(inv.attempt_count).toBe(1);
    const failed = await stripe.events.list({ type: 'invoice.payment_failed' });
    expect(failed.data.map((e) => (e.data.object as Stripe.Invoice).id)).toContain(inv.id);

    // Retrying with the same card is a card error…
    const err = await stripe.invoices.pay(inv.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect((err as Stripe.errors.StripeCardError).decline_code).toBe('generic_decline');
    expect((err as Stripe.errors.StripeCardError).code).toBe('card_declined');
    expect((err as Stripe.errors.StripeCardError).statusCode).toBe(402);

    // …a good card pays it and the subscription is active again.
    const paid = await stripe.invoices.pay(inv.id, { payment_method: 'pm_card_visa' });
    expect(paid.status).toBe('paid');
    expect(paid.amount_paid).toBe(3000);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });

  it('a first payment that fails leaves the subscription incomplete (allow_incomplete)', async () => {
    const { customer } = await customerOnClock(utc(2026, 8, 1), 'pm_card_chargeDeclined');
    const price = await monthlyPrice(900);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      // This API version has no invoice.payment_intent: payments live in invoice.payments.
      expand: ['latest_invoice.payments'],
    });
    expect(sub.status).toBe('incomplete');
    const inv = sub.latest_invoice as Stripe.Invoice;
    expect(inv.status).toBe('open');
    const piId = inv.payments?.data[0]?.payment.payment_intent as string;
    const pi = await stripe.paymentIntents.retrieve(piId);
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error?.decline_code).toBe('generic_decline');

    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        payment_behavior: 'error_if_incomplete',
      }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeCardError);
  });

  it('answers a create with its first invoice expanded as it stands at creation; a replay, the saved answer', async () => {
    const { customer } = await customerOnClock(utc(2026, 9, 1));
    const price = await monthlyPrice(1200, 'Expanded');
    const params: Stripe.SubscriptionCreateParams = {
      customer: customer.id,
      items: [{ price: price.id, quantity: 2 }],
      payment_behavior: 'allow_incomplete',
      expand: ['items.data.price.product', 'latest_invoice.payments', 'latest_invoice.customer'],
    };
    const key = `expand-latest-invoice-${customer.id}`;
    const sub = await stripe.subscriptions.create(params, { idempotencyKey: key });
    expect((sub.items.data[0]?.price.product as Stripe.Product).name).toBe('Expanded');
    const inv = sub.latest_invoice as Stripe.Invoice;
    // charge_automatically: finalized and paid within the create.
    expect([inv.status, inv.amount_paid, inv.amount_due]).toEqual(['paid', 2400, 2400]);
    expect((inv.customer as Stripe.Customer).name).toBe('Example Co');
    expect(inv.payments?.data.map((p) => p.status)).toEqual(['paid']);
    // The same invoice a read right after the create answers.
    const read = await stripe.invoices.retrieve(inv.id, { expand: ['payments', 'customer'] });
    expect(JSON.parse(JSON.stringify(inv))).toEqual(JSON.parse(JSON.stringify(read)));

    // A retried create (same key and parameters) is answered from the saved response, even
    // though the customer has changed since.
    await stripe.customers.update(customer.id, { name: 'Renamed Co' });
    const replayed = await stripe.subscriptions.create(params, { idempotencyKey: key });
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(replayed.id).toBe(sub.id);
    expect(((replayed.latest_invoice as Stripe.Invoice).customer as Stripe.Customer).name).toBe(
      'Example Co',
    );

    // Stripe expands at most four levels.
    const tooDeep = await stripe.subscriptions
      .retrieve(sub.id, { expand: ['latest_invoice.payments.data.payment.payment_intent'] })
      .catch((e: unknown) => e);
    expect(tooDeep).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((tooDeep as Error).message).toMatch(/more than 4 levels/);
  });

  it('applies exclusive tax rates per line, rounded to the cent', async () => {
    const { customer } = await customerOnClock(utc(2026, 9, 1));
    const price = await monthlyPrice(1234);
    const vat = await stripe.taxRates.create({
      display_name: 'VAT',
      percentage: 8.25,
      inclusive: false,
    });
    const state = await stripe.taxRates.create({
      display_name: 'State',
      percentage: 2.5,
      inclusive: false,
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity: 3 }],
      default_tax_rates: [vat.id, state.id],
      expand: ['latest_invoice'],
    });
    const inv = sub.latest_invoice as Stripe.Invoice;
    const vatAmount = Math.round(3702 * 0.0825);
    const stateAmount = Math.round(3702 * 0.025);
    expect(inv.subtotal).toBe(3702);
    expect(inv.total).toBe(3702 + vatAmount + stateAmount);
    expect(inv.amount_paid).toBe(inv.total);
    expect(inv.total_taxes?.map((t) => [t.tax_rate_details?.tax_rate, t.amount])).toEqual([
      [vat.id, vatAmount],
      [state.id, stateAmount],
    ]);
    expect(inv.lines.data[0]?.taxes?.[0]?.taxable_amount).toBe(3702);
    expect(inv.total_excluding_tax).toBe(3702);
  });

  it('cancels at once with DELETE and lists/updates subscription items', async () => {
    const { customer } = await customerOnClock(utc(2026, 10, 1));
    const price = await monthlyPrice(500);
    const extra = await monthlyPrice(700, 'Add-on');
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const added = await stripe.subscriptionItems.create({
      subscription: sub.id,
      price: extra.id,
      quantity: 2,
      proration_behavior: 'none',
    });
    expect(added.subscription).toBe(sub.id);
    const items = await stripe.subscriptionItems.list({ subscription: sub.id });
    expect(items.data.map((i) => i.price.id).sort()).toEqual([price.id, extra.id].sort());
    const updated = await stripe.subscriptionItems.update(added.id, {
      quantity: 5,
      proration_behavior: 'none',
    });
    expect(updated.quantity).toBe(5);

    const canceled = await stripe.subscriptions.cancel(sub.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.cancellation_details?.reason).toBe('cancellation_requested');
    const err = await stripe.subscriptions
      .update(sub.id, { items: [{ id: added.id, quantity: 1 }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    const active = await stripe.subscriptions.list({ customer: customer.id });
    expect(active.data).toHaveLength(0);
    const all = await stripe.subscriptions.list({ customer: customer.id, status: 'all' });
    expect(all.data.map((s) => s.id)).toEqual([sub.id]);
  });

  it('trials bill nothing up front, then charge when the trial ends', async () => {
    const t0 = utc(2026, 1, 1);
    const { clock, customer } = await customerOnClock(t0);
    const price = await monthlyPrice(2500);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 14,
      expand: ['latest_invoice'],
    });
    expect(sub.status).toBe('trialing');
    expect(sub.trial_end).toBe(t0 + 14 * 86_400);
    expect((sub.latest_invoice as Stripe.Invoice).total).toBe(0);
    expect((sub.latest_invoice as Stripe.Invoice).status).toBe('paid');
    await advance(clock.id, t0 + 14 * 86_400 + 7200);
    const after = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(after.status).toBe('active');
    expect((after.latest_invoice as Stripe.Invoice).amount_paid).toBe(2500);
    expect(after.items.data[0]?.current_period_start).toBe(t0 + 14 * 86_400);
  });

  it('billing_cycle_anchor=now restarts the period and invoices it at once with a credit', async () => {
    const t0 = utc(2026, 3, 1);
    const { clock, customer } = await customerOnClock(t0);
    const monthly = await monthlyPrice(3000);
    const product = await stripe.products.create({ name: 'Annual' });
    const yearly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 30000,
      recurring: { interval: 'year' },
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
    });
    const at = utc(2026, 3, 16);
    await advance(clock.id, at);
    // Changing the interval resets the anchor, as at Stripe.
    const switched = await stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: yearly.id }],
      expand: ['latest_invoice'],
    });
    expect(switched.billing_cycle_anchor).toBe(at);
    expect(switched.items.data[0]?.current_period_end).toBe(utc(2027, 3, 16));
    const inv = switched.latest_invoice as Stripe.Invoice;
    const credit = -Math.round((3000 * (utc(2026, 4, 1) - at)) / (utc(2026, 4, 1) - t0));
    expect(inv.lines.data.map((l) => l.amount).sort((a, b) => a - b)).toEqual([credit, 30000]);
    expect(inv.status).toBe('paid');
    expect(inv.amount_paid).toBe(30000 + credit);
  });

  it('bills renewals on the emulator clock for customers without a test clock', async () => {
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const price = await stripe.prices.create({
      product_data: { name: 'Daily' },
      currency: 'eur',
      unit_amount: 100,
      recurring: { interval: 'day' },
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const end = sub.items.data[0]!.current_period_end;
    // The kit's admin route moves the clock; the next API request bills what fell due.
    const res = await fetch(`${emu.url}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: end - emu.clock.nowSeconds() + 2 * 3600 }),
    });
    expect(res.status).toBe(200);
    const invoices = await stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data.map((i) => [i.billing_reason, i.status])).toEqual([
      ['subscription_cycle', 'paid'],
      ['subscription_create', 'paid'],
    ]);
  });
});
