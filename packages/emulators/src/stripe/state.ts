import type Stripe from 'stripe';
import * as kit from '../kit/index.ts';

// Object shapes are the SDK's own types (type-only import, erased at runtime), except that
// decimal fields travel as strings on the wire and embedded lists hold our wire shapes.

/** An embedded or returned list: `{object:'list', data, has_more, url}`. */
export interface ListBody<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
  total_count?: number;
}

/** Stored objects: the SDK's types where the wire shape matches them exactly. */
export type Customer = Stripe.Customer;
/** A product. */
export type Product = Stripe.Product;
/** A tax rate. */
export type TaxRate = Stripe.TaxRate;
/** A payment method (cards only). */
export type PaymentMethod = Stripe.PaymentMethod;
/** A payment intent. */
export type PaymentIntent = Stripe.PaymentIntent;
/** A charge. */
export type Charge = Stripe.Charge;
/** A refund. */
export type Refund = Stripe.Refund;
/** A balance transaction. */
export type BalanceTransaction = Stripe.BalanceTransaction;
/** A payout to the bank. */
export type Payout = Stripe.Payout;
/** A test clock. */
export type TestClock = Stripe.TestHelpers.TestClock;
/** The link between an invoice and a payment intent. */
export type InvoicePayment = Stripe.InvoicePayment;
/** A customer tax id. */
export type TaxId = Stripe.TaxId;

/** A price; `unit_amount_decimal` travels as a string. */
export type Price = Omit<Stripe.Price, 'unit_amount_decimal'> & {
  unit_amount_decimal: string | null;
};
/** The legacy plan view of a recurring price (on subscription items). */
export type Plan = Omit<Stripe.Plan, 'amount_decimal'> & { amount_decimal: string | null };
/** A subscription item, its `price` always expanded. */
export type SubscriptionItem = Omit<Stripe.SubscriptionItem, 'price' | 'plan'> & {
  price: Price;
  plan: Plan;
};
/** A subscription with its embedded items list. */
export type Subscription = Omit<Stripe.Subscription, 'items'> & {
  items: ListBody<SubscriptionItem>;
};
/** `pricing` of invoice lines and invoice items. */
export interface LinePricing {
  type: 'price_details';
  price_details?: { price: string; product: string };
  unit_amount_decimal: string | null;
}
/** An invoice line (`il_…`, object `line_item`). */
export type InvoiceLine = Omit<Stripe.InvoiceLineItem, 'pricing' | 'quantity_decimal'> & {
  pricing: LinePricing | null;
  quantity_decimal: string | null;
};
/** An invoice with all its lines (the API view embeds ten, see `snapshot`). */
export type Invoice = Omit<Stripe.Invoice, 'lines' | 'payments'> & {
  lines: ListBody<InvoiceLine>;
};
/** An invoice item (`ii_…`). */
export type InvoiceItem = Omit<Stripe.InvoiceItem, 'pricing' | 'quantity_decimal'> & {
  pricing: LinePricing | null;
  quantity_decimal: string;
};
/** A credit note line. */
export type CreditNoteLine = Omit<Stripe.CreditNoteLineItem, 'unit_amount_decimal'> & {
  unit_amount_decimal: string | null;
};
/** A credit note with its lines. */
export type CreditNote = Omit<Stripe.CreditNote, 'lines'> & { lines: ListBody<CreditNoteLine> };

/** An event as stored and delivered. */
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string | null;
  created: number;
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** A webhook endpoint; `secret` is shown only when it is created. */
export type WebhookEndpointObject = Stripe.WebhookEndpoint & { secret: string };

/** How a test card behaves when charged. */
export interface CardBehavior {
  brand: string;
  last4: string;
  /** Set when charges on this card are declined. */
  decline?: { code: string; declineCode: string; message: string };
}

/** A saved idempotent response. */
export interface SavedResponse {
  fingerprint: string;
  method: string;
  path: string;
  status: number;
  body: unknown;
  requestId: string;
  at: number;
}

/** One collection: a Map in creation order. */
export class Collection<T extends { id: string }> extends Map<string, T> {
  add(item: T): T {
    this.set(item.id, item);
    return item;
  }
  /** Newest first. */
  newestFirst(): T[] {
    return [...this.values()].reverse();
  }
}

/** The whole in-memory account. */
export interface StripeState {
  customers: Collection<Customer>;
  /** Ids of deleted customers (retrieving them answers `{deleted: true}`). */
  deletedCustomers: Set<string>;
  taxIds: Collection<TaxId>;
  products: Collection<Product>;
  prices: Collection<Price>;
  taxRates: Collection<TaxRate>;
  paymentMethods: Collection<PaymentMethod>;
  subscriptions: Collection<Subscription>;
  subscriptionItems: Collection<SubscriptionItem>;
  invoices: Collection<Invoice>;
  invoiceItems: Collection<InvoiceItem>;
  invoicePayments: Collection<InvoicePayment>;
  paymentIntents: Collection<PaymentIntent>;
  charges: Collection<Charge>;
  refunds: Collection<Refund>;
  creditNotes: Collection<CreditNote>;
  balanceTransactions: Collection<BalanceTransaction>;
  payouts: Collection<Payout>;
  /** The payout each paid-out balance transaction went out with. */
  paidOut: Map<string, string>;
  /** Processing fee of a charge: `percent` % (rounded half up) plus `fixed` minor units. */
  fees: { percent: number; fixed: number };
  testClocks: Collection<TestClock>;
  events: Collection<StripeEvent>;
  webhookEndpoints: Collection<WebhookEndpointObject>;
  /** Card behaviour of every payment method, by id. */
  cards: Map<string, CardBehavior>;
  /** Test token → payment method created from it, per customer (`cus_x/pm_card_visa`). */
  tokenMethods: Map<string, string>;
  /** Saved idempotent responses by `apiKey\u0000idempotencyKey`. */
  idempotency: Map<string, SavedResponse>;
  /** Payment intent of each invoice. */
  invoicePaymentIntent: Map<string, string>;
  /** Tax rates a line or invoice item carries itself (else the invoice defaults apply). */
  ownTaxRates: Map<string, string[]>;
  /** `days_until_due` of send_invoice invoices (the due date is set at finalization). */
  daysUntilDue: Map<string, number>;
}

/** Creates an empty account. */
export function createStripeState(): StripeState {
  return {
    customers: new Collection(),
    deletedCustomers: new Set(),
    taxIds: new Collection(),
    products: new Collection(),
    prices: new Collection(),
    taxRates: new Collection(),
    paymentMethods: new Collection(),
    subscriptions: new Collection(),
    subscriptionItems: new Collection(),
    invoices: new Collection(),
    invoiceItems: new Collection(),
    invoicePayments: new Collection(),
    paymentIntents: new Collection(),
    charges: new Collection(),
    refunds: new Collection(),
    creditNotes: new Collection(),
    balanceTransactions: new Collection(),
    payouts: new Collection(),
    paidOut: new Map(),
    fees: { percent: 2.9, fixed: 30 },
    testClocks: new Collection(),
    events: new Collection(),
    webhookEndpoints: new Collection(),
    cards: new Map(),
    tokenMethods: new Map(),
    idempotency: new Map(),
    invoicePaymentIntent: new Map(),
    ownTaxRates: new Map(),
    daysUntilDue: new Map(),
  };
}

/** Empties every collection in place (handles keep pointing at the same state). */
export function clearStripeState(state: StripeState): void {
  for (const value of Object.values(state)) {
    if (value instanceof Map || value instanceof Set) value.clear();
  }
  state.fees = { percent: 2.9, fixed: 30 };
}

/** The JSON dump for `GET /_emulator/state`. */
export function dumpStripeState(state: StripeState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) {
    if (key === 'idempotency') out[key] = value instanceof Map ? value.size : 0;
    else if (value instanceof Collection) out[key] = [...value.values()];
    else if (value instanceof Map) out[key] = Object.fromEntries(value);
    else if (value instanceof Set) out[key] = [...value];
  }
  return out;
}

/** Seeded id generation: `cus_` + 14 chars, most others + 24, like Stripe's. */
export interface IdSource {
  next(prefix: string): string;
  /** `n` random base62 characters. */
  chars(n: number): string;
  reseed(seed: number | string): void;
}

const SHORT_IDS = new Set(['cus', 'prod', 'txr', 'clock', 'we', 'txi']);

/** Creates the id source from the emulator rng (`fork('ids')`). */
export function createIdSource(seed: number | string): IdSource {
  let rng = kit.createRng(seed).fork('ids');
  return {
    next(prefix) {
      return `${prefix}_${rng.base62(SHORT_IDS.has(prefix) ? 14 : 24)}`;
    },
    chars: (n) => rng.base62(n),
    reseed(s) {
      rng = kit.createRng(s).fork('ids');
    },
  };
}
