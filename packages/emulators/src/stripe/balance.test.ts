import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from './index.ts';

let emu: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startStripeEmulator({ port: 0, rateLimit: 0 });
  stripe = new Stripe('sk_test_balance', {
    host: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
});
afterAll(() => emu.close());

async function admin(path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function charge(amount: number): Promise<Stripe.Charge> {
  const customer = await stripe.customers.create({ name: `c ${amount}` });
  const pi = await stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    customer: customer.id,
    payment_method: 'pm_card_visa',
    confirm: true,
  });
  return stripe.charges.retrieve(pi.latest_charge as string);
}

describe('balance transactions and payouts (through the stripe SDK)', () => {
  it('books each charge with its fee (2.9 % + 30), refunds negative, and pays out the net', async () => {
    const a = await charge(10_000);
    const b = await charge(5_000);
    const ta = await stripe.balanceTransactions.retrieve(a.balance_transaction as string);
    expect(ta).toMatchObject({
      object: 'balance_transaction',
      type: 'charge',
      amount: 10_000,
      fee: 320,
      net: 9_680,
      source: a.id,
      currency: 'usd',
      fee_details: [{ amount: 320, type: 'stripe_fee', currency: 'usd' }],
    });
    expect(ta.available_on).toBe(ta.created + 2 * 86_400);
    const refund = await stripe.refunds.create({ charge: b.id, amount: 2_000 });
    const tr = await stripe.balanceTransactions.retrieve(refund.balance_transaction as string, {
      expand: ['source'],
    });
    expect(tr).toMatchObject({ type: 'refund', amount: -2_000, fee: 0, net: -2_000 });
    expect((tr.source as Stripe.Refund).id).toBe(refund.id);
    await admin('/_emulator/balance_transactions', { amount: -100, currency: 'usd' });

    const charges = await stripe.balanceTransactions.list({ type: 'charge', limit: 10 });
    expect(charges.data.map((t) => t.source)).toEqual([b.id, a.id]);

    const { data } = (await admin('/_emulator/payouts', {})) as { data: Stripe.Payout[] };
    expect(data).toHaveLength(1);
    // 10,000 − 320 + 5,000 − 175 − 2,000 − 100
    const expected = 12_405;
    const payout = await stripe.payouts.retrieve(data[0]!.id);
    expect(payout).toMatchObject({
      object: 'payout',
      amount: expected,
      currency: 'usd',
      status: 'paid',
      automatic: true,
    });
    expect(payout.arrival_date).toBeGreaterThan(payout.created);
    const included = await stripe.balanceTransactions.list({ payout: payout.id, limit: 100 });
    expect(included.data.map((t) => t.type).sort()).toEqual([
      'adjustment',
      'charge',
      'charge',
      'payout',
      'refund',
    ]);
    expect(included.data.find((t) => t.type === 'payout')).toMatchObject({ amount: -expected });
    const list = await stripe.payouts.list({ status: 'paid' });
    expect(list.data.map((p) => p.id)).toEqual([payout.id]);
    const events = await stripe.events.list({ type: 'payout.paid' });
    expect(events.data.map((e) => (e.data.object as Stripe.Payout).id)).toEqual([payout.id]);

    // Nothing is paid out twice.
    expect(((await admin('/_emulator/payouts', {})) as { data: unknown[] }).data).toEqual([]);
    const err = await stripe.payouts.retrieve('po_missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });
});
