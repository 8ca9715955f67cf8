import { buildStraightLineSchedule } from '../revenue.ts';
import type { EntityOf } from './index.ts';
import type { EntityType } from './entity-type.ts';

const id = (prefix: string, n: number): string =>
  `${prefix}_01JQ8Z5X7B${String(n).padStart(16, '0')}`;

const customerId = id('cus', 1);
const productId = id('prd', 1);
const priceId = id('prc', 1);
const subscriptionId = id('sub', 1);
const itemId = id('sbi', 1);
const invoiceId = id('inv', 1);
const lineId = id('inl', 1);
const usd = (amount: number) => ({ amount, currency: 'USD' as const });

/**
 * One valid example of every canonical entity, telling one story: Acme buys 10 seats of Pro at
 * $20/month, is invoiced $200 + 8.25 % tax, pays, and gets one seat credited. Handy for tests,
 * docs and demos; each passes its schema.
 */
export const exampleEntities: { readonly [K in EntityType]: EntityOf<K> } = {
  customer: {
    schemaVersion: 1,
    id: customerId,
    name: 'Acme',
    legalName: 'Acme Corporation',
    email: 'billing@acme.com',
    domain: 'acme.com',
    taxId: { type: 'us_ein', value: '12-3456789' },
    billingAddress: {
      line1: '1 Market St',
      city: 'San Francisco',
      region: 'CA',
      postalCode: '94105',
      country: 'US',
    },
    currency: 'USD',
    region: 'NA',
    subsidiary: 'Revsync Inc. (US)',
    externalRefs: [
      { system: 'acme-crm', objectType: 'account', id: '001Hs00003abcdEIAQ' },
      { system: 'acme-billing', objectType: 'customer', id: 'cus_PqR9xY2zAbCdEf' },
    ],
  },
  contact: {
    schemaVersion: 1,
    id: id('ctc', 1),
    customerId,
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@acme.com',
    roles: ['billing'],
    externalRefs: [],
  },
  product: {
    schemaVersion: 1,
    id: productId,
    name: 'Pro plan',
    sku: 'PRO-SEAT',
    active: true,
    externalRefs: [],
  },
  price: {
    schemaVersion: 1,
    id: priceId,
    productId,
    currency: 'USD',
    type: 'recurring',
    unitAmount: usd(2000),
    recurring: { interval: 'month', intervalCount: 1, usageType: 'licensed' },
    active: true,
    externalRefs: [],
  },
  contract: {
    schemaVersion: 1,
    id: id('ctr', 1),
    customerId,
    status: 'active',
    currency: 'USD',
    termStart: '2025-03-01',
    termEnd: '2026-03-01',
    signedAt: '2025-02-27T16:20:00Z',
    lines: [{ id: id('ctl', 1), productId, priceId, quantity: 10, unitAmount: usd(2000) }],
    externalRefs: [],
  },
  subscription: {
    schemaVersion: 1,
    id: subscriptionId,
    customerId,
    status: 'active',
    currency: 'USD',
    items: [{ id: itemId, priceId, quantity: 10 }],
    currentPeriodStart: '2025-03-01T00:00:00Z',
    currentPeriodEnd: '2025-04-01T00:00:00Z',
    amendmentSequence: 0,
    cancelAtPeriodEnd: false,
    startedAt: '2025-03-01T00:00:00Z',
    externalRefs: [],
  },
  invoice: {
    schemaVersion: 1,
    id: invoiceId,
    customerId,
    subscriptionId,
    number: 'INV-0001',
    status: 'paid',
    billingReason: 'subscription_create',
    currency: 'USD',
    issuedAt: '2025-03-01T00:05:00Z',
    dueAt: '2025-03-31T00:05:00Z',
    lines: [
      {
        id: lineId,
        description: 'Pro plan × 10',
        productId,
        priceId,
        subscriptionItemId: itemId,
        quantity: 10,
        unitAmount: usd(2000),
        amount: usd(20000),
        servicePeriodStart: '2025-03-01T00:00:00Z',
        servicePeriodEnd: '2025-04-01T00:00:00Z',
        proration: false,
      },
    ],
    taxLines: [
      {
        description: 'CA sales tax',
        jurisdiction: 'US-CA',
        rate: '0.0825',
        taxableAmount: usd(20000),
        amount: usd(1650),
      },
    ],
    subtotal: usd(20000),
    tax: usd(1650),
    total: usd(21650),
    amountPaid: usd(21650),
    amountDue: usd(0),
    externalRefs: [{ system: 'acme-billing', objectType: 'invoice', id: 'in_1QxYzAbCdEfGh' }],
  },
  credit_note: {
    schemaVersion: 1,
    id: id('crn', 1),
    number: 'CN-0001',
    invoiceId,
    customerId,
    status: 'issued',
    reason: 'order_change',
    currency: 'USD',
    issuedAt: '2025-03-10T09:00:00Z',
    lines: [
      {
        id: id('cnl', 1),
        invoiceLineId: lineId,
        description: 'One seat removed',
        quantity: 1,
        unitAmount: usd(2000),
        amount: usd(2000),
      },
    ],
    subtotal: usd(2000),
    tax: usd(165),
    total: usd(2165),
    externalRefs: [],
  },
  payment: {
    schemaVersion: 1,
    id: id('pay', 1),
    customerId,
    invoiceId,
    currency: 'USD',
    amount: usd(21650),
    amountRefunded: usd(0),
    status: 'succeeded',
    statusHistory: [
      { status: 'pending', at: '2025-03-01T00:05:01Z' },
      { status: 'succeeded', at: '2025-03-01T00:05:03Z' },
    ],
    method: { type: 'card', brand: 'visa', last4: '4242' },
    externalRefs: [
      { system: 'acme-billing', objectType: 'payment_intent', id: 'pi_3QxYzAbCdEfGh' },
    ],
  },
  usage_record: {
    schemaVersion: 1,
    id: id('usg', 1),
    subscriptionItemId: itemId,
    subscriptionId,
    customerId,
    quantity: 1250,
    action: 'increment',
    timestamp: '2025-03-05T14:00:00Z',
    source: 'api-gateway-meter',
    dedupeKey: 'acme:2025-03-05T14',
    externalRefs: [],
  },
  revenue_schedule: {
    schemaVersion: 1,
    id: id('rvs', 1),
    customerId,
    sourceInvoiceId: invoiceId,
    sourceInvoiceLineId: lineId,
    method: 'straight_line',
    currency: 'USD',
    total: usd(20000),
    termStart: '2025-03-15',
    termEnd: '2025-04-15',
    lines: buildStraightLineSchedule(usd(20000), '2025-03-15', '2025-04-15'),
    externalRefs: [],
  },
  journal_entry: {
    schemaVersion: 1,
    id: id('jrn', 1),
    date: '2025-03-01',
    currency: 'USD',
    memo: 'Invoice INV-0001',
    subsidiary: 'Revsync Inc. (US)',
    source: { entityType: 'invoice', id: invoiceId },
    lines: [
      { account: '1200 Accounts Receivable', debit: usd(21650) },
      { account: '2400 Deferred Revenue', credit: usd(20000) },
      { account: '2300 Sales Tax Payable', credit: usd(1650) },
    ],
    externalRefs: [],
  },
};
