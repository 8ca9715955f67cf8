import type * as kit from '../kit/index.ts';
import {
  addSubscriptionLine,
  advanceInvoice,
  announceInvoice,
  createInvoice,
  createInvoiceItem,
  currentPeriod,
  finalizeInvoice,
  FINALIZE_DELAY_SECONDS,
  formatDate,
  invoicePaymentMethod,
  payInvoice,
  pullPendingItems,
  voidInvoice,
  wouldDecline,
} from './billing.ts';
import { clockOf, emit, nowFor, update, type StripeContext } from './context.ts';
import { invalidRequest, missingParam, noSuch } from './errors.ts';
import { paginate, rangeFilter } from './lists.ts';
import { getCustomer, getPrice, getSubscription, getTaxRates, idOf } from './lookup.ts';
import type { Params } from './params.ts';
import { resolvePaymentMethod } from './payment-methods.ts';
import { buildPrice, planOf, unitAmountOf } from './products.ts';
import { addIntervals, nextBoundary, prorate, type Interval } from './proration.ts';
import { route } from './route.ts';
import { readField, search } from './search.ts';
import type { Invoice, Price, Subscription, SubscriptionItem, TaxRate } from './state.ts';

type ProrationBehavior = 'create_prorations' | 'always_invoice' | 'none';
type PaymentBehavior =
  'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete' | 'pending_if_incomplete';

const PRORATION: readonly ProrationBehavior[] = ['create_prorations', 'always_invoice', 'none'];
const PAYMENT: readonly PaymentBehavior[] = [
  'allow_incomplete',
  'default_incomplete',
  'error_if_incomplete',
  'pending_if_incomplete',
];
const ENDED = new Set(['canceled', 'incomplete_expired']);

/** One requested change to a subscription's items (`items[n]` or a subscription item call). */
export interface ItemChange {
  id?: string;
  price?: Price;
  quantity?: number;
  deleted?: boolean;
  params?: Params;
  taxRates?: TaxRate[];
  /** Parameter prefix for errors, e.g. `items[0]`. */
  param: string;
}

/** A requested subscription update. */
export interface SubscriptionChange {
  items: ItemChange[];
  prorationBehavior: ProrationBehavior;
  prorationDate?: number;
  anchorNow: boolean;
  paymentBehavior: PaymentBehavior;
  /** Applies the non-item fields inside the `customer.subscription.updated` mutation. */
  apply?: (sub: Subscription) => void;
}

function intervalOf(price: Price): { interval: Interval; count: number } {
  return {
    interval: (price.recurring?.interval ?? 'month') as Interval,
    count: price.recurring?.interval_count ?? 1,
  };
}

function amountOf(price: Price, qty: number): number {
  return price.recurring?.usage_type === 'metered' ? 0 : Math.round(unitAmountOf(price) * qty);
}

function productName(ctx: StripeContext, price: Price): string {
  const id = idOf(price.product) ?? '';
  return ctx.state.products.get(id)?.name ?? id;
}

const ITEM_KEYS = [
  'id',
  'price',
  'price_data',
  'plan',
  'quantity',
  'deleted',
  'metadata',
  'tax_rates',
  'clear_usage',
  'discounts',
  'billing_thresholds',
];

/**
 * Reads the item fields (`price`, `price_data`, `quantity`, `tax_rates`, `metadata`, …) of an
 * `items[n]` hash or of a subscription item call into an {@link ItemChange}.
 */
function readItem(ctx: StripeContext, p: Params, created: number, param: string): ItemChange {
  const change: ItemChange = { param };
  if (p.has('metadata')) change.params = p;
  const id = p.str('id');
  if (id !== undefined) change.id = id;
  const priceId = p.str('price') ?? p.str('plan');
  const data = p.obj('price_data');
  if (priceId !== undefined) change.price = getPrice(ctx, priceId, p.name('price'));
  else if (data) {
    data.allow(
      'currency',
      'product',
      'recurring',
      'unit_amount',
      'unit_amount_decimal',
      'tax_behavior',
    );
    const product = data.reqStr('product');
    if (!ctx.state.products.has(product)) throw noSuch('product', product, data.name('product'));
    if (!data.has('recurring')) throw missingParam(data.name('recurring'));
    const price = buildPrice(ctx, data, product, created);
    price.active = false;
    ctx.state.prices.add(price);
    change.price = price;
  }
  if (change.price && change.price.type !== 'recurring') {
    throw invalidRequest(
      'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
      p.name('price'),
    );
  }
  if (change.price && !change.price.active && priceId !== undefined) {
    throw invalidRequest(
      `The price specified is inactive. This field only accepts active prices.`,
      p.name('price'),
    );
  }
  const quantity = p.int('quantity', { min: 0 });
  if (quantity !== undefined) change.quantity = quantity;
  if (p.bool('deleted')) change.deleted = true;
  const rates = p.strings('tax_rates');
  if (rates !== undefined) change.taxRates = getTaxRates(ctx, rates, p.name('tax_rates'));
  return change;
}

function newItem(
  ctx: StripeContext,
  sub: Subscription,
  change: ItemChange,
  price: Price,
  period: { start: number; end: number },
  created: number,
): SubscriptionItem {
  const item: SubscriptionItem = {
    id: ctx.ids.next('si'),
    object: 'subscription_item',
    billing_thresholds: null,
    created,
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata: change.params?.metadata() ?? {},
    plan: planOf(price),
    price,
    quantity: change.quantity ?? 1,
    subscription: sub.id,
    tax_rates: change.taxRates ?? [],
  };
  ctx.state.subscriptionItems.add(item);
  return item;
}

/** A proration for one item: a credit for the old price and/or a charge for the new one. */
interface Proration {
  item: SubscriptionItem | null;
  /** Filled in once the item exists (new items). */
  itemId?: string;
  price: Price;
  quantity: number;
  amount: number;
  kind: 'unused' | 'remaining';
  taxRates: TaxRate[];
}

function createProrationItems(
  ctx: StripeContext,
  sub: Subscription,
  prorations: readonly Proration[],
  at: number,
  periodEnd: number,
): void {
  for (const pr of prorations) {
    if (pr.amount === 0) continue;
    const name = productName(ctx, pr.price);
    const label = pr.kind === 'unused' ? 'Unused time' : 'Remaining time';
    createInvoiceItem(ctx, {
      customer: idOf(sub.customer) ?? '',
      amount: pr.amount,
      currency: sub.currency,
      description: `${label} on ${pr.quantity} × ${name} after ${formatDate(at)}`,
      period: { start: at, end: periodEnd },
      quantity: pr.quantity,
      unitAmountDecimal: pr.quantity > 0 ? String(pr.amount / pr.quantity) : String(pr.amount),
      price: pr.price,
      proration: true,
      subscription: { id: sub.id, item: pr.itemId ?? pr.item?.id ?? '' },
      taxRates: pr.taxRates,
      date: at,
    });
  }
}

/** An invoice for a subscription's pending items (and, with `fullPeriod`, its new period), finalized and charged at once. */
function invoiceNow(
  ctx: StripeContext,
  sub: Subscription,
  at: number,
  fullPeriod: { start: number; end: number } | null,
  paymentBehavior: PaymentBehavior,
): Invoice | null {
  const hasPending = [...ctx.state.invoiceItems.values()].some(
    (ii) => ii.invoice === null && ii.parent?.subscription_details?.subscription === sub.id,
  );
  if (!fullPeriod && !hasPending) return null;
  const customer = getCustomer(ctx, idOf(sub.customer) ?? '');
  const inv = createInvoice(ctx, {
    customer,
    subscription: sub,
    billingReason: 'subscription_update',
    collectionMethod: sub.collection_method,
    currency: sub.currency,
    created: at,
    autoAdvance: true,
    defaultTaxRates: sub.default_tax_rates ?? [],
    daysUntilDue: sub.days_until_due,
  });
  if (fullPeriod) {
    for (const item of sub.items.data) addSubscriptionLine(ctx, inv, sub, item, fullPeriod);
  }
  pullPendingItems(ctx, inv, sub.id, fullPeriod !== null);
  sub.latest_invoice = inv.id;
  announceInvoice(ctx, inv);
  finalizeInvoice(ctx, inv, at);
  if (paymentBehavior !== 'default_incomplete' && inv.status === 'open') {
    if (inv.collection_method === 'charge_automatically') payInvoice(ctx, inv, at);
  }
  return inv;
}

/**
 * Applies an update at the subscription's "now" (or `prorationDate`): item price/quantity
 * changes with Stripe's prorations (credit unused time on the old price, charge remaining
 * time on the new, by seconds), `billing_cycle_anchor=now` (new period, invoiced at once),
 * and `always_invoice` (the prorations invoiced and charged at once).
 */
export function updateSubscription(
  ctx: StripeContext,
  sub: Subscription,
  change: SubscriptionChange,
): Subscription {
  const customerId = idOf(sub.customer) ?? '';
  if (ENDED.has(sub.status) && (change.items.length > 0 || change.anchorNow)) {
    throw invalidRequest(
      'A canceled subscription can only update its cancellation_details and metadata.',
    );
  }
  if (change.paymentBehavior === 'pending_if_incomplete') {
    throw invalidRequest(
      'The emulator does not support payment_behavior=pending_if_incomplete (pending updates).',
      'payment_behavior',
    );
  }
  const period = currentPeriod(sub);
  const at = change.prorationDate ?? nowFor(ctx, customerId);
  if (change.prorationDate !== undefined && (at < period.start || at > period.end)) {
    throw invalidRequest(
      'The proration_date must be within the current billing period of the subscription.',
      'proration_date',
    );
  }

  // Plan the item changes first, so that a refused payment leaves everything untouched.
  interface Planned {
    change: ItemChange;
    item: SubscriptionItem | null;
    oldPrice?: Price;
    oldQty?: number;
    newPrice?: Price;
    newQty?: number;
  }
  const planned: Planned[] = [];
  const kept = new Map(sub.items.data.map((i) => [i.id, i]));
  for (const ch of change.items) {
    if (ch.id !== undefined) {
      const item = sub.items.data.find((i) => i.id === ch.id);
      if (!item) throw noSuch('subscription item', ch.id, `${ch.param}[id]`);
      const base = { change: ch, item, oldPrice: item.price, oldQty: item.quantity ?? 1 };
      if (ch.deleted) {
        kept.delete(item.id);
        planned.push(base);
      } else {
        planned.push({
          ...base,
          newPrice: ch.price ?? item.price,
          newQty: ch.quantity ?? item.quantity ?? 1,
        });
      }
    } else {
      if (ch.deleted) throw missingParam(`${ch.param}[id]`);
      if (!ch.price) throw missingParam(`${ch.param}[price]`);
      const price = ch.price;
      if (sub.items.data.some((i) => i.price.id === price.id)) {
        throw invalidRequest(
          `Cannot add multiple subscription items with the same price: ${price.id}. Update the quantity of the existing subscription item instead.`,
          `${ch.param}[price]`,
        );
      }
      planned.push({ change: ch, item: null, newPrice: price, newQty: ch.quantity ?? 1 });
    }
  }
  const finalItems = [
    ...[...kept.values()].map((i) => {
      const pl = planned.find((x) => x.item?.id === i.id);
      return { price: pl?.newPrice ?? i.price, qty: pl?.newQty ?? i.quantity ?? 1 };
    }),
    ...planned
      .filter((x) => x.item === null)
      .map((x) => ({ price: x.newPrice as Price, qty: x.newQty ?? 1 })),
  ];
  const finalPrices = finalItems.map((f) => f.price);
  if (finalPrices.length === 0) {
    throw invalidRequest('A subscription must have at least one active plan.', 'items');
  }
  for (const price of finalPrices) {
    if (price.currency !== sub.currency) {
      throw invalidRequest(
        `The price ${price.id} has currency ${price.currency}, but the subscription is in ${sub.currency}.`,
        'items',
      );
    }
  }
  const oldInterval = intervalOf(sub.items.data[0]?.price ?? (finalPrices[0] as Price));
  const newInterval = intervalOf(finalPrices[0] as Price);
  if (finalPrices.some((p) => JSON.stringify(intervalOf(p)) !== JSON.stringify(newInterval))) {
    throw invalidRequest(
      'Currency and interval fields must match across all plans on a subscription.',
      'items',
    );
  }
  const anchorNow =
    change.anchorNow ||
    newInterval.interval !== oldInterval.interval ||
    newInterval.count !== oldInterval.count;

  const prorations: Proration[] = [];
  if (change.prorationBehavior !== 'none' && sub.status !== 'incomplete') {
    for (const pl of planned) {
      const priceChanged = pl.oldPrice && pl.newPrice && pl.oldPrice.id !== pl.newPrice.id;
      const qtyChanged =
        pl.oldQty !== undefined && pl.newQty !== undefined && pl.oldQty !== pl.newQty;
      const added = pl.item === null;
      const removed = pl.item !== null && pl.newPrice === undefined;
      if (!priceChanged && !qtyChanged && !added && !removed) continue;
      const taxRates = pl.change.taxRates ?? pl.item?.tax_rates ?? [];
      if (pl.oldPrice && pl.oldQty !== undefined) {
        const full = amountOf(pl.oldPrice, pl.oldQty);
        prorations.push({
          item: pl.item,
          price: pl.oldPrice,
          quantity: pl.oldQty,
          amount: -prorate(full, period.start, period.end, at),
          kind: 'unused',
          taxRates: pl.item?.tax_rates ?? [],
        });
      }
      if (pl.newPrice && pl.newQty !== undefined && !anchorNow) {
        const full = amountOf(pl.newPrice, pl.newQty);
        prorations.push({
          item: pl.item,
          price: pl.newPrice,
          quantity: pl.newQty,
          amount: prorate(full, period.start, period.end, at),
          kind: 'remaining',
          taxRates,
        });
      }
    }
  }

  const invoicesNow = anchorNow || change.prorationBehavior === 'always_invoice';
  if (
    invoicesNow &&
    change.paymentBehavior === 'error_if_incomplete' &&
    sub.collection_method === 'charge_automatically'
  ) {
    const periodCharge = anchorNow
      ? finalItems.reduce((sum, f) => sum + amountOf(f.price, f.qty), 0)
      : 0;
    const total = prorations.reduce((s, p) => s + p.amount, 0) + periodCharge;
    if (total > 0) {
      const customer = ctx.state.customers.get(customerId);
      const pm =
        idOf(sub.default_payment_method) ??
        idOf(customer?.invoice_settings.default_payment_method ?? null);
      const error = wouldDecline(ctx, pm);
      if (error) throw error;
    }
  }

  const newPeriod = anchorNow
    ? { start: at, end: addIntervals(at, newInterval.interval, newInterval.count, 1) }
    : period;
  update(
    ctx,
    'customer.subscription.updated',
    sub,
    (s) => {
      for (const pl of planned) {
        if (pl.item && pl.newPrice === undefined) {
          s.items.data = s.items.data.filter((i) => i.id !== pl.item?.id);
          ctx.state.subscriptionItems.delete(pl.item.id);
          continue;
        }
        const price = pl.newPrice as Price;
        const item = pl.item ?? newItem(ctx, s, pl.change, price, newPeriod, at);
        if (!pl.item) {
          s.items.data.push(item);
          for (const pr of prorations)
            if (pr.item === null && pr.price.id === price.id) pr.itemId = item.id;
        } else {
          item.price = price;
          item.plan = planOf(price);
          item.quantity = pl.newQty ?? item.quantity;
          if (pl.change.params?.has('metadata'))
            item.metadata = pl.change.params.metadata(item.metadata);
          if (pl.change.taxRates) item.tax_rates = pl.change.taxRates;
        }
      }
      if (anchorNow) {
        s.billing_cycle_anchor = at;
        for (const item of s.items.data) {
          item.current_period_start = newPeriod.start;
          item.current_period_end = newPeriod.end;
        }
        if (s.cancel_at_period_end) s.cancel_at = newPeriod.end;
      }
      s.items.total_count = s.items.data.length;
      change.apply?.(s);
    },
    at,
  );

  createProrationItems(ctx, sub, prorations, at, period.end);
  if (anchorNow) invoiceNow(ctx, sub, at, newPeriod, change.paymentBehavior);
  else if (change.prorationBehavior === 'always_invoice') {
    invoiceNow(ctx, sub, at, null, change.paymentBehavior);
  }
  return sub;
}

/**
 * Ends a subscription at `at` (`customer.subscription.deleted`); with `prorate`, credits the
 * unused time; with `invoiceNow`, bills what is pending at once.
 */
export function cancelSubscriptionNow(
  ctx: StripeContext,
  sub: Subscription,
  at: number,
  opts: {
    reason: 'cancellation_requested' | 'payment_failed' | 'payment_disputed';
    prorate?: boolean;
    invoiceNow?: boolean;
    comment?: string | null;
    feedback?: string | null;
  },
): void {
  const period = currentPeriod(sub);
  if (opts.prorate && at < period.end) {
    createProrationItems(
      ctx,
      sub,
      sub.items.data.map((item) => ({
        item,
        price: item.price,
        quantity: item.quantity ?? 1,
        amount: -prorate(amountOf(item.price, item.quantity ?? 1), period.start, period.end, at),
        kind: 'unused' as const,
        taxRates: item.tax_rates ?? [],
      })),
      at,
      period.end,
    );
  }
  sub.status = 'canceled';
  sub.canceled_at ??= at;
  sub.ended_at = at;
  sub.cancellation_details = {
    comment: opts.comment ?? sub.cancellation_details?.comment ?? null,
    feedback: (opts.feedback ?? sub.cancellation_details?.feedback ?? null) as NonNullable<
      Subscription['cancellation_details']
    >['feedback'],
    feedback_option: null,
    reason: opts.reason,
  };
  emit(ctx, 'customer.subscription.deleted', sub, { created: at });
  if (opts.invoiceNow) invoiceNow(ctx, sub, at, null, 'allow_incomplete');
}

/**
 * Bills a subscription at the end of its period: the next period starts, and a renewal
 * invoice (`subscription_cycle`) is created as a draft that finalizes an hour later. A
 * subscription set to cancel ends instead.
 */
export function renewSubscription(ctx: StripeContext, sub: Subscription, at: number): void {
  const period = currentPeriod(sub);
  if (sub.cancel_at !== null && sub.cancel_at <= period.end) {
    cancelSubscriptionNow(ctx, sub, sub.cancel_at, { reason: 'cancellation_requested' });
    return;
  }
  const first = sub.items.data[0];
  if (!first) return;
  const { interval, count } = intervalOf(first.price);
  const newPeriod = {
    start: period.end,
    end: nextBoundary(sub.billing_cycle_anchor, interval, count, period.end),
  };
  const customer = getCustomer(ctx, idOf(sub.customer) ?? '');
  let inv: Invoice | undefined;
  update(
    ctx,
    'customer.subscription.updated',
    sub,
    (s) => {
      if (s.status === 'trialing') s.status = 'active';
      for (const item of s.items.data) {
        item.current_period_start = newPeriod.start;
        item.current_period_end = newPeriod.end;
      }
      const invoice = createInvoice(ctx, {
        customer,
        subscription: s,
        billingReason: 'subscription_cycle',
        collectionMethod: s.collection_method,
        currency: s.currency,
        created: at,
        periodStart: period.start,
        periodEnd: period.end,
        autoAdvance: true,
        defaultTaxRates: s.default_tax_rates ?? [],
        daysUntilDue: s.days_until_due,
      });
      for (const item of s.items.data) {
        const metered = item.price.recurring?.usage_type === 'metered';
        addSubscriptionLine(ctx, invoice, s, item, metered ? period : newPeriod);
      }
      pullPendingItems(ctx, invoice, s.id, true);
      s.latest_invoice = invoice.id;
      inv = invoice;
    },
    at,
  );
  if (inv) announceInvoice(ctx, inv, at + FINALIZE_DELAY_SECONDS);
}

/** An `incomplete` subscription whose first invoice went unpaid for 23 hours expires. */
export function expireIncomplete(ctx: StripeContext, sub: Subscription, at: number): void {
  const inv = ctx.state.invoices.get(idOf(sub.latest_invoice) ?? '');
  sub.status = 'incomplete_expired';
  sub.ended_at = at;
  if (inv && inv.status === 'open') voidInvoice(ctx, inv, at);
  emit(ctx, 'customer.subscription.deleted', sub, { created: at });
}

/** When an `incomplete` subscription expires (Stripe: 23 hours after creation). */
export const INCOMPLETE_EXPIRY_SECONDS = 23 * 3600;

const CREATE_PARAMS = [
  'customer',
  'items',
  'default_payment_method',
  'collection_method',
  'days_until_due',
  'metadata',
  'payment_behavior',
  'default_tax_rates',
  'description',
  'cancel_at_period_end',
  'cancel_at',
  'currency',
  'proration_behavior',
  'off_session',
  'payment_settings',
  'trial_period_days',
  'trial_end',
  'billing_cycle_anchor',
  'add_invoice_items',
  'automatic_tax',
  'invoice_settings',
  'billing_mode',
  'trial_from_plan',
  'default_source',
];

function createSubscription(ctx: StripeContext, p: Params): Subscription {
  p.allow(...CREATE_PARAMS);
  const customer = getCustomer(ctx, p.reqStr('customer'), 'customer');
  const at = nowFor(ctx, customer.id);
  const itemParams = p.list('items') ?? [];
  if (itemParams.length === 0) throw missingParam('items');
  const changes = itemParams.map((ip, i) =>
    readItem(ctx, ip.allow(...ITEM_KEYS), at, `items[${i}]`),
  );
  const prices = changes.map((c, i) => {
    if (!c.price) throw missingParam(`items[${i}][price]`);
    return c.price;
  });
  const firstPrice = prices[0] as Price;
  const currency = firstPrice.currency;
  const { interval, count } = intervalOf(firstPrice);
  for (const price of prices) {
    const iv = intervalOf(price);
    if (price.currency !== currency || iv.interval !== interval || iv.count !== count) {
      throw invalidRequest(
        'Currency and interval fields must match across all plans on a subscription.',
        'items',
      );
    }
  }
  const collection =
    p.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const) ??
    'charge_automatically';
  const paymentBehavior = p.oneOf('payment_behavior', PAYMENT) ?? 'allow_incomplete';
  if (paymentBehavior === 'pending_if_incomplete') {
    throw invalidRequest(
      'payment_behavior=pending_if_incomplete is only valid when updating a subscription.',
      'payment_behavior',
    );
  }
  const pmParam = p.str('default_payment_method');
  const defaultPm = pmParam
    ? resolvePaymentMethod(ctx, pmParam, customer.id, 'default_payment_method', {
        requireAttached: true,
      }).id
    : null;
  const taxRates = getTaxRates(ctx, p.strings('default_tax_rates') ?? [], 'default_tax_rates');
  const trialDays = p.int('trial_period_days', { min: 0, max: 730 });
  const trialEndParam = p.str('trial_end');
  let trialEnd: number | null = null;
  if (trialEndParam !== undefined && trialEndParam !== 'now') {
    trialEnd = p.int('trial_end') ?? null;
    if (trialEnd !== null && trialEnd <= at) {
      throw invalidRequest(
        'Invalid timestamp: must be an integer Unix timestamp in the future.',
        'trial_end',
      );
    }
  } else if (trialDays !== undefined && trialDays > 0) trialEnd = at + trialDays * 86_400;
  const anchorParam = p.int('billing_cycle_anchor');
  if (anchorParam !== undefined && anchorParam <= at) {
    throw invalidRequest(
      'Invalid timestamp: must be an integer Unix timestamp in the future.',
      'billing_cycle_anchor',
    );
  }
  const anchor = trialEnd ?? anchorParam ?? at;
  const period = { start: at, end: anchor > at ? anchor : addIntervals(at, interval, count, 1) };
  const prorationBehavior = p.oneOf('proration_behavior', PRORATION) ?? 'create_prorations';

  if (
    paymentBehavior === 'error_if_incomplete' &&
    collection === 'charge_automatically' &&
    trialEnd === null
  ) {
    const due = prices.reduce((s, price, i) => s + amountOf(price, changes[i]?.quantity ?? 1), 0);
    if (due > 0) {
      const error = wouldDecline(
        ctx,
        defaultPm ?? idOf(customer.invoice_settings.default_payment_method),
      );
      if (error) throw error;
    }
  }

  const id = ctx.ids.next('sub');
  const cancelAtPeriodEnd = p.bool('cancel_at_period_end') ?? false;
  const sub: Subscription = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: anchor,
    billing_cycle_anchor_config: null,
    billing_mode: {
      flexible: { proration_discounts: 'included' },
      type: 'flexible',
      updated_at: at,
    },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: cancelAtPeriodEnd ? period.end : (p.int('cancel_at') ?? null),
    cancel_at_period_end: cancelAtPeriodEnd,
    canceled_at: cancelAtPeriodEnd ? at : null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: collection,
    created: at,
    currency,
    customer: customer.id,
    customer_account: null,
    days_until_due:
      collection === 'send_invoice' ? (p.int('days_until_due', { min: 0 }) ?? 30) : null,
    default_payment_method: defaultPm,
    default_source: null,
    default_tax_rates: taxRates,
    description: p.str('description') ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: {
      object: 'list',
      data: [],
      has_more: false,
      total_count: 0,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: p.metadata(),
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: at,
    status:
      trialEnd !== null ? 'trialing' : collection === 'send_invoice' ? 'active' : 'incomplete',
    test_clock: clockOf(ctx, customer.id),
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
    },
    trial_start: trialEnd !== null ? at : null,
  };
  ctx.state.subscriptions.add(sub);
  changes.forEach((c, i) =>
    sub.items.data.push(newItem(ctx, sub, c, prices[i] as Price, period, at)),
  );
  sub.items.total_count = sub.items.data.length;
  if (customer.currency === null || customer.currency === undefined) customer.currency = currency;
  emit(ctx, 'customer.subscription.created', sub, { created: at });

  const extra = p.list('add_invoice_items') ?? [];
  for (const ai of extra) {
    ai.allow('price', 'quantity', 'tax_rates', 'metadata', 'discounts', 'period', 'price_data');
    const price = getPrice(ctx, ai.reqStr('price'), ai.name('price'));
    const qty = ai.int('quantity', { min: 1 }) ?? 1;
    createInvoiceItem(ctx, {
      customer: customer.id,
      amount: Math.round(unitAmountOf(price) * qty),
      currency: price.currency,
      description: productName(ctx, price),
      period: { start: at, end: at },
      quantity: qty,
      unitAmountDecimal: price.unit_amount_decimal,
      price,
      proration: false,
      subscription: { id: sub.id },
      taxRates: getTaxRates(ctx, ai.strings('tax_rates') ?? [], ai.name('tax_rates')),
      metadata: ai.metadata(),
      date: at,
    });
  }

  const inv = createInvoice(ctx, {
    customer,
    subscription: sub,
    billingReason: 'subscription_create',
    collectionMethod: collection,
    currency,
    created: at,
    autoAdvance: true,
    defaultTaxRates: taxRates,
    daysUntilDue: sub.days_until_due,
  });
  for (const item of sub.items.data) {
    if (trialEnd !== null) {
      const line = addSubscriptionLine(ctx, inv, sub, item, period);
      line.amount = 0;
      line.description = `Trial period for ${productName(ctx, item.price)}`;
    } else if (anchor > at && prorationBehavior !== 'none') {
      const prev = addIntervals(anchor, interval, count, -1);
      createProrationItems(
        ctx,
        sub,
        [
          {
            item,
            price: item.price,
            quantity: item.quantity ?? 1,
            amount: prorate(amountOf(item.price, item.quantity ?? 1), prev, anchor, at),
            kind: 'remaining',
            taxRates: item.tax_rates ?? [],
          },
        ],
        at,
        anchor,
      );
    } else if (anchor === at) {
      addSubscriptionLine(ctx, inv, sub, item, period);
    }
  }
  pullPendingItems(ctx, inv, sub.id, true);
  sub.latest_invoice = inv.id;
  announceInvoice(ctx, inv);
  finalizeInvoice(ctx, inv, at);
  if (
    inv.status === 'open' &&
    collection === 'charge_automatically' &&
    paymentBehavior !== 'default_incomplete'
  ) {
    if (invoicePaymentMethod(ctx, inv)) advanceInvoice(ctx, inv, at);
  }
  return sub;
}

function readChange(ctx: StripeContext, p: Params, sub: Subscription): SubscriptionChange {
  const at = nowFor(ctx, idOf(sub.customer));
  const items = (p.list('items') ?? []).map((ip, i) =>
    readItem(ctx, ip.allow(...ITEM_KEYS), at, `items[${i}]`),
  );
  const anchor = p.oneOf('billing_cycle_anchor', ['now', 'unchanged'] as const);
  const change: SubscriptionChange = {
    items,
    prorationBehavior: p.oneOf('proration_behavior', PRORATION) ?? 'create_prorations',
    anchorNow: anchor === 'now',
    paymentBehavior: p.oneOf('payment_behavior', PAYMENT) ?? 'allow_incomplete',
  };
  const prorationDate = p.int('proration_date');
  if (prorationDate !== undefined) change.prorationDate = prorationDate;
  return change;
}

const UPDATE_PARAMS = [
  'items',
  'proration_behavior',
  'proration_date',
  'billing_cycle_anchor',
  'cancel_at_period_end',
  'cancel_at',
  'cancellation_details',
  'default_payment_method',
  'default_tax_rates',
  'metadata',
  'description',
  'collection_method',
  'days_until_due',
  'payment_behavior',
  'off_session',
  'payment_settings',
  'automatic_tax',
  'invoice_settings',
  'default_source',
  'trial_end',
  'trial_from_plan',
  'pause_collection',
];

/** `/v1/subscriptions` and `/v1/subscription_items`. */
export function subscriptionRoutes(ctx: StripeContext): kit.Route[] {
  const itemOf = (id: string): SubscriptionItem => {
    const item = ctx.state.subscriptionItems.get(id);
    if (!item) throw noSuch('subscription_item', id);
    return item;
  };
  /** A subscription item call as a one-item subscription update. */
  const itemChange = (
    p: Params,
    sub: Subscription,
    item: SubscriptionItem | null,
  ): SubscriptionChange => {
    const change = readChange(ctx, p, sub);
    const one = readItem(ctx, p, nowFor(ctx, idOf(sub.customer)), '');
    if (item) one.id = item.id;
    change.items = [one];
    return change;
  };
  return [
    route(ctx, 'POST', '/v1/subscriptions', ({ p }) => createSubscription(ctx, p)),
    route(ctx, 'GET', '/v1/subscriptions/search', ({ p }) => {
      p.allow('query', 'limit', 'page');
      return search(
        ctx.state.subscriptions.newestFirst(),
        p,
        '/v1/subscriptions/search',
        ['status', 'created', 'canceled_at', 'customer'],
        readField,
      );
    }),
    route(ctx, 'GET', '/v1/subscriptions/:id', ({ param }) => getSubscription(ctx, param('id'))),
    route(ctx, 'POST', '/v1/subscriptions/:id', ({ p, param }) => {
      p.allow(...UPDATE_PARAMS);
      const sub = getSubscription(ctx, param('id'));
      const customerId = idOf(sub.customer) ?? '';
      if (p.has('trial_end') || p.has('pause_collection')) {
        throw invalidRequest(
          'The emulator does not support changing trial_end or pause_collection.',
          p.has('trial_end') ? 'trial_end' : 'pause_collection',
        );
      }
      const ended = ENDED.has(sub.status);
      if (
        ended &&
        p.keys().some((k) => !['metadata', 'cancellation_details', 'expand'].includes(k))
      ) {
        throw invalidRequest(
          'A canceled subscription can only update its cancellation_details and metadata.',
        );
      }
      const change = readChange(ctx, p, sub);
      const pmParam = p.nullableStr('default_payment_method');
      const pm =
        typeof pmParam === 'string'
          ? resolvePaymentMethod(ctx, pmParam, customerId, 'default_payment_method', {
              requireAttached: true,
            }).id
          : pmParam;
      const taxRates = p.has('default_tax_rates')
        ? getTaxRates(ctx, p.strings('default_tax_rates') ?? [], 'default_tax_rates')
        : undefined;
      const at = change.prorationDate ?? nowFor(ctx, customerId);
      change.apply = (s) => {
        s.metadata = p.metadata(s.metadata);
        if (pm !== undefined) s.default_payment_method = pm;
        if (taxRates) s.default_tax_rates = taxRates;
        if (p.has('description')) s.description = p.nullableStr('description') ?? null;
        const cm = p.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const);
        if (cm) s.collection_method = cm;
        const days = p.int('days_until_due', { min: 0 });
        if (days !== undefined) s.days_until_due = days;
        if (s.collection_method === 'send_invoice') s.days_until_due ??= 30;
        else s.days_until_due = null;
        const cd = p.obj('cancellation_details');
        if (cd) {
          cd.allow('comment', 'feedback');
          const details = s.cancellation_details ?? {
            comment: null,
            feedback: null,
            feedback_option: null,
            reason: null,
          };
          if (cd.has('comment')) details.comment = cd.nullableStr('comment') ?? null;
          if (cd.has('feedback'))
            details.feedback = (cd.nullableStr('feedback') ?? null) as typeof details.feedback;
          s.cancellation_details = details;
        }
        const atEnd = p.bool('cancel_at_period_end');
        if (atEnd !== undefined) {
          s.cancel_at_period_end = atEnd;
          s.cancel_at = atEnd ? currentPeriod(s).end : null;
          s.canceled_at = atEnd ? at : null;
          if (s.cancellation_details)
            s.cancellation_details.reason = atEnd ? 'cancellation_requested' : null;
        }
        if (p.has('cancel_at')) {
          const cancelAt = p.isEmpty('cancel_at') ? null : (p.int('cancel_at') ?? null);
          s.cancel_at = cancelAt;
          s.cancel_at_period_end = cancelAt !== null && cancelAt === currentPeriod(s).end;
          s.canceled_at = cancelAt !== null ? at : null;
        }
      };
      return updateSubscription(ctx, sub, change);
    }),
    route(ctx, 'DELETE', '/v1/subscriptions/:id', ({ p, param }) => {
      p.allow('invoice_now', 'prorate', 'cancellation_details');
      const sub = getSubscription(ctx, param('id'));
      if (ENDED.has(sub.status)) {
        throw invalidRequest(
          `This subscription is already ${sub.status === 'canceled' ? 'canceled' : 'expired'}.`,
        );
      }
      const cd = p.obj('cancellation_details');
      cd?.allow('comment', 'feedback');
      cancelSubscriptionNow(ctx, sub, nowFor(ctx, idOf(sub.customer)), {
        reason: 'cancellation_requested',
        prorate: p.bool('prorate') ?? false,
        invoiceNow: p.bool('invoice_now') ?? false,
        comment: cd?.str('comment') ?? null,
        feedback: cd?.str('feedback') ?? null,
      });
      return sub;
    }),
    route(ctx, 'GET', '/v1/subscriptions', ({ p }) => {
      p.allow(
        'customer',
        'price',
        'status',
        'test_clock',
        'created',
        'collection_method',
        'limit',
        'starting_after',
        'ending_before',
        'current_period_end',
        'current_period_start',
        'automatic_tax',
        'plan',
      );
      const customer = p.str('customer');
      const price = p.str('price') ?? p.str('plan');
      const status = p.str('status');
      const clock = p.str('test_clock');
      const cm = p.str('collection_method');
      const created = rangeFilter(p, 'created');
      const statusOk = (s: Subscription): boolean =>
        status === undefined
          ? s.status !== 'canceled' && s.status !== 'incomplete_expired'
          : status === 'all' ||
            s.status === status ||
            (status === 'ended' && (s.status === 'canceled' || s.status === 'incomplete_expired'));
      const items = ctx.state.subscriptions
        .newestFirst()
        .filter(
          (s) =>
            statusOk(s) &&
            (customer === undefined || s.customer === customer) &&
            (price === undefined || s.items.data.some((i) => i.price.id === price)) &&
            (clock === undefined || s.test_clock === clock) &&
            (cm === undefined || s.collection_method === cm) &&
            created(s.created),
        );
      return paginate(items, p, '/v1/subscriptions');
    }),
    route(ctx, 'GET', '/v1/subscription_items', ({ p }) => {
      p.allow('subscription', 'limit', 'starting_after', 'ending_before');
      const sub = getSubscription(ctx, p.reqStr('subscription'), 'subscription');
      return paginate([...sub.items.data].reverse(), p, '/v1/subscription_items');
    }),
    route(ctx, 'GET', '/v1/subscription_items/:id', ({ param }) => itemOf(param('id'))),
    route(ctx, 'POST', '/v1/subscription_items', ({ p }) => {
      p.allow(
        'subscription',
        'price',
        'price_data',
        'plan',
        'quantity',
        'metadata',
        'tax_rates',
        'proration_behavior',
        'proration_date',
        'payment_behavior',
        'discounts',
        'billing_thresholds',
      );
      const sub = getSubscription(ctx, p.reqStr('subscription'), 'subscription');
      const before = new Set(sub.items.data.map((i) => i.id));
      updateSubscription(ctx, sub, itemChange(p, sub, null));
      const added = sub.items.data.find((i) => !before.has(i.id));
      return added as SubscriptionItem;
    }),
    route(ctx, 'POST', '/v1/subscription_items/:id', ({ p, param }) => {
      p.allow(
        'price',
        'price_data',
        'plan',
        'quantity',
        'metadata',
        'tax_rates',
        'proration_behavior',
        'proration_date',
        'payment_behavior',
        'off_session',
        'discounts',
        'billing_thresholds',
      );
      const item = itemOf(param('id'));
      const sub = getSubscription(ctx, item.subscription);
      updateSubscription(ctx, sub, itemChange(p, sub, item));
      return itemOf(item.id);
    }),
    route(ctx, 'DELETE', '/v1/subscription_items/:id', ({ p, param }) => {
      p.allow('proration_behavior', 'proration_date', 'payment_behavior', 'clear_usage');
      const item = itemOf(param('id'));
      const sub = getSubscription(ctx, item.subscription);
      const change = readChange(ctx, p, sub);
      change.items = [{ id: item.id, deleted: true, param: '' }];
      updateSubscription(ctx, sub, change);
      return { id: item.id, object: 'subscription_item', deleted: true };
    }),
  ];
}
