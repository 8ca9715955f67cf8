/**
 * Pure mappings between Chargebee's objects (product catalog 2.0) and the billing port.
 * Amounts: Chargebee's integers are in the currency's minor unit, like revsync's `Money`.
 */
import type {
  CreditNote,
  Customer,
  Invoice,
  ItemPrice,
  Subscription,
  Transaction,
} from 'chargebee';
import { toCurrencyCode, type CurrencyCode } from '../../model/currency.ts';
import type { BillingReason } from '../../model/entities/invoice.ts';
import type { SubscriptionStatus } from '../../model/entities/subscription.ts';
import { money, sum, type Money } from '../../model/money.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type {
  BillingCreditNote,
  BillingCustomerInput,
  BillingInvoice,
  BillingInvoiceLine,
  BillingPayment,
  BillingPriceInput,
  BillingRefund,
  BillingSubscription,
  BillingSubscriptionItem,
} from '../ports.ts';

/** `meta_data` key holding the canonical customer id. */
export const REVSYNC_CUSTOMER_KEY = 'revsync_customer_id';
/** `metadata` key of items and item prices holding the product code. */
export const REVSYNC_PRODUCT_KEY = 'revsync_product_code';

const SYSTEM = 'chargebee';
/** Chargebee ids: up to 50 of letters, digits, `_`, `-` (and a few more we do not use). */
const CHARGEBEE_ID = /^[A-Za-z0-9_-]{1,50}$/;

/**
 * The Chargebee customer id of a canonical customer: the canonical id itself (Chargebee lets
 * the caller choose ids), so finding the customer is one retrieve and a second create of the
 * same customer is refused as `duplicate_entry`.
 */
export function customerIdFor(revsyncId: string): string {
  if (!CHARGEBEE_ID.test(revsyncId)) {
    throw new ValidationError(`canonical customer id ${revsyncId} is not a valid Chargebee id`, {
      system: SYSTEM,
    });
  }
  return revsyncId;
}

/** `revsync-<code>`: the item of a product. */
export function itemIdFor(productCode: string): string {
  return `revsync-${slug(productCode)}`;
}

/** `revsync-<code>-<CUR>-<amount>-<interval>`: one item price per product, amount, currency and interval. */
export function itemPriceIdFor(input: BillingPriceInput): string {
  return `revsync-${slug(input.productCode)}-${input.unitAmount.currency}-${input.unitAmount.amount}-${input.interval}`;
}

function slug(code: string): string {
  const s = code.replace(/[^A-Za-z0-9_-]/g, '_');
  if (s.length === 0 || s.length > 24) {
    throw new ValidationError(`product code ${JSON.stringify(code)} must be 1–24 characters`, {
      system: SYSTEM,
    });
  }
  return s;
}

/** The item price's product code: its metadata, else what its revsync id encodes. */
export function productCodeOf(
  price: Pick<ItemPrice, 'id' | 'item_id' | 'metadata'>,
): string | undefined {
  const fromMeta = (price.metadata as Record<string, unknown> | undefined)?.[REVSYNC_PRODUCT_KEY];
  if (typeof fromMeta === 'string' && fromMeta !== '') return fromMeta;
  const match = /^revsync-(.+)$/.exec(price.item_id ?? '');
  return match?.[1];
}

/** Customer create parameters. */
export function toChargebeeCustomerCreate(
  input: BillingCustomerInput,
  paymentToken: string | undefined,
) {
  return {
    id: customerIdFor(input.revsyncId),
    company: input.name,
    ...(input.email !== undefined && { email: input.email }),
    preferred_currency_code: input.currency,
    ...(input.taxId !== undefined && { vat_number: input.taxId.value }),
    ...(input.address && { billing_address: toChargebeeAddress(input.address, input.name) }),
    meta_data: { ...input.metadata, [REVSYNC_CUSTOMER_KEY]: input.revsyncId },
    ...(paymentToken !== undefined && {
      payment_method: { type: 'card' as const, tmp_token: paymentToken },
    }),
  };
}

export function toChargebeeAddress(
  address: NonNullable<BillingCustomerInput['address']>,
  company: string,
) {
  return {
    company,
    ...(address.line1 !== undefined && { line1: address.line1 }),
    ...(address.line2 !== undefined && { line2: address.line2 }),
    ...(address.city !== undefined && { city: address.city }),
    ...(address.postalCode !== undefined && { zip: address.postalCode }),
    ...(address.state !== undefined && { state: address.state }),
    country: address.country,
  };
}

/** The fields to change on an existing customer, or undefined when it is up to date. */
export function toChargebeeCustomerUpdate(existing: Customer, input: BillingCustomerInput) {
  const meta = {
    ...(existing.meta_data as Record<string, unknown> | undefined),
    ...input.metadata,
    [REVSYNC_CUSTOMER_KEY]: input.revsyncId,
  };
  const update = {
    ...(existing.company !== input.name && { company: input.name }),
    ...(input.email !== undefined && existing.email !== input.email && { email: input.email }),
    ...(JSON.stringify(meta) !== JSON.stringify(existing.meta_data ?? {}) && { meta_data: meta }),
  };
  return Object.keys(update).length > 0 ? update : undefined;
}

/** Whether the customer's billing address differs from `input`'s. */
export function addressChanged(existing: Customer, input: BillingCustomerInput): boolean {
  if (!input.address) return false;
  const a = existing.billing_address;
  const b = input.address;
  return (
    a?.country !== b.country ||
    (a?.line1 ?? undefined) !== b.line1 ||
    (a?.city ?? undefined) !== b.city ||
    (a?.zip ?? undefined) !== b.postalCode
  );
}

// ---------------------------------------------------------------------------------------------
// Subscriptions
// ---------------------------------------------------------------------------------------------

/**
 * Subscription items have no ids in Chargebee (an item price appears once per subscription);
 * the port's item id is `<subscription id>:<item price id>`, which usage reporting needs.
 */
export function subscriptionItemId(subscriptionId: string, itemPriceId: string): string {
  return `${subscriptionId}:${itemPriceId}`;
}

export function parseSubscriptionItemId(id: string): {
  subscriptionId: string;
  itemPriceId: string;
} {
  const at = id.indexOf(':');
  if (at <= 0 || at === id.length - 1) {
    throw new ValidationError(`not a chargebee subscription item id: ${JSON.stringify(id)}`, {
      system: SYSTEM,
    });
  }
  return { subscriptionId: id.slice(0, at), itemPriceId: id.slice(at + 1) };
}

/** Product codes by item price id, for the items' `productCode`. */
export type ProductCodes = ReadonlyMap<string, string | undefined>;

export function toBillingSubscription(
  sub: Subscription,
  context: { latestInvoiceId?: string; productCodes: ProductCodes },
): BillingSubscription {
  const currency = toCurrencyCode(sub.currency_code ?? 'USD');
  const interval = toInterval(sub.billing_period_unit, sub.billing_period, sub.id);
  const items: BillingSubscriptionItem[] = (sub.subscription_items ?? []).map((item) => {
    const code = context.productCodes.get(item.item_price_id);
    return {
      id: subscriptionItemId(sub.id, item.item_price_id),
      priceId: item.item_price_id,
      ...(code !== undefined && { productCode: code }),
      quantity: item.quantity ?? 1,
      unitAmount: money(item.unit_price ?? 0, currency),
      interval,
    };
  });
  const start = sub.current_term_start ?? sub.started_at ?? sub.created_at ?? 0;
  const end = sub.current_term_end ?? sub.cancelled_at ?? start;
  return {
    id: sub.id,
    customerId: sub.customer_id,
    status: toSubscriptionStatus(sub.status),
    currency,
    items,
    currentPeriodStart: isoTime(start),
    currentPeriodEnd: isoTime(end),
    cancelAtPeriodEnd: sub.status === 'non_renewing',
    ...(sub.cancelled_at !== undefined &&
      sub.status === 'cancelled' && { canceledAt: isoTime(sub.cancelled_at) }),
    ...(context.latestInvoiceId !== undefined && { latestInvoiceId: context.latestInvoiceId }),
    metadata: stringMap(sub.meta_data),
  };
}

/**
 * Chargebee's subscription status in the canonical vocabulary (Stripe's words): `in_trial` →
 * `trialing`, `non_renewing` → `active` (with `cancelAtPeriodEnd`), `cancelled`/`transferred` →
 * `canceled`, `future` → `incomplete`; a subscription in dunning stays `active`, as in Chargebee.
 */
export function toSubscriptionStatus(status: string): SubscriptionStatus {
  switch (status) {
    case 'in_trial':
      return 'trialing';
    case 'active':
    case 'non_renewing':
      return 'active';
    case 'paused':
      return 'paused';
    case 'future':
      return 'incomplete';
    default:
      return 'canceled';
  }
}

function toInterval(
  unit: string | undefined,
  period: number | undefined,
  id: string,
): 'month' | 'year' {
  if ((unit === 'month' || unit === 'year') && (period ?? 1) === 1) return unit;
  throw new ValidationError(
    `chargebee subscription ${id} bills every ${period ?? 1} ${unit ?? '?'}; revsync supports monthly and yearly terms`,
    { system: SYSTEM },
  );
}

// ---------------------------------------------------------------------------------------------
// Invoices
// ---------------------------------------------------------------------------------------------

/**
 * Why Chargebee billed, in canonical words: the first invoice of a subscription, a mid-term
 * change (its lines are prorated), a renewal (recurring), else manual.
 */
export function toBillingReason(
  invoice: Pick<Invoice, 'first_invoice' | 'recurring' | 'subscription_id' | 'line_items'>,
): BillingReason {
  if (invoice.first_invoice === true) return 'subscription_create';
  if ((invoice.line_items ?? []).some((l) => l.proration_mode !== undefined))
    return 'subscription_update';
  if (invoice.recurring && invoice.subscription_id !== undefined) return 'subscription_cycle';
  return 'manual';
}

function toInvoiceStatus(status: Invoice['status']): BillingInvoice['status'] {
  switch (status) {
    case 'paid':
      return 'paid';
    case 'voided':
      return 'void';
    case 'pending':
      return 'draft';
    case 'not_paid':
      return 'uncollectible';
    default:
      return 'open';
  }
}

/**
 * A Chargebee invoice → {@link BillingInvoice}. Chargebee's prices here are tax exclusive:
 * line `amount` is net, `tax_amount` its tax, so `Σ line.amount = sub_total` and
 * `sub_total + tax = total`. Credits applied (an adjustment credit note of a downgrade) lower
 * `amount_due`, not the total: the credit note is booked on its own.
 */
export function toBillingInvoice(
  invoice: Invoice,
  context: { productCodes: ProductCodes; revsyncId?: string },
): BillingInvoice {
  const currency = toCurrencyCode(invoice.currency_code);
  const m = (n: number | undefined): Money => money(n ?? 0, currency);
  const lines = (invoice.line_items ?? []).map((line) =>
    toBillingInvoiceLine(line, currency, context.productCodes),
  );
  const payments = invoice.linked_payments ?? [];
  const payment = payments.find((p) => p.txn_status === 'success') ?? payments.at(-1);
  const from = Math.min(...(invoice.line_items ?? []).map((l) => l.date_from));
  const to = Math.max(...(invoice.line_items ?? []).map((l) => l.date_to));
  const date = invoice.date ?? invoice.generated_at ?? 0;
  return {
    id: invoice.id,
    number: invoice.id,
    customerId: invoice.customer_id,
    ...(invoice.subscription_id !== undefined && { subscriptionId: invoice.subscription_id }),
    status: toInvoiceStatus(invoice.status),
    billingReason: toBillingReason(invoice),
    currency,
    lines,
    subtotal: m(invoice.sub_total),
    tax: m(invoice.tax),
    total: m(invoice.total),
    amountPaid: m(invoice.amount_paid),
    amountDue: m(invoice.amount_due),
    createdAt: isoTime(date),
    ...(invoice.status !== 'pending' && { finalizedAt: isoTime(invoice.generated_at ?? date) }),
    ...(invoice.paid_at !== undefined && { paidAt: isoTime(invoice.paid_at) }),
    ...(Number.isFinite(from) && { periodStart: isoTime(from) }),
    ...(Number.isFinite(to) && { periodEnd: isoTime(to) }),
    ...(payment && { paymentId: payment.txn_id }),
    ...(context.revsyncId !== undefined && { revsyncId: context.revsyncId }),
  };
}

function toBillingInvoiceLine(
  line: Invoice.LineItem,
  currency: CurrencyCode,
  codes: ProductCodes,
): BillingInvoiceLine {
  const priceId = line.entity_type === 'adhoc' ? undefined : line.entity_id;
  const code = priceId !== undefined ? codes.get(priceId) : undefined;
  return {
    id: line.id ?? `${line.entity_id ?? 'line'}:${line.date_from}`,
    description: line.description,
    quantity: line.quantity ?? 1,
    unitAmount: money(line.unit_amount, currency),
    amount: money(line.amount ?? 0, currency),
    tax: money(line.tax_amount ?? 0, currency),
    periodStart: isoTime(line.date_from),
    periodEnd: isoTime(line.date_to),
    proration: line.proration_mode !== undefined,
    ...(code !== undefined && { productCode: code }),
    ...(priceId !== undefined && { priceId }),
    ...(priceId !== undefined &&
      line.subscription_id !== undefined && {
        subscriptionItemId: subscriptionItemId(line.subscription_id, priceId),
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Transactions and credit notes
// ---------------------------------------------------------------------------------------------

/** A payment transaction → {@link BillingPayment}; refunded amounts from its linked refunds. */
export function toBillingPayment(txn: Transaction): BillingPayment {
  if (txn.type !== 'payment') {
    throw new ValidationError(`chargebee transaction ${txn.id} is a ${txn.type}, not a payment`, {
      system: SYSTEM,
    });
  }
  const currency = toCurrencyCode(txn.currency_code);
  const amount = txn.amount ?? 0;
  const refunded = (txn.linked_refunds ?? [])
    .filter((r) => r.txn_status === 'success')
    .reduce((a, r) => a + r.txn_amount, 0);
  let status: BillingPayment['status'];
  if (txn.status === 'success') {
    status = refunded <= 0 ? 'succeeded' : refunded >= amount ? 'refunded' : 'partially_refunded';
  } else if (txn.status === 'failure' || txn.status === 'voided' || txn.status === 'timeout') {
    status = 'failed';
  } else {
    status = 'pending';
  }
  const invoiceId = txn.linked_invoices?.[0]?.invoice_id;
  return {
    id: txn.id,
    ...(invoiceId !== undefined && { invoiceId }),
    customerId: txn.customer_id ?? '',
    status,
    amount: money(amount, currency),
    amountRefunded: money(refunded, currency),
    createdAt: isoTime(txn.date ?? 0),
    ...(status === 'failed' && {
      failureReason:
        [txn.error_code, txn.error_text].filter((s) => s !== undefined).join(': ') ||
        'payment failed',
    }),
  };
}

/** A refund transaction → {@link BillingRefund}: its payment and the invoice its credit note credits. */
export function toBillingRefund(txn: Transaction): BillingRefund {
  if (txn.type !== 'refund') {
    throw new ValidationError(`chargebee transaction ${txn.id} is a ${txn.type}, not a refund`, {
      system: SYSTEM,
    });
  }
  if (txn.reference_transaction_id === undefined) {
    throw new ValidationError(`chargebee refund ${txn.id} names no payment it refunds`, {
      system: SYSTEM,
    });
  }
  const invoiceId = txn.linked_credit_notes?.[0]?.cn_reference_invoice_id;
  return {
    id: txn.id,
    paymentId: txn.reference_transaction_id,
    ...(invoiceId !== undefined && { invoiceId }),
    amount: money(txn.amount ?? 0, toCurrencyCode(txn.currency_code)),
    status: txn.status === 'success' ? 'succeeded' : (txn.status ?? 'pending'),
    createdAt: isoTime(txn.date ?? 0),
  };
}

/** A credit note → {@link BillingCreditNote}: `total` includes tax, line amounts are net. */
export function toBillingCreditNote(note: CreditNote): BillingCreditNote {
  const currency = toCurrencyCode(note.currency_code);
  const lines = (note.line_items ?? []).map((l) => ({
    description: l.description,
    amount: money(l.amount ?? 0, currency),
    quantity: l.quantity ?? 1,
  }));
  if (note.reference_invoice_id === undefined) {
    throw new ValidationError(`chargebee credit note ${note.id} references no invoice`, {
      system: SYSTEM,
    });
  }
  return {
    id: note.id,
    invoiceId: note.reference_invoice_id,
    customerId: note.customer_id,
    number: note.id,
    status: note.status,
    total: money(
      note.total ??
        sum(
          lines.map((l) => l.amount),
          currency,
        ).amount,
      currency,
    ),
    lines,
    ...((note.reason_code ?? note.create_reason_code) !== undefined && {
      reason: String(note.reason_code ?? note.create_reason_code),
    }),
    createdAt: isoTime(note.date ?? note.generated_at ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

export function unixSeconds(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new ValidationError(`not an ISO 8601 time: ${JSON.stringify(iso)}`, { system: SYSTEM });
  return Math.floor(ms / 1000);
}

/** `meta_data` as a string map (non-string values JSON-encoded). */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return out;
}
