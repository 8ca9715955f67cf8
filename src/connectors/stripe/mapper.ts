/**
 * Pure mappings between Stripe's objects (API version `2026-10-28.endive`, shapes from the
 * `stripe` SDK's types) and the billing port's canonical shapes. Amounts go through
 * {@link fromStripeAmount} / {@link toStripeAmount}, times are ISO 8601 UTC strings.
 */
import type Stripe from 'stripe';
import { z } from 'zod';
import type {
  BillingPayout,
  BillingPayoutTransaction,
  BillingCreditNote,
  BillingCustomerInput,
  BillingInvoice,
  BillingInvoiceLine,
  BillingPayment,
  BillingPriceInput,
  BillingRefund,
  BillingSubscription,
  BillingSubscriptionItem,
  PostalAddress,
  VendorEvent,
} from '../ports.ts';
import { toCurrencyCode } from '../../model/currency.ts';
import { BillingReason } from '../../model/entities/invoice.ts';
import { makeEnvelope } from '../../model/event-envelope.ts';
import { sum, type Money } from '../../model/money.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import { fromStripeAmount, toStripeAmount } from './amounts.ts';

/** Metadata key holding the canonical customer id (customers, subscriptions). */
export const REVSYNC_CUSTOMER_KEY = 'revsync_customer_id';
/** Metadata key holding the product code on products revsync created. */
export const REVSYNC_PRODUCT_KEY = 'revsync_product_code';

const PRODUCT_ID_PREFIX = 'prod_revsync_';

// ---------------------------------------------------------------------------------------------
// Ids, keys and queries
// ---------------------------------------------------------------------------------------------

/**
 * The deterministic product id for a product code: `prod_revsync_` + the code with every byte
 * other than `[A-Za-z0-9-]` written as `_xx` (hex), so any code maps to a valid, unique id and
 * back (`PLAT 1` → `prod_revsync_PLAT_201`).
 */
export function productIdFor(code: string): string {
  let out = '';
  for (const byte of Buffer.from(code, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(ch) ? ch : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return PRODUCT_ID_PREFIX + out;
}

/** The product code encoded in a {@link productIdFor} id, or `undefined` for other ids. */
export function productCodeFromId(id: string): string | undefined {
  if (!id.startsWith(PRODUCT_ID_PREFIX)) return undefined;
  const encoded = id.slice(PRODUCT_ID_PREFIX.length);
  if (!/^(?:[A-Za-z0-9-]|_[0-9a-f]{2})+$/.test(encoded)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '_') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(encoded.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The product code of a Stripe product: its `revsync_product_code` metadata when the product
 * is at hand, else the code in a revsync product id, else the product id itself.
 */
export function productCodeOf(product: string | Stripe.Product | Stripe.DeletedProduct): string {
  if (typeof product !== 'string' && !product.deleted) {
    const code = product.metadata[REVSYNC_PRODUCT_KEY];
    if (code) return code;
  }
  const id = typeof product === 'string' ? product : product.id;
  return productCodeFromId(id) ?? id;
}

/**
 * The stable lookup key of a recurring price: `revsync:<code>:<currency>:<amount>:<interval>`,
 * the amount in ISO minor units (`revsync:PLAT:usd:4999:month`). Stripe allows 200 characters;
 * a longer key is shortened with a hash of the code.
 */
export function priceLookupKey(input: BillingPriceInput): string {
  const currency = toCurrencyCode(input.unitAmount.currency).toLowerCase();
  const tail = `${currency}:${input.unitAmount.amount}:${input.interval}`;
  const key = `revsync:${input.productCode}:${tail}`;
  if (key.length <= 200) return key;
  return `revsync:#${hash(input.productCode)}:${tail}`;
}

function hash(value: string): string {
  // FNV-1a 64-bit: enough to keep long codes apart inside one account, no crypto needed here.
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(value, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** The customer search query for a canonical customer id. */
export function customerSearchQuery(revsyncId: string): string {
  return `metadata['${REVSYNC_CUSTOMER_KEY}']:'${revsyncId.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

// ---------------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------------

/** A port address → Stripe's address parameter. */
export function toStripeAddress(address: PostalAddress): Stripe.AddressParam {
  return {
    country: address.country,
    ...(address.line1 !== undefined && { line1: address.line1 }),
    ...(address.line2 !== undefined && { line2: address.line2 }),
    ...(address.city !== undefined && { city: address.city }),
    ...(address.postalCode !== undefined && { postal_code: address.postalCode }),
    ...(address.state !== undefined && { state: address.state }),
  };
}

/**
 * A new customer: name, email, address, tax id, the canonical id in metadata, optionally a
 * default payment method and (test mode) a test clock.
 */
export function toStripeCustomerCreate(
  input: BillingCustomerInput,
  defaults: { paymentMethod?: string; testClock?: string } = {},
): Stripe.CustomerCreateParams {
  const paymentMethod = input.paymentMethod ?? defaults.paymentMethod;
  return {
    name: input.name,
    metadata: { ...input.metadata, [REVSYNC_CUSTOMER_KEY]: input.revsyncId },
    ...(input.email !== undefined && { email: input.email }),
    ...(input.address !== undefined && { address: toStripeAddress(input.address) }),
    ...(input.taxId !== undefined && {
      tax_id_data: [
        {
          type: input.taxId.type as Stripe.CustomerCreateParams.TaxIdDatum.Type,
          value: input.taxId.value,
        },
      ],
    }),
    ...(paymentMethod !== undefined && {
      payment_method: paymentMethod,
      invoice_settings: { default_payment_method: paymentMethod },
    }),
    ...(defaults.testClock !== undefined && { test_clock: defaults.testClock }),
  };
}

/**
 * The update that brings an existing customer in line with `input` (name, email, address,
 * metadata), or `undefined` when nothing differs.
 */
export function toStripeCustomerUpdate(
  existing: Stripe.Customer,
  input: BillingCustomerInput,
): Stripe.CustomerUpdateParams | undefined {
  const update: Stripe.CustomerUpdateParams = {};
  if (existing.name !== input.name) update.name = input.name;
  if (input.email !== undefined && existing.email !== input.email) update.email = input.email;
  if (input.address !== undefined) {
    const want = toStripeAddress(input.address);
    const have = existing.address ?? undefined;
    const same =
      have !== undefined &&
      (['line1', 'line2', 'city', 'postal_code', 'state', 'country'] as const).every(
        (k) => (have[k] ?? undefined) === (want[k] ?? undefined),
      );
    if (!same) update.address = want;
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.metadata ?? {})) {
    if (existing.metadata[k] !== v) metadata[k] = v;
  }
  if (Object.keys(metadata).length > 0) update.metadata = metadata;
  return Object.keys(update).length > 0 ? update : undefined;
}

// ---------------------------------------------------------------------------------------------
// Prices and subscriptions
// ---------------------------------------------------------------------------------------------

/** A recurring price for {@link BillingPriceInput}, keyed by {@link priceLookupKey}. */
export function toStripePriceCreate(
  input: BillingPriceInput,
  productId: string,
): Stripe.PriceCreateParams {
  const { amount, currency } = toStripeAmount(input.unitAmount);
  return {
    product: productId,
    currency,
    unit_amount: amount,
    recurring: { interval: input.interval },
    lookup_key: priceLookupKey(input),
    metadata: { [REVSYNC_PRODUCT_KEY]: input.productCode },
  };
}

/** Unit amount and interval of a recurring price, or a `ValidationError` the port cannot carry. */
export function recurringPriceTerms(price: Stripe.Price): {
  unitAmount: Money;
  interval: 'month' | 'year';
} {
  if (price.unit_amount === null) {
    throw new ValidationError(
      `stripe price ${price.id} has no integer unit_amount (tiered or decimal pricing is not supported)`,
      { system: 'stripe' },
    );
  }
  const recurring = price.recurring;
  if (
    !recurring ||
    (recurring.interval !== 'month' && recurring.interval !== 'year') ||
    recurring.interval_count !== 1
  ) {
    const every = recurring
      ? `every ${recurring.interval_count} ${recurring.interval}`
      : 'one-time';
    throw new ValidationError(
      `stripe price ${price.id} bills ${every}; revsync supports monthly and yearly prices`,
      { system: 'stripe' },
    );
  }
  return {
    unitAmount: fromStripeAmount(price.unit_amount, price.currency),
    interval: recurring.interval === 'year' ? 'year' : 'month',
  };
}

function toBillingSubscriptionItem(item: Stripe.SubscriptionItem): BillingSubscriptionItem {
  const terms = recurringPriceTerms(item.price);
  return {
    id: item.id,
    priceId: item.price.id,
    productCode: productCodeOf(item.price.product),
    quantity: item.quantity ?? 1,
    unitAmount: terms.unitAmount,
    interval: terms.interval,
  };
}

/**
 * A Stripe subscription → {@link BillingSubscription}. The period is the first item's (in this
 * API version periods live on items; all items of a subscription share it). Expand
 * `items.data.price.product` to get product codes from product metadata.
 */
export function toBillingSubscription(sub: Stripe.Subscription): BillingSubscription {
  const items = sub.items.data;
  const first = items[0];
  const start = first?.current_period_start ?? sub.start_date;
  const end = first?.current_period_end ?? sub.start_date;
  return {
    id: sub.id,
    customerId: idOf(sub.customer),
    status: sub.status,
    currency: toCurrencyCode(sub.currency),
    items: items.map(toBillingSubscriptionItem),
    currentPeriodStart: isoTime(start),
    currentPeriodEnd: isoTime(end),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    ...(sub.canceled_at !== null && { canceledAt: isoTime(sub.canceled_at) }),
    ...(sub.latest_invoice !== null && { latestInvoiceId: idOf(sub.latest_invoice) }),
    metadata: { ...sub.metadata },
  };
}

// ---------------------------------------------------------------------------------------------
// Invoices
// ---------------------------------------------------------------------------------------------

/** What an invoice's lines refer to, fetched by the caller: prices and product codes by id. */
export interface InvoiceRefs {
  /** Stripe unit amount (Stripe's minor unit) by price id. */
  priceUnitAmounts: ReadonlyMap<string, number | null>;
  /** Product code by product id, for products whose id does not encode it. */
  productCodes: ReadonlyMap<string, string>;
}

/** The price and product ids a line refers to. */
export function lineRefs(line: Stripe.InvoiceLineItem): { priceId?: string; productId?: string } {
  const details = line.pricing?.price_details;
  if (!details) return {};
  return { priceId: idOf(details.price), productId: details.product };
}

/**
 * A Stripe invoice (retrieved with `expand: ['payments', 'customer']`) and all its lines →
 * {@link BillingInvoice}.
 *
 * Line amounts are net of tax (Stripe's `amount` minus inclusive taxes), `tax` is the line's
 * taxes, so for every invoice `Σ line.amount + tax = total` (Stripe's discounts aside, which
 * revsync does not use); `subtotal` is Stripe's `subtotal_excluding_tax`.
 */
export function toBillingInvoice(
  invoice: Stripe.Invoice,
  lines: readonly Stripe.InvoiceLineItem[],
  refs: InvoiceRefs,
): BillingInvoice {
  const currency = toCurrencyCode(invoice.currency);
  const amount = (n: number): Money => fromStripeAmount(n, currency);
  const status = invoice.status;
  if (!isInvoiceStatus(status)) {
    throw new ValidationError(`stripe invoice ${invoice.id} has status ${String(status)}`, {
      system: 'stripe',
    });
  }
  if (invoice.customer === null) {
    throw new ValidationError(`stripe invoice ${invoice.id} has no customer`, {
      system: 'stripe',
    });
  }
  const subscription = invoice.parent?.subscription_details;
  const customer = invoice.customer;
  const revsyncId =
    subscription?.metadata?.[REVSYNC_CUSTOMER_KEY] ??
    invoice.metadata?.[REVSYNC_CUSTOMER_KEY] ??
    (typeof customer !== 'string' && !customer.deleted
      ? customer.metadata[REVSYNC_CUSTOMER_KEY]
      : undefined);
  const tax = sum(
    (invoice.total_taxes ?? []).map((t) => amount(t.amount)),
    currency,
  );
  const paymentId = paymentIntentOf(invoice);
  const { finalized_at: finalizedAt, paid_at: paidAt } = invoice.status_transitions;
  return {
    id: invoice.id,
    ...(invoice.number !== null && { number: invoice.number }),
    customerId: idOf(customer),
    ...(subscription && { subscriptionId: idOf(subscription.subscription) }),
    status,
    billingReason: toBillingReason(invoice.billing_reason),
    currency,
    lines: lines.map((line) => toBillingInvoiceLine(line, currency, refs)),
    subtotal: amount(invoice.subtotal_excluding_tax ?? invoice.subtotal),
    tax,
    total: amount(invoice.total),
    amountPaid: amount(invoice.amount_paid),
    amountDue: amount(invoice.amount_remaining),
    createdAt: isoTime(invoice.created),
    ...(finalizedAt !== null && { finalizedAt: isoTime(finalizedAt) }),
    ...(paidAt !== null && { paidAt: isoTime(paidAt) }),
    periodStart: isoTime(invoice.period_start),
    periodEnd: isoTime(invoice.period_end),
    ...(paymentId !== undefined && { paymentId }),
    ...(revsyncId !== undefined && revsyncId !== '' && { revsyncId }),
  };
}

const INVOICE_STATUSES: ReadonlySet<string> = new Set([
  'draft',
  'open',
  'paid',
  'void',
  'uncollectible',
] satisfies BillingInvoice['status'][]);

function isInvoiceStatus(status: string | null): status is BillingInvoice['status'] {
  return status !== null && INVOICE_STATUSES.has(status);
}

function toBillingInvoiceLine(
  line: Stripe.InvoiceLineItem,
  currency: ReturnType<typeof toCurrencyCode>,
  refs: InvoiceRefs,
): BillingInvoiceLine {
  const taxes = line.taxes ?? [];
  const inclusive = taxes
    .filter((t) => t.tax_behavior === 'inclusive')
    .reduce((acc, t) => acc + t.amount, 0);
  const { priceId, productId } = lineRefs(line);
  const details = line.pricing?.price_details;
  const expandedPrice = details && typeof details.price !== 'string' ? details.price : undefined;
  const unit =
    expandedPrice?.unit_amount ??
    (priceId !== undefined ? refs.priceUnitAmounts.get(priceId) : undefined);
  const item = line.parent?.subscription_item_details;
  const productCode =
    productId !== undefined
      ? (refs.productCodes.get(productId) ?? productCodeOf(productId))
      : undefined;
  return {
    id: line.id,
    description: line.description ?? '',
    quantity: line.quantity ?? 1,
    ...(unit !== undefined && unit !== null && { unitAmount: fromStripeAmount(unit, currency) }),
    amount: fromStripeAmount(line.amount - inclusive, currency),
    tax: sum(
      taxes.map((t) => fromStripeAmount(t.amount, currency)),
      currency,
    ),
    periodStart: isoTime(line.period.start),
    periodEnd: isoTime(line.period.end),
    proration: item?.proration ?? false,
    ...(productCode !== undefined && { productCode }),
    ...(priceId !== undefined && { priceId }),
    ...(item && { subscriptionItemId: item.subscription_item }),
  };
}

/** The payment intent that paid the invoice (else the latest attempt), from `invoice.payments`. */
export function paymentIntentOf(invoice: Stripe.Invoice): string | undefined {
  const payments = invoice.payments?.data ?? [];
  const chosen =
    payments.find((p) => p.status === 'paid') ?? payments.find((p) => p.is_default) ?? payments[0];
  const pi = chosen?.payment.payment_intent;
  return pi === undefined ? undefined : idOf(pi);
}

// ---------------------------------------------------------------------------------------------
// Payments, refunds, credit notes
// ---------------------------------------------------------------------------------------------

/**
 * A payment intent → {@link BillingPayment}: `succeeded` becomes `refunded` or
 * `partially_refunded` by its charge's `amount_refunded`; a payment intent waiting for a new
 * payment method after an attempt, or canceled, is `failed` (reason from `last_payment_error`
 * or the cancellation reason); anything else in flight is `pending`.
 */
export function toBillingPayment(
  pi: Stripe.PaymentIntent,
  context: { amountRefunded?: number; invoiceId?: string } = {},
): BillingPayment {
  const currency = toCurrencyCode(pi.currency);
  const refunded = context.amountRefunded ?? 0;
  const error = pi.last_payment_error;
  let status: BillingPayment['status'];
  let failureReason: string | undefined;
  if (pi.status === 'succeeded') {
    status =
      refunded <= 0
        ? 'succeeded'
        : refunded >= pi.amount_received
          ? 'refunded'
          : 'partially_refunded';
  } else if (pi.status === 'canceled') {
    status = 'failed';
    failureReason = error
      ? describePaymentError(error)
      : `canceled${pi.cancellation_reason ? ` (${pi.cancellation_reason})` : ''}`;
  } else if (pi.status === 'requires_payment_method' && error) {
    status = 'failed';
    failureReason = describePaymentError(error);
  } else {
    status = 'pending';
  }
  if (pi.customer === null) {
    throw new ValidationError(`stripe payment intent ${pi.id} has no customer`, {
      system: 'stripe',
    });
  }
  return {
    id: pi.id,
    ...(context.invoiceId !== undefined && { invoiceId: context.invoiceId }),
    customerId: idOf(pi.customer),
    status,
    amount: fromStripeAmount(pi.amount, currency),
    amountRefunded: fromStripeAmount(refunded, currency),
    createdAt: isoTime(pi.created),
    ...(failureReason !== undefined && { failureReason }),
  };
}

function describePaymentError(error: Stripe.PaymentIntent.LastPaymentError): string {
  const codes = [error.code, error.decline_code].filter((c) => c !== undefined).join('/');
  const message = error.message ?? 'payment failed';
  return codes ? `${codes}: ${message}` : message;
}

/** A refund → {@link BillingRefund}; `paymentId` is its payment intent (else its charge). */
export function toBillingRefund(refund: Stripe.Refund, invoiceId?: string): BillingRefund {
  const payment = refund.payment_intent ?? refund.charge;
  if (payment === null) {
    throw new ValidationError(`stripe refund ${refund.id} has neither payment intent nor charge`, {
      system: 'stripe',
    });
  }
  return {
    id: refund.id,
    paymentId: idOf(payment),
    ...(invoiceId !== undefined && { invoiceId }),
    amount: fromStripeAmount(refund.amount, refund.currency),
    status: refund.status ?? 'pending',
    createdAt: isoTime(refund.created),
  };
}

/**
 * A credit note and all its lines → {@link BillingCreditNote}. `total` includes tax; line
 * amounts are Stripe's (excluding tax).
 */
export function toBillingCreditNote(
  note: Stripe.CreditNote,
  lines: readonly Stripe.CreditNoteLineItem[],
): BillingCreditNote {
  const currency = toCurrencyCode(note.currency);
  return {
    id: note.id,
    invoiceId: idOf(note.invoice),
    customerId: idOf(note.customer),
    number: note.number,
    status: note.status,
    total: fromStripeAmount(note.total, currency),
    lines: lines.map((line) => ({
      description: line.description ?? '',
      amount: fromStripeAmount(line.amount, currency),
      quantity: line.quantity ?? 1,
    })),
    ...(note.reason !== null && { reason: note.reason }),
    createdAt: isoTime(note.created),
  };
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

const StripeEventSchema = z.looseObject({
  id: z.string().regex(/^evt_/, 'must be an evt_ id'),
  object: z.literal('event'),
  type: z.string().min(1),
  created: z.int().nonnegative(),
  data: z.looseObject({ object: z.record(z.string(), z.unknown()) }),
});

/**
 * A Stripe event (webhook delivery or `/v1/events` element) → one {@link VendorEvent}:
 * `source` `stripe`, `id` the `evt_…` id (so a webhook and a poll of the same event
 * de-duplicate), `type` `stripe.<event type>`, `subject` the object's id, `time` from
 * `created`, `data` the object as Stripe sent it.
 *
 * @throws ValidationError when `event` is not a Stripe event.
 */
export function toVendorEvent(event: unknown): VendorEvent {
  const parsed = StripeEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new ValidationError('not a Stripe event', {
      system: 'stripe',
      details: parsed.error.issues.map((i) => ({
        path: i.path.join('.'),
        message: i.message,
      })),
    });
  }
  const e = parsed.data;
  const objectId = e.data.object['id'];
  return makeEnvelope<Record<string, unknown>>({
    source: 'stripe',
    id: e.id,
    type: `stripe.${e.type.toLowerCase()}`,
    ...(typeof objectId === 'string' && objectId !== '' && { subject: objectId }),
    time: isoTime(e.created),
    data: e.data.object,
  });
}

/**
 * Stripe's `billing_reason` → the canonical {@link BillingReason}. Reasons the canonical model
 * has no word for (`upcoming`, `quote_accept`, pending-item invoices…) are `manual`.
 */
export function toBillingReason(reason: string | null | undefined): BillingReason {
  const parsed = BillingReason.safeParse(reason);
  return parsed.success ? parsed.data : 'manual';
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Unix seconds → ISO 8601 UTC. */
export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** ISO 8601 → Unix seconds (rounded down). */
export function unixSeconds(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    throw new ValidationError(`not an ISO 8601 time: ${JSON.stringify(iso)}`, {
      system: 'stripe',
    });
  }
  return Math.floor(ms / 1000);
}

/** The id of an expandable field. */
export function idOf(value: string | { id: string }): string {
  return typeof value === 'string' ? value : value.id;
}

const PAYOUT_STATUSES = ['pending', 'in_transit', 'paid', 'failed', 'canceled'] as const;

/**
 * A balance transaction a payout settles → {@link BillingPayoutTransaction}; `undefined` for the
 * payout's own transaction. `source` should be expanded: a charge's source becomes its payment
 * intent (the billing payment revsync posts to the ERP), a refund's the refund.
 */
export function toBillingPayoutTransaction(
  t: Stripe.BalanceTransaction,
): BillingPayoutTransaction | undefined {
  if (t.type === 'payout' || t.type === 'payout_cancel' || t.type === 'payout_failure')
    return undefined;
  const type: BillingPayoutTransaction['type'] =
    t.type === 'charge' || t.type === 'payment'
      ? 'charge'
      : t.type === 'refund' || t.type === 'payment_refund'
        ? 'refund'
        : t.type === 'stripe_fee' || t.type === 'tax_fee' || t.type === 'stripe_fx_fee'
          ? 'fee'
          : 'adjustment';
  const source = t.source;
  let sourceId: string | undefined;
  if (typeof source === 'string') sourceId = source;
  else if (source !== null) {
    const s = source as { id: string; object?: string; payment_intent?: unknown };
    sourceId =
      s.object === 'charge' && s.payment_intent != null
        ? typeof s.payment_intent === 'string'
          ? s.payment_intent
          : (s.payment_intent as { id: string }).id
        : s.id;
  }
  return {
    id: t.id,
    type,
    amount: fromStripeAmount(t.amount, t.currency),
    fee: fromStripeAmount(t.fee, t.currency),
    ...(sourceId !== undefined && { sourceId }),
    createdAt: isoTime(t.created),
  };
}

/** A Stripe payout and its balance transactions → {@link BillingPayout}. */
export function toBillingPayout(
  payout: Stripe.Payout,
  transactions: readonly Stripe.BalanceTransaction[],
): BillingPayout {
  const status = (PAYOUT_STATUSES as readonly string[]).includes(payout.status)
    ? (payout.status as BillingPayout['status'])
    : 'pending';
  return {
    id: payout.id,
    status,
    amount: fromStripeAmount(payout.amount, payout.currency),
    createdAt: isoTime(payout.created),
    arrivalDate: isoTime(payout.arrival_date).slice(0, 10),
    transactions: transactions.flatMap((t) => toBillingPayoutTransaction(t) ?? []),
  };
}
