import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { money } from '../../model/money.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import {
  customerSearchQuery,
  priceLookupKey,
  productCodeFromId,
  productCodeOf,
  productIdFor,
  toBillingInvoice,
  toBillingPayment,
  toVendorEvent,
} from './mapper.ts';

describe('ids, lookup keys and queries', () => {
  it('encodes any product code into a valid product id and back', () => {
    for (const code of ['PLAT-001', 'seats', 'A B/C', 'with_underscore', 'Zürich €']) {
      const id = productIdFor(code);
      expect(id).toMatch(/^prod_revsync_[A-Za-z0-9_-]+$/);
      expect(productCodeFromId(id)).toBe(code);
    }
    expect(productIdFor('A_B')).not.toBe(productIdFor('A B'));
    expect(productCodeFromId('prod_Q1w2e3')).toBeUndefined();
    expect(productCodeOf('prod_Q1w2e3')).toBe('prod_Q1w2e3');
    expect(
      productCodeOf({
        id: 'prod_Q1w2e3',
        object: 'product',
        metadata: { revsync_product_code: 'LEGACY' },
      } as unknown as Stripe.Product),
    ).toBe('LEGACY');
  });

  it('builds stable price lookup keys within Stripe’s 200 characters', () => {
    const input = {
      productCode: 'PLAT',
      productName: 'Platform',
      unitAmount: money(4999, 'USD'),
      interval: 'month' as const,
    };
    expect(priceLookupKey(input)).toBe('revsync:PLAT:usd:4999:month');
    const long = priceLookupKey({ ...input, productCode: 'X'.repeat(300) });
    expect(long.length).toBeLessThanOrEqual(200);
    expect(long).toBe(priceLookupKey({ ...input, productCode: 'X'.repeat(300) }));
    expect(long).not.toBe(priceLookupKey({ ...input, productCode: 'Y'.repeat(300) }));
  });

  it('escapes quotes in customer search queries', () => {
    expect(customerSearchQuery("o'brien")).toBe("metadata['revsync_customer_id']:'o\\'brien'");
  });
});

describe('toVendorEvent', () => {
  const event = {
    id: 'evt_1',
    object: 'event',
    type: 'invoice.finalized',
    created: 1_770_000_000,
    data: { object: { id: 'in_1', object: 'invoice' } },
  };

  it('maps a Stripe event to an envelope', () => {
    expect(toVendorEvent(event)).toEqual({
      specversion: '1.0',
      id: 'evt_1',
      source: 'stripe',
      type: 'stripe.invoice.finalized',
      subject: 'in_1',
      time: '2026-02-02T02:40:00.000Z',
      correlationid: 'evt_1',
      datacontenttype: 'application/json',
      data: { id: 'in_1', object: 'invoice' },
    });
  });

  it('refuses what is not a Stripe event', () => {
    expect(() => toVendorEvent({ ...event, id: 'x' })).toThrow(ValidationError);
    expect(() => toVendorEvent({ hello: 'world' })).toThrow(ValidationError);
  });
});

describe('toBillingInvoice', () => {
  it('nets inclusive tax out of line amounts so lines + tax = total', () => {
    const invoice = {
      id: 'in_tax',
      currency: 'eur',
      status: 'open',
      customer: 'cus_1',
      number: 'ABC-0001',
      parent: null,
      metadata: { revsync_customer_id: 'cus_rs_1' },
      billing_reason: 'manual',
      subtotal: 12_000,
      subtotal_excluding_tax: 10_000,
      total: 12_000,
      total_taxes: [{ amount: 2_000, tax_behavior: 'inclusive' }],
      amount_paid: 0,
      amount_remaining: 12_000,
      created: 1_770_000_000,
      status_transitions: { finalized_at: 1_770_000_100, paid_at: null },
      period_start: 1_770_000_000,
      period_end: 1_770_000_000,
    } as unknown as Stripe.Invoice;
    const line = {
      id: 'il_1',
      amount: 12_000,
      description: 'Thing',
      quantity: 1,
      taxes: [{ amount: 2_000, tax_behavior: 'inclusive' }],
      period: { start: 1_770_000_000, end: 1_770_000_000 },
      pricing: { price_details: { price: 'price_1', product: 'prod_revsync_THING' } },
      parent: null,
    } as unknown as Stripe.InvoiceLineItem;
    const mapped = toBillingInvoice(invoice, [line], {
      priceUnitAmounts: new Map([['price_1', 12_000]]),
      productCodes: new Map(),
    });
    expect(mapped.lines[0]).toMatchObject({
      amount: money(10_000, 'EUR'),
      tax: money(2_000, 'EUR'),
      unitAmount: money(12_000, 'EUR'),
      productCode: 'THING',
      proration: false,
    });
    expect([mapped.subtotal, mapped.tax, mapped.total]).toEqual([
      money(10_000, 'EUR'),
      money(2_000, 'EUR'),
      money(12_000, 'EUR'),
    ]);
    expect(mapped.revsyncId).toBe('cus_rs_1');
    expect(mapped.paymentId).toBeUndefined();
  });
});

describe('toBillingPayment', () => {
  const pi = {
    id: 'pi_1',
    currency: 'usd',
    customer: 'cus_1',
    amount: 1000,
    amount_received: 1000,
    created: 1_770_000_000,
    status: 'succeeded',
    last_payment_error: null,
    cancellation_reason: null,
  } as unknown as Stripe.PaymentIntent;

  it('derives refunded states from the charge', () => {
    expect(toBillingPayment(pi).status).toBe('succeeded');
    expect(toBillingPayment(pi, { amountRefunded: 400 }).status).toBe('partially_refunded');
    expect(toBillingPayment(pi, { amountRefunded: 1000 }).status).toBe('refunded');
  });

  it('reports pending and canceled payments', () => {
    expect(toBillingPayment({ ...pi, status: 'processing' } as Stripe.PaymentIntent).status).toBe(
      'pending',
    );
    const canceled = toBillingPayment({
      ...pi,
      status: 'canceled',
      cancellation_reason: 'void_invoice',
    } as Stripe.PaymentIntent);
    expect([canceled.status, canceled.failureReason]).toEqual([
      'failed',
      'canceled (void_invoice)',
    ]);
  });
});
