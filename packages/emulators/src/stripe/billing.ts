import type * as kit from '../kit/index.ts';
import { clockOf, emit, update, type StripeContext } from './context.ts';
import { invalidRequest, stripeError } from './errors.ts';
import { embeddedList } from './lists.ts';
import { idOf } from './lookup.ts';
import { confirmPaymentIntent, createPaymentIntent } from './payment-intents.ts';
import { resolvePaymentMethod } from './payment-methods.ts';
import { unitAmountOf } from './products.ts';
import { roundMinor } from './proration.ts';
import type {
  Customer,
  Invoice,
  InvoiceItem,
  InvoiceLine,
  InvoicePayment,
  Price,
  Subscription,
  SubscriptionItem,
  TaxRate,
} from './state.ts';

/** How long a subscription's draft invoice waits before it is finalized (Stripe: ~1 hour). */
export const FINALIZE_DELAY_SECONDS = 3600;

const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
const SYMBOL: Record<string, string> = { usd: '$', eur: '€', gbp: '£', cad: 'CA$', aud: 'A$' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$10.00`, `€9.50`, `1000 JPY` — as Stripe writes amounts in line descriptions. */
export function formatMoney(amount: number, currency: string): string {
  const zero = ZERO_DECIMAL.has(currency);
  const major = (zero ? amount : amount / 100).toFixed(zero ? 0 : 2);
  const symbol = SYMBOL[currency];
  return symbol ? `${symbol}${major}` : `${major} ${currency.toUpperCase()}`;
}

/** `12 Mar 2026` (UTC). */
export function formatDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** The current period of a subscription (all items share it). */
export function currentPeriod(sub: Subscription): { start: number; end: number } {
  const item = sub.items.data[0];
  return item
    ? { start: item.current_period_start, end: item.current_period_end }
    : { start: sub.start_date, end: sub.start_date };
}

function productName(ctx: StripeContext, price: Price): string {
  const id = typeof price.product === 'string' ? price.product : price.product.id;
  const product = ctx.state.products.get(id);
  return product?.name ?? id;
}

function productId(price: Price): string {
  return typeof price.product === 'string' ? price.product : price.product.id;
}

/** Fields of a new invoice. */
export interface NewInvoice {
  customer: Customer;
  subscription: Subscription | null;
  billingReason: NonNullable<Invoice['billing_reason']>;
  collectionMethod: Invoice['collection_method'];
  currency: string;
  created: number;
  periodStart?: number;
  periodEnd?: number;
  autoAdvance: boolean;
  description?: string | null;
  metadata?: Record<string, string>;
  defaultPaymentMethod?: string | null;
  defaultTaxRates?: TaxRate[];
  daysUntilDue?: number | null;
  dueDate?: number | null;
}

/** Creates a draft invoice without lines (not yet announced). */
export function createInvoice(ctx: StripeContext, f: NewInvoice): Invoice {
  const id = ctx.ids.next('in');
  const c = f.customer;
  const sub = f.subscription;
  const inv: Invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Stripe Emulator',
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: f.autoAdvance,
    automatic_tax: {
      disabled_reason: null,
      enabled: false,
      liability: null,
      provider: null,
      status: null,
    },
    automatically_finalizes_at: null,
    billing_reason: f.billingReason,
    collection_method: f.collectionMethod,
    created: f.created,
    currency: f.currency,
    custom_fields: null,
    customer: c.id,
    customer_account: null,
    customer_address: c.address ?? null,
    customer_email: c.email,
    customer_name: c.name ?? null,
    customer_phone: c.phone ?? null,
    customer_shipping: c.shipping,
    customer_tax_exempt: c.tax_exempt ?? 'none',
    customer_tax_ids: [],
    default_payment_method: f.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: f.defaultTaxRates ?? [],
    description: f.description ?? null,
    discounts: [],
    due_date: f.dueDate ?? null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: embeddedList<InvoiceLine>([], `/v1/invoices/${id}/lines`),
    livemode: false,
    metadata: f.metadata ?? {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: sub
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { metadata: { ...sub.metadata }, subscription: sub.id },
        }
      : null,
    payment_settings: {
      default_mandate: null,
      payment_method_options: null,
      payment_method_types: null,
    },
    period_end: f.periodEnd ?? f.created,
    period_start: f.periodStart ?? f.created,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: {
      finalized_at: null,
      marked_uncollectible_at: null,
      paid_at: null,
      voided_at: null,
    },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: clockOf(ctx, c.id),
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
  if (f.collectionMethod === 'send_invoice' && typeof f.daysUntilDue === 'number') {
    ctx.state.daysUntilDue.set(id, f.daysUntilDue);
  }
  if (c.currency === null || c.currency === undefined) c.currency = f.currency;
  return ctx.state.invoices.add(inv);
}

/** The invoice a subscription invoice belongs to, if any. */
export function subscriptionOf(ctx: StripeContext, inv: Invoice): Subscription | undefined {
  const id = idOf(inv.parent?.subscription_details?.subscription ?? null);
  return id ? ctx.state.subscriptions.get(id) : undefined;
}

/** A line billing `item` for `period` (a subscription's recurring charge). */
export function addSubscriptionLine(
  ctx: StripeContext,
  inv: Invoice,
  sub: Subscription,
  item: SubscriptionItem,
  period: { start: number; end: number },
): InvoiceLine {
  const price = item.price;
  const metered = price.recurring?.usage_type === 'metered';
  const qty = metered ? 0 : (item.quantity ?? 1);
  const amount = roundMinor(unitAmountOf(price) * qty);
  const interval = price.recurring?.interval ?? 'month';
  const count = price.recurring?.interval_count ?? 1;
  const every = count === 1 ? interval : `every ${count} ${interval}s`;
  const line: InvoiceLine = {
    id: ctx.ids.next('il'),
    object: 'line_item',
    amount,
    currency: price.currency,
    description: `${qty} × ${productName(ctx, price)} (at ${formatMoney(unitAmountOf(price), price.currency)} / ${every})`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: inv.id,
    livemode: false,
    metadata: { ...sub.metadata },
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: sub.id,
        subscription_item: item.id,
      },
    },
    period: { ...period },
    pretax_credit_amounts: [],
    pricing: {
      type: 'price_details',
      price_details: { price: price.id, product: productId(price) },
      unit_amount_decimal: price.unit_amount_decimal,
    },
    quantity: qty,
    quantity_decimal: String(qty),
    subscription: sub.id,
    subtotal: amount,
    taxes: [],
  };
  const own = (item.tax_rates ?? []).map((t) => t.id);
  if (own.length > 0) ctx.state.ownTaxRates.set(line.id, own);
  inv.lines.data.push(line);
  return line;
}

/** Moves a pending invoice item onto `inv` as a line. */
export function addInvoiceItemLine(ctx: StripeContext, inv: Invoice, ii: InvoiceItem): InvoiceLine {
  const details = ii.parent?.subscription_details ?? null;
  const line: InvoiceLine = {
    id: ctx.ids.next('il'),
    object: 'line_item',
    amount: ii.amount,
    currency: ii.currency,
    description: ii.description,
    discount_amounts: [],
    discountable: ii.discountable,
    discounts: [],
    invoice: inv.id,
    livemode: false,
    metadata: { ...(ii.metadata ?? {}) },
    parent: details?.subscription_item
      ? {
          type: 'subscription_item_details',
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: ii.id,
            proration: ii.proration,
            proration_details: { credited_items: null },
            subscription: details.subscription,
            subscription_item: details.subscription_item,
          },
        }
      : {
          type: 'invoice_item_details',
          invoice_item_details: {
            invoice_item: ii.id,
            proration: ii.proration,
            proration_details: { credited_items: null },
            subscription: details?.subscription ?? null,
          },
          subscription_item_details: null,
        },
    period: { ...ii.period },
    pretax_credit_amounts: [],
    pricing: ii.pricing ? { ...ii.pricing } : null,
    quantity: ii.quantity,
    quantity_decimal: ii.quantity_decimal,
    subscription: details?.subscription ?? null,
    subtotal: ii.amount,
    taxes: [],
  };
  const own = (ii.tax_rates ?? []).map((t) => t.id);
  if (own.length > 0) ctx.state.ownTaxRates.set(line.id, own);
  ii.invoice = inv.id;
  inv.lines.data.push(line);
  return line;
}

/**
 * Pulls the customer's pending invoice items onto `inv`: those of `subscriptionId` and,
 * when `untied` is true, those tied to no subscription.
 */
export function pullPendingItems(
  ctx: StripeContext,
  inv: Invoice,
  subscriptionId: string | null,
  untied: boolean,
): void {
  for (const ii of ctx.state.invoiceItems.values()) {
    if (ii.invoice !== null || ii.customer !== inv.customer || ii.currency !== inv.currency)
      continue;
    const tied = ii.parent?.subscription_details?.subscription ?? null;
    if (tied === null ? untied : tied === subscriptionId) addInvoiceItemLine(ctx, inv, ii);
  }
}

/** Fields of a new invoice item. */
export interface NewInvoiceItem {
  customer: string;
  amount: number;
  currency: string;
  description: string | null;
  period: { start: number; end: number };
  quantity: number;
  unitAmountDecimal: string | null;
  price?: Price;
  proration: boolean;
  subscription?: { id: string; item?: string };
  taxRates?: TaxRate[] | null;
  metadata?: Record<string, string>;
  discountable?: boolean;
  date: number;
}

/** Creates an invoice item (`invoiceitem.created`), pending until an invoice takes it. */
export function createInvoiceItem(ctx: StripeContext, f: NewInvoiceItem): InvoiceItem {
  const ii: InvoiceItem = {
    id: ctx.ids.next('ii'),
    object: 'invoiceitem',
    amount: f.amount,
    currency: f.currency,
    customer: f.customer,
    customer_account: null,
    date: f.date,
    description: f.description,
    discountable: f.discountable ?? !f.proration,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: f.metadata ?? {},
    net_amount: f.amount,
    parent: f.subscription
      ? {
          type: 'subscription_details',
          subscription_details: {
            subscription: f.subscription.id,
            ...(f.subscription.item !== undefined && { subscription_item: f.subscription.item }),
          },
        }
      : null,
    period: { ...f.period },
    pricing: f.price
      ? {
          type: 'price_details',
          price_details: { price: f.price.id, product: productId(f.price) },
          unit_amount_decimal: f.unitAmountDecimal,
        }
      : { type: 'price_details', unit_amount_decimal: f.unitAmountDecimal },
    proration: f.proration,
    proration_details: { credited_items: null, discount_amounts: [] },
    quantity: f.quantity,
    quantity_decimal: String(f.quantity),
    tax_rates: f.taxRates ?? [],
    test_clock: clockOf(ctx, f.customer),
  };
  ctx.state.invoiceItems.add(ii);
  emit(ctx, 'invoiceitem.created', ii, { created: f.date });
  return ii;
}

type LineTax = NonNullable<InvoiceLine['taxes']>[number];

/** Per-line taxes from the line's own rates, else the invoice's `default_tax_rates`. */
export function taxesFor(
  ctx: StripeContext,
  amount: number,
  rateIds: readonly string[],
): LineTax[] {
  const rates = rateIds.map((id) => ctx.state.taxRates.get(id)).filter((r) => r !== undefined);
  const inclusivePct = rates.filter((r) => r.inclusive).reduce((s, r) => s + r.percentage, 0);
  const taxable = inclusivePct > 0 ? roundMinor(amount / (1 + inclusivePct / 100)) : amount;
  return rates.map((r) => ({
    amount: roundMinor((taxable * r.percentage) / 100),
    tax_behavior: r.inclusive ? 'inclusive' : 'exclusive',
    tax_rate_details: { tax_rate: r.id },
    taxability_reason: 'standard_rated',
    taxable_amount: taxable,
    type: 'tax_rate_details',
  }));
}

/** Recomputes line taxes and the invoice's subtotal, taxes and totals (drafts). */
export function recomputeInvoice(ctx: StripeContext, inv: Invoice): void {
  const defaults = inv.default_tax_rates.map((t) => t.id);
  const totals = new Map<string, LineTax>();
  let subtotal = 0;
  let inclusive = 0;
  let exclusive = 0;
  for (const line of inv.lines.data) {
    const own = ctx.state.ownTaxRates.get(line.id);
    line.taxes = taxesFor(ctx, line.amount, own && own.length > 0 ? own : defaults);
    line.subtotal = line.amount;
    subtotal += line.amount;
    for (const t of line.taxes) {
      if (t.tax_behavior === 'inclusive') inclusive += t.amount;
      else exclusive += t.amount;
      const key = `${t.tax_rate_details?.tax_rate}/${t.tax_behavior}`;
      const agg = totals.get(key);
      if (agg) {
        agg.amount += t.amount;
        agg.taxable_amount = (agg.taxable_amount ?? 0) + (t.taxable_amount ?? 0);
      } else
        totals.set(key, {
          ...t,
          tax_rate_details: t.tax_rate_details && { ...t.tax_rate_details },
        });
    }
  }
  inv.subtotal = subtotal;
  inv.subtotal_excluding_tax = subtotal - inclusive;
  inv.total = subtotal + exclusive;
  inv.total_excluding_tax = subtotal - inclusive;
  inv.total_taxes = [...totals.values()];
  if (inv.status === 'draft') {
    inv.amount_due = Math.max(inv.total, 0);
    inv.amount_remaining = inv.amount_due;
  }
  inv.lines.total_count = inv.lines.data.length;
}

/** Announces a new draft (`invoice.created`); `autoFinalizeAt` schedules its finalization. */
export function announceInvoice(ctx: StripeContext, inv: Invoice, autoFinalizeAt?: number): void {
  recomputeInvoice(ctx, inv);
  if (autoFinalizeAt !== undefined) inv.automatically_finalizes_at = autoFinalizeAt;
  emit(ctx, 'invoice.created', inv, { created: inv.created });
}

function setCustomerBalance(
  ctx: StripeContext,
  customerId: string,
  balance: number,
  at: number,
): void {
  const c = ctx.state.customers.get(customerId);
  if (!c || c.balance === balance) return;
  update(
    ctx,
    'customer.updated',
    c,
    (o) => {
      o.balance = balance;
    },
    at,
  );
}

/**
 * Finalizes a draft: the customer's balance applies (a credit lowers `amount_due`; a negative
 * total becomes credit), a `number` is assigned, status `open` (`invoice.finalized`); an invoice
 * with nothing due is paid at once (`invoice.paid`).
 */
export function finalizeInvoice(ctx: StripeContext, inv: Invoice, at: number): void {
  if (inv.status !== 'draft') {
    throw invalidRequest(
      "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
      undefined,
      'invoice_not_editable',
    );
  }
  recomputeInvoice(ctx, inv);
  const customerId = idOf(inv.customer) ?? '';
  const customer = ctx.state.customers.get(customerId);
  const balance = customer?.balance ?? 0;
  const net = inv.total + balance;
  inv.starting_balance = balance;
  inv.amount_due = Math.max(net, 0);
  inv.amount_remaining = inv.amount_due;
  inv.ending_balance = Math.min(net, 0);
  setCustomerBalance(ctx, customerId, inv.ending_balance, at);
  if (customer) {
    const seq = customer.next_invoice_sequence ?? 1;
    inv.number = `${customer.invoice_prefix ?? 'INV'}-${String(seq).padStart(4, '0')}`;
    customer.next_invoice_sequence = seq + 1;
  }
  inv.status = 'open';
  inv.status_transitions.finalized_at = at;
  inv.effective_at = at;
  inv.automatically_finalizes_at = null;
  inv.webhooks_delivered_at = at;
  if (inv.collection_method === 'send_invoice' && inv.due_date === null) {
    const days = ctx.state.daysUntilDue.get(inv.id) ?? 30;
    inv.due_date = at + days * 86_400;
  }
  inv.next_payment_attempt = null;
  emit(ctx, 'invoice.finalized', inv, { created: at });
  if (inv.amount_due === 0) markPaid(ctx, inv, at, false);
}

/** Marks an invoice paid (`invoice.paid`, and `invoice.payment_succeeded` when charged or $0). */
export function markPaid(
  ctx: StripeContext,
  inv: Invoice,
  at: number,
  withPaymentEvents: boolean,
): void {
  inv.amount_paid += inv.amount_remaining;
  inv.amount_remaining = 0;
  inv.status = 'paid';
  inv.status_transitions.paid_at = at;
  inv.next_payment_attempt = null;
  emit(ctx, 'invoice.paid', inv, { created: at });
  if (withPaymentEvents || inv.amount_due === 0) {
    emit(ctx, 'invoice.payment_succeeded', inv, { created: at });
  }
  settleSubscription(ctx, inv, at);
  const customer = ctx.state.customers.get(idOf(inv.customer) ?? '');
  if (customer?.delinquent) {
    update(
      ctx,
      'customer.updated',
      customer,
      (c) => {
        c.delinquent = false;
      },
      at,
    );
  }
}

/** A subscription whose latest invoice no longer awaits payment becomes active again. */
function settleSubscription(ctx: StripeContext, inv: Invoice, at: number): void {
  const sub = subscriptionOf(ctx, inv);
  if (!sub || sub.latest_invoice !== inv.id) return;
  const recovers =
    sub.status === 'past_due' ||
    sub.status === 'unpaid' ||
    (sub.status === 'incomplete' && inv.status === 'paid');
  if (!recovers) return;
  update(
    ctx,
    'customer.subscription.updated',
    sub,
    (s) => {
      s.status = 'active';
    },
    at,
  );
}

function paymentFailed(ctx: StripeContext, inv: Invoice, at: number): void {
  inv.next_payment_attempt = null;
  emit(ctx, 'invoice.payment_failed', inv, { created: at });
  const customer = ctx.state.customers.get(idOf(inv.customer) ?? '');
  if (customer && !customer.delinquent) {
    update(
      ctx,
      'customer.updated',
      customer,
      (c) => {
        c.delinquent = true;
      },
      at,
    );
  }
  const sub = subscriptionOf(ctx, inv);
  if (
    sub &&
    sub.latest_invoice === inv.id &&
    (sub.status === 'active' || sub.status === 'trialing')
  ) {
    update(
      ctx,
      'customer.subscription.updated',
      sub,
      (s) => {
        s.status = 'past_due';
      },
      at,
    );
  }
}

/** The payment method an invoice charges: its own, its subscription's, then the customer's. */
export function invoicePaymentMethod(ctx: StripeContext, inv: Invoice): string | null {
  const sub = subscriptionOf(ctx, inv);
  const customer = ctx.state.customers.get(idOf(inv.customer) ?? '');
  return (
    idOf(inv.default_payment_method) ??
    idOf(sub?.default_payment_method ?? null) ??
    idOf(customer?.invoice_settings.default_payment_method ?? null)
  );
}

/** The outcome of a payment attempt on an invoice. */
export interface InvoicePaymentOutcome {
  ok: boolean;
  /** What `/pay` answers with when the attempt failed. */
  error?: kit.EmulatorHttpError;
}

const noPaymentMethod = () =>
  invalidRequest(
    'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
  );

/**
 * Attempts to collect an open invoice at `at`: a payment intent and a charge on the invoice's
 * payment method (`paymentMethod` overrides). Success → `paid` (`invoice_payment.paid`,
 * `invoice.paid`, `invoice.payment_succeeded`); a decline or a missing payment method →
 * `invoice.payment_failed`, the invoice stays open and its subscription goes `past_due`.
 */
export function payInvoice(
  ctx: StripeContext,
  inv: Invoice,
  at: number,
  options: { paymentMethod?: string; outOfBand?: boolean } = {},
): InvoicePaymentOutcome {
  if (inv.status === 'paid') {
    return {
      ok: false,
      error: invalidRequest('Invoice is already paid', undefined, 'invoice_already_paid'),
    };
  }
  if (inv.status !== 'open' && inv.status !== 'uncollectible') {
    return {
      ok: false,
      error: invalidRequest(
        `You cannot pay an invoice with status ${inv.status}.`,
        undefined,
        'invoice_not_editable',
      ),
    };
  }
  if (options.outOfBand || inv.amount_remaining === 0) {
    inv.amount_paid_off_stripe =
      (inv.amount_paid_off_stripe ?? 0) + (options.outOfBand ? inv.amount_remaining : 0);
    markPaid(ctx, inv, at, false);
    return { ok: true };
  }
  const customerId = idOf(inv.customer);
  const pmId = options.paymentMethod
    ? resolvePaymentMethod(ctx, options.paymentMethod, customerId, 'payment_method').id
    : invoicePaymentMethod(ctx, inv);
  inv.attempt_count += 1;
  inv.attempted = true;
  if (!pmId) {
    paymentFailed(ctx, inv, at);
    return { ok: false, error: noPaymentMethod() };
  }
  let pi = ctx.state.paymentIntents.get(ctx.state.invoicePaymentIntent.get(inv.id) ?? '');
  if (!pi || (pi.status !== 'requires_payment_method' && pi.status !== 'requires_confirmation')) {
    const reason = inv.billing_reason;
    pi = createPaymentIntent(ctx, {
      amount: inv.amount_remaining,
      currency: inv.currency,
      customer: customerId,
      description:
        reason === 'subscription_create'
          ? 'Subscription creation'
          : reason === 'subscription_cycle' || reason === 'subscription_update'
            ? 'Subscription update'
            : (inv.description ?? null),
      created: at,
    });
    ctx.state.invoicePaymentIntent.set(inv.id, pi.id);
    const payment: InvoicePayment = {
      id: ctx.ids.next('inpay'),
      object: 'invoice_payment',
      amount_paid: null,
      amount_requested: inv.amount_remaining,
      created: at,
      currency: inv.currency,
      invoice: inv.id,
      is_default: true,
      livemode: false,
      payment: { type: 'payment_intent', payment_intent: pi.id },
      status: 'open',
      status_transitions: { canceled_at: null, paid_at: null },
    };
    for (const other of ctx.state.invoicePayments.values()) {
      if (other.invoice === inv.id) other.is_default = false;
    }
    ctx.state.invoicePayments.add(payment);
  }
  pi.amount = inv.amount_remaining;
  pi.payment_method = pmId;
  pi.status = 'requires_confirmation';
  const outcome = confirmPaymentIntent(ctx, pi, at);
  if (!outcome.ok) {
    paymentFailed(ctx, inv, at);
    return { ok: false, ...(outcome.error && { error: outcome.error }) };
  }
  const payment = [...ctx.state.invoicePayments.values()].find(
    (x) => x.invoice === inv.id && x.payment.payment_intent === pi.id,
  );
  if (payment) {
    payment.status = 'paid';
    payment.amount_paid = pi.amount;
    payment.status_transitions.paid_at = at;
    emit(ctx, 'invoice_payment.paid', payment, { created: at });
  }
  markPaid(ctx, inv, at, true);
  return { ok: true };
}

/** Whether charging `pmId` (or no method at all) would fail, without side effects. */
export function wouldDecline(
  ctx: StripeContext,
  pmId: string | null,
): kit.EmulatorHttpError | null {
  if (!pmId) return noPaymentMethod();
  const decline = ctx.state.cards.get(pmId)?.decline;
  if (!decline) return null;
  return stripeError(402, {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.declineCode,
    message: decline.message,
  });
}

/** Voids an open or uncollectible invoice (`invoice.voided`); a balance it used comes back. */
export function voidInvoice(ctx: StripeContext, inv: Invoice, at: number): void {
  if (inv.status !== 'open' && inv.status !== 'uncollectible') {
    throw invalidRequest(
      inv.status === 'draft'
        ? 'You can only void invoices that have been finalized. Delete draft invoices instead.'
        : `You cannot void an invoice with status ${inv.status}.`,
      undefined,
      'invoice_not_editable',
    );
  }
  const customerId = idOf(inv.customer) ?? '';
  const customer = ctx.state.customers.get(customerId);
  const used = (inv.starting_balance ?? 0) - (inv.ending_balance ?? 0);
  if (customer && used !== 0) setCustomerBalance(ctx, customerId, customer.balance + used, at);
  inv.status = 'void';
  inv.status_transitions.voided_at = at;
  inv.next_payment_attempt = null;
  const pi = ctx.state.paymentIntents.get(ctx.state.invoicePaymentIntent.get(inv.id) ?? '');
  if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') {
    pi.status = 'canceled';
    pi.canceled_at = at;
    pi.cancellation_reason = 'void_invoice';
    emit(ctx, 'payment_intent.canceled', pi, { created: at });
  }
  emit(ctx, 'invoice.voided', inv, { created: at });
  settleSubscription(ctx, inv, at);
}

/** Marks an open invoice uncollectible (`invoice.marked_uncollectible`). */
export function markUncollectible(ctx: StripeContext, inv: Invoice, at: number): void {
  if (inv.status !== 'open') {
    throw invalidRequest(
      `You can only mark open invoices as uncollectible; this invoice is ${inv.status}.`,
      undefined,
      'invoice_not_editable',
    );
  }
  inv.status = 'uncollectible';
  inv.status_transitions.marked_uncollectible_at = at;
  inv.next_payment_attempt = null;
  emit(ctx, 'invoice.marked_uncollectible', inv, { created: at });
  settleSubscription(ctx, inv, at);
}

/**
 * Finalizes (if draft) and, for automatic collection, charges an invoice at `at` — what
 * Stripe does with a subscription's invoice. Payment failures are recorded, not thrown.
 */
export function advanceInvoice(
  ctx: StripeContext,
  inv: Invoice,
  at: number,
): InvoicePaymentOutcome {
  if (inv.status === 'draft') finalizeInvoice(ctx, inv, at);
  if (inv.status === 'open' && inv.collection_method === 'charge_automatically') {
    return payInvoice(ctx, inv, at);
  }
  return { ok: inv.status === 'paid' };
}
