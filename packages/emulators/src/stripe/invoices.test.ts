import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from './index.ts';

let emu: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startStripeEmulator({ port: 0, rateLimit: 0 });
  stripe = new Stripe('sk_test_invoices', {
    host: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
});
afterAll(() => emu.close());

async function payingCustomer(pm = 'pm_card_visa') {
  return stripe.customers.create({
    email: 'ap@example.com',
    payment_method: pm,
    invoice_settings: { default_payment_method: pm },
  });
}

const typesFor = (id: string): string[] =>
  emu
    .events()
    .filter((e) => (e.data.object as { id?: string }).id === id)
    .map((e) => e.type);

describe('one-off invoices', () => {
  it('draft → finalize → pay, with pending invoice items picked up and a number at finalization', async () => {
    const customer = await payingCustomer();
    const product = await stripe.products.create({ name: 'Setup fee' });
    const fee = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 15000,
    });
    await stripe.invoiceItems.create({ customer: customer.id, pricing: { price: fee.id } });
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 2500,
      currency: 'usd',
      description: 'Training',
    });

    const draft = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
      metadata: { erp: 'SO-9' },
    });
    expect(draft.status).toBe('draft');
    expect(draft.number).toBeNull();
    expect(draft.billing_reason).toBe('manual');
    expect(draft.lines.data.map((l) => l.amount).sort()).toEqual([15000, 2500].sort());
    expect(draft.lines.data.every((l) => l.parent?.type === 'invoice_item_details')).toBe(true);
    expect(draft.total).toBe(17500);

    const open = await stripe.invoices.finalizeInvoice(draft.id);
    expect(open.status).toBe('open');
    expect(open.number).toMatch(/-0001$/);
    expect(open.amount_due).toBe(17500);
    expect(open.amount_remaining).toBe(17500);

    const paid = await stripe.invoices.pay(open.id);
    expect(paid.status).toBe('paid');
    expect(paid.amount_paid).toBe(17500);
    expect(paid.amount_remaining).toBe(0);
    expect(paid.status_transitions.paid_at).not.toBeNull();
    expect(typesFor(open.id)).toEqual([
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
    ]);
    const pis = await stripe.paymentIntents.list({ customer: customer.id });
    expect(pis.data[0]?.status).toBe('succeeded');
    expect(pis.data[0]?.amount).toBe(17500);
    expect(pis.data[0]?.latest_charge).toMatch(/^ch_/);
    expect(
      emu
        .events('payment_intent.succeeded')
        .some((e) => (e.data.object as Stripe.PaymentIntent).id === pis.data[0]?.id),
    ).toBe(true);

    const listed = await stripe.invoices.list({ customer: customer.id, status: 'paid' });
    expect(listed.data.map((i) => i.id)).toEqual([paid.id]);
    expect(
      (await stripe.invoices.list({ customer: customer.id, status: 'open' })).data,
    ).toHaveLength(0);
  });

  it('voids and marks uncollectible; a paid invoice cannot be voided', async () => {
    const customer = await payingCustomer();
    const mk = async () => {
      await stripe.invoiceItems.create({ customer: customer.id, amount: 1000, currency: 'usd' });
      const inv = await stripe.invoices.create({
        customer: customer.id,
        pending_invoice_items_behavior: 'include',
      });
      return stripe.invoices.finalizeInvoice(inv.id);
    };
    const a = await mk();
    const voided = await stripe.invoices.voidInvoice(a.id);
    expect(voided.status).toBe('void');
    expect(typesFor(a.id)).toContain('invoice.voided');

    const b = await mk();
    const bad = await stripe.invoices.markUncollectible(b.id);
    expect(bad.status).toBe('uncollectible');
    expect(typesFor(b.id)).toContain('invoice.marked_uncollectible');
    const recovered = await stripe.invoices.pay(b.id);
    expect(recovered.status).toBe('paid');
    await expect(stripe.invoices.voidInvoice(b.id)).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
    await expect(stripe.invoices.pay(b.id)).rejects.toMatchObject({ code: 'invoice_already_paid' });
  });

  it('embeds ten lines and pages the rest through /lines', async () => {
    const customer = await payingCustomer();
    for (let i = 0; i < 12; i++) {
      await stripe.invoiceItems.create({
        customer: customer.id,
        amount: 100 + i,
        currency: 'usd',
        description: `L${i}`,
      });
    }
    const inv = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
    });
    expect(inv.lines.data).toHaveLength(10);
    expect(inv.lines.has_more).toBe(true);
    const lines = await stripe.invoices
      .listLineItems(inv.id, { limit: 5 })
      .autoPagingToArray({ limit: 100 });
    expect(lines.map((l) => l.description)).toEqual(Array.from({ length: 12 }, (_, i) => `L${i}`));
    expect(inv.subtotal).toBe(12 * 100 + 66);
  });

  it('a send_invoice invoice gets a due date and is not charged', async () => {
    const customer = await payingCustomer();
    await stripe.invoiceItems.create({ customer: customer.id, amount: 5000, currency: 'usd' });
    const inv = await stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 30,
      pending_invoice_items_behavior: 'include',
    });
    const open = await stripe.invoices.finalizeInvoice(inv.id);
    expect(open.due_date).toBe(open.status_transitions.finalized_at! + 30 * 86_400);
    expect(open.attempt_count).toBe(0);
    const outOfBand = await stripe.invoices.pay(open.id, { paid_out_of_band: true });
    expect(outOfBand.status).toBe('paid');
  });
});

describe('payments, refunds and credit notes', () => {
  it('payment intents: confirm succeeds with pm_card_visa and declines pm_card_chargeDeclined', async () => {
    const ok = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    expect(ok.status).toBe('requires_payment_method');
    const confirmed = await stripe.paymentIntents.confirm(ok.id, {
      payment_method: 'pm_card_visa',
    });
    expect(confirmed.status).toBe('succeeded');
    const charge = await stripe.charges.retrieve(confirmed.latest_charge as string);
    expect(charge.paid).toBe(true);
    expect(charge.payment_method_details?.card?.last4).toBe('4242');

    const declined = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    const err = await stripe.paymentIntents
      .confirm(declined.id, { payment_method: 'pm_card_chargeDeclined' })
      .catch((e: unknown) => e as Stripe.errors.StripeCardError);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect((err as Stripe.errors.StripeCardError).type).toBe('StripeCardError');
    expect((err as Stripe.errors.StripeCardError).decline_code).toBe('generic_decline');
    expect((err as Stripe.errors.StripeCardError).payment_intent?.status).toBe(
      'requires_payment_method',
    );
    const failedCharge = await stripe.charges.retrieve(
      (err as Stripe.errors.StripeCardError).charge!,
    );
    expect(failedCharge.status).toBe('failed');
    expect(failedCharge.outcome?.reason).toBe('generic_decline');
  });

  it('refunds partially then fully (charge.refunded, refund.created) and refuses over-refunds', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const partial = await stripe.refunds.create({ payment_intent: pi.id, amount: 1200 });
    expect(partial.status).toBe('succeeded');
    expect(partial.charge).toBe(pi.latest_charge);
    const tooMuch = await stripe.refunds
      .create({ payment_intent: pi.id, amount: 4000 })
      .catch((e: unknown) => e);
    expect(tooMuch).toMatchObject({ code: 'amount_too_large', statusCode: 400 });
    const rest = await stripe.refunds.create({ charge: pi.latest_charge as string });
    expect(rest.amount).toBe(3800);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge.amount_refunded).toBe(5000);
    expect(charge.refunded).toBe(true);
    const again = await stripe.refunds.create({ charge: charge.id }).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'charge_already_refunded' });
    const refunded = emu
      .events('charge.refunded')
      .filter((e) => (e.data.object as Stripe.Charge).id === charge.id);
    expect(refunded).toHaveLength(2);
    expect(refunded[1]?.data.previous_attributes).toEqual({
      amount_refunded: 1200,
      refunded: false,
    });
    expect(emu.events('refund.created').length).toBeGreaterThanOrEqual(2);
    expect((await stripe.refunds.list({ payment_intent: pi.id })).data).toHaveLength(2);
  });

  it('credit notes: a refund on a paid invoice, a balance credit, and a pre-payment note on an open invoice', async () => {
    const customer = await payingCustomer();
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 10000,
      currency: 'usd',
      description: 'Consulting',
    });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
    });
    const paid = await stripe.invoices.pay(draft.id);
    const lineId = paid.lines.data[0]!.id;

    const refundNote = await stripe.creditNotes.create({
      invoice: paid.id,
      lines: [{ type: 'invoice_line_item', invoice_line_item: lineId, amount: 3000 }],
      refund_amount: 3000,
      reason: 'product_unsatisfactory',
    });
    expect(refundNote.type).toBe('post_payment');
    expect(refundNote.total).toBe(3000);
    expect(refundNote.number).toBe(`${paid.number}-CN-01`);
    const refundId = refundNote.refunds[0]?.refund as string;
    const refund = await stripe.refunds.retrieve(refundId);
    expect(refund.amount).toBe(3000);
    expect(typesFor(refundNote.id)).toEqual(['credit_note.created']);

    const creditNote = await stripe.creditNotes.create({ invoice: paid.id, amount: 2000 });
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(-2000);
    const afterPaid = await stripe.invoices.retrieve(paid.id);
    expect(afterPaid.post_payment_credit_notes_amount).toBe(5000);
    const tooMuch = await stripe.creditNotes
      .create({ invoice: paid.id, amount: 6000 })
      .catch((e: unknown) => e);
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);

    const voided = await stripe.creditNotes.voidCreditNote(creditNote.id);
    expect(voided.status).toBe('void');
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(0);
    expect(typesFor(creditNote.id)).toEqual(['credit_note.created', 'credit_note.voided']);

    await stripe.invoiceItems.create({ customer: customer.id, amount: 4000, currency: 'usd' });
    const openDraft = await stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 14,
      pending_invoice_items_behavior: 'include',
    });
    const open = await stripe.invoices.finalizeInvoice(openDraft.id);
    const pre = await stripe.creditNotes.create({ invoice: open.id, amount: 1500 });
    expect(pre.type).toBe('pre_payment');
    const reduced = await stripe.invoices.retrieve(open.id);
    expect(reduced.amount_remaining).toBe(2500);
    expect(reduced.pre_payment_credit_notes_amount).toBe(1500);
    const lines = await stripe.creditNotes.listLineItems(pre.id);
    expect(lines.data[0]?.amount).toBe(1500);
    const listed = await stripe.creditNotes.list({ invoice: paid.id });
    expect(listed.data.map((c) => c.id)).toEqual([creditNote.id, refundNote.id]);
  });

  it('a credit balance from a downgrade lowers the next invoice', async () => {
    const customer = await payingCustomer();
    await stripe.customers.update(customer.id, { balance: -700 });
    await stripe.invoiceItems.create({ customer: customer.id, amount: 1000, currency: 'usd' });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
    });
    const inv = await stripe.invoices.finalizeInvoice(draft.id);
    expect(inv.starting_balance).toBe(-700);
    expect(inv.amount_due).toBe(300);
    expect(inv.ending_balance).toBe(0);
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(0);
  });
});
