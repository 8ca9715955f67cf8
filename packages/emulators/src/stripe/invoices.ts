import type * as kit from '../kit/index.ts';
import {
  addInvoiceItemLine,
  announceInvoice,
  createInvoice,
  createInvoiceItem,
  FINALIZE_DELAY_SECONDS,
  finalizeInvoice,
  markUncollectible,
  payInvoice,
  pullPendingItems,
  recomputeInvoice,
  voidInvoice,
} from './billing.ts';
import { emit, nowFor, update, type StripeContext } from './context.ts';
import { invalidRequest, missingParam, noSuch } from './errors.ts';
import { paginate, rangeFilter } from './lists.ts';
import { getCustomer, getInvoice, getPrice, getSubscription, getTaxRates, idOf } from './lookup.ts';
import type { Params } from './params.ts';
import { resolvePaymentMethod } from './payment-methods.ts';
import { unitAmountOf } from './products.ts';
import { roundMinor } from './proration.ts';
import { route } from './route.ts';
import { readField, search } from './search.ts';
import type { Invoice, InvoiceItem, Price } from './state.ts';

const INVOICE_WRITABLE = [
  'auto_advance',
  'collection_method',
  'days_until_due',
  'due_date',
  'description',
  'metadata',
  'default_payment_method',
  'default_tax_rates',
  'footer',
  'custom_fields',
  'statement_descriptor',
  'automatic_tax',
  'payment_settings',
  'rendering',
  'account_tax_ids',
  'effective_at',
];

function notEditable(inv: Invoice): Error {
  return invalidRequest(
    `You can only modify draft invoices; this invoice is ${inv.status}.`,
    undefined,
    'invoice_not_editable',
  );
}

/** Applies the draft-only invoice fields of `p`. */
function applyDraftFields(ctx: StripeContext, inv: Invoice, p: Params): void {
  const customerId = idOf(inv.customer);
  if (p.has('default_payment_method')) {
    const ref = p.nullableStr('default_payment_method') ?? null;
    inv.default_payment_method = ref
      ? resolvePaymentMethod(ctx, ref, customerId, 'default_payment_method', {
          requireAttached: true,
        }).id
      : null;
  }
  if (p.has('default_tax_rates')) {
    inv.default_tax_rates = getTaxRates(
      ctx,
      p.strings('default_tax_rates') ?? [],
      'default_tax_rates',
    );
  }
  const cm = p.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const);
  if (cm) inv.collection_method = cm;
  const days = p.int('days_until_due', { min: 0 });
  if (days !== undefined) ctx.state.daysUntilDue.set(inv.id, days);
  const due = p.int('due_date');
  if (due !== undefined) inv.due_date = due;
  if (p.has('footer')) inv.footer = p.nullableStr('footer') ?? null;
  if (p.has('statement_descriptor'))
    inv.statement_descriptor = p.nullableStr('statement_descriptor') ?? null;
  if (
    inv.collection_method === 'send_invoice' &&
    inv.due_date === null &&
    !ctx.state.daysUntilDue.has(inv.id)
  ) {
    throw missingParam('days_until_due');
  }
}

/** Rewrites the line that carries invoice item `ii` on its draft invoice. */
function refreshItemLine(ctx: StripeContext, ii: InvoiceItem): void {
  const inv = ctx.state.invoices.get(idOf(ii.invoice) ?? '');
  if (!inv) return;
  inv.lines.data = inv.lines.data.filter(
    (l) =>
      l.parent?.invoice_item_details?.invoice_item !== ii.id &&
      l.parent?.subscription_item_details?.invoice_item !== ii.id,
  );
  addInvoiceItemLine(ctx, inv, ii);
  recomputeInvoice(ctx, inv);
}

/** Amount, quantity and pricing of an invoice item from `amount`, `pricing[price]`, `price_data` or `unit_amount_decimal`. */
function itemMoney(
  ctx: StripeContext,
  p: Params,
  fallbackCurrency: string | null,
  existing?: InvoiceItem,
): { amount: number; currency: string; quantity: number; unit: string | null; price?: Price } {
  const quantity = p.int('quantity', { min: 0 }) ?? existing?.quantity ?? 1;
  const pricing = p.obj('pricing');
  pricing?.allow('price');
  const priceId = pricing?.str('price') ?? p.str('price');
  const priceData = p.obj('price_data');
  let price: Price | undefined;
  if (priceId !== undefined) {
    price = getPrice(ctx, priceId, pricing ? 'pricing[price]' : 'price');
    if (price.type !== 'one_time') {
      throw invalidRequest(
        'The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`.',
        'pricing[price]',
      );
    }
    return {
      amount: roundMinor(unitAmountOf(price) * quantity),
      currency: price.currency,
      quantity,
      unit: price.unit_amount_decimal,
      price,
    };
  }
  const currency = (
    p.str('currency') ??
    priceData?.str('currency') ??
    existing?.currency ??
    fallbackCurrency
  )?.toLowerCase();
  const unitDecimal =
    p.str('unit_amount_decimal') ??
    priceData?.str('unit_amount_decimal') ??
    priceData?.str('unit_amount');
  const amount = p.int('amount');
  if (amount !== undefined) {
    if (!currency) throw missingParam('currency');
    return {
      amount,
      currency,
      quantity: existing && !p.has('quantity') ? existing.quantity : 1,
      unit: String(amount),
    };
  }
  if (unitDecimal !== undefined) {
    if (!currency) throw missingParam('currency');
    return {
      amount: roundMinor(Number(unitDecimal) * quantity),
      currency,
      quantity,
      unit: unitDecimal,
    };
  }
  if (existing) {
    const unit = Number(
      existing.pricing?.unit_amount_decimal ?? existing.amount / Math.max(existing.quantity, 1),
    );
    return {
      amount: roundMinor(unit * quantity),
      currency: existing.currency,
      quantity,
      unit: String(unit),
    };
  }
  throw missingParam('amount');
}

/** `/v1/invoices`, `/v1/invoiceitems` and `/v1/invoice_payments`. */
export function invoiceRoutes(ctx: StripeContext): kit.Route[] {
  const nowOf = (inv: Invoice): number => nowFor(ctx, idOf(inv.customer));
  const getItem = (id: string): InvoiceItem => {
    const ii = ctx.state.invoiceItems.get(id);
    if (!ii) throw noSuch('invoiceitem', id);
    return ii;
  };
  const itemEditable = (ii: InvoiceItem): void => {
    const inv = ctx.state.invoices.get(idOf(ii.invoice) ?? '');
    if (inv && inv.status !== 'draft') {
      throw invalidRequest(
        'You cannot modify an invoice item that is attached to a finalized invoice.',
        undefined,
        'invoice_not_editable',
      );
    }
  };
  return [
    route(ctx, 'POST', '/v1/invoices', ({ p }) => {
      p.allow(
        ...INVOICE_WRITABLE,
        'customer',
        'currency',
        'pending_invoice_items_behavior',
        'subscription',
        'number',
        'issuer',
        'on_behalf_of',
        'from_invoice',
        'discounts',
        'shipping_cost',
        'shipping_details',
        'transfer_data',
        'application_fee_amount',
        'customer_account',
      );
      const customer = getCustomer(ctx, p.reqStr('customer'), 'customer');
      const at = nowFor(ctx, customer.id);
      const subId = p.str('subscription');
      const sub = subId ? getSubscription(ctx, subId, 'subscription') : null;
      if (sub && sub.customer !== customer.id) {
        throw invalidRequest('The subscription does not belong to this customer.', 'subscription');
      }
      const autoAdvance = p.bool('auto_advance') ?? false;
      const inv = createInvoice(ctx, {
        customer,
        subscription: sub,
        billingReason: 'manual',
        collectionMethod: 'charge_automatically',
        currency: p.str('currency')?.toLowerCase() ?? customer.currency ?? sub?.currency ?? 'usd',
        created: at,
        autoAdvance,
        description: p.str('description') ?? null,
        metadata: p.metadata(),
      });
      applyDraftFields(ctx, inv, p);
      const behavior =
        p.oneOf('pending_invoice_items_behavior', [
          'exclude',
          'include',
          'include_and_require',
        ] as const) ?? 'exclude';
      if (behavior !== 'exclude' || sub)
        pullPendingItems(ctx, inv, sub?.id ?? null, behavior !== 'exclude');
      announceInvoice(ctx, inv, autoAdvance ? at + FINALIZE_DELAY_SECONDS : undefined);
      return inv;
    }),
    route(ctx, 'GET', '/v1/invoices/search', ({ p }) => {
      p.allow('query', 'limit', 'page');
      return search(
        ctx.state.invoices.newestFirst(),
        p,
        '/v1/invoices/search',
        ['status', 'customer', 'subscription', 'total', 'number', 'created', 'currency'],
        (inv, field) =>
          field === 'subscription'
            ? idOf(inv.parent?.subscription_details?.subscription ?? null)
            : readField(inv, field),
      );
    }),
    route(ctx, 'GET', '/v1/invoices/:id', ({ param }) => getInvoice(ctx, param('id'))),
    route(ctx, 'POST', '/v1/invoices/:id', ({ p, param }) => {
      p.allow(...INVOICE_WRITABLE);
      const inv = getInvoice(ctx, param('id'));
      const draftOnly = p
        .keys()
        .filter(
          (k) => !['metadata', 'description', 'auto_advance', 'footer', 'expand'].includes(k),
        );
      if (inv.status !== 'draft' && draftOnly.length > 0) throw notEditable(inv);
      return update(
        ctx,
        'invoice.updated',
        inv,
        (o) => {
          o.metadata = p.metadata(o.metadata ?? {});
          if (p.has('description')) o.description = p.nullableStr('description') ?? null;
          const aa = p.bool('auto_advance');
          if (aa !== undefined) {
            o.auto_advance = aa;
            if (o.status === 'draft') {
              o.automatically_finalizes_at = aa ? nowOf(o) + FINALIZE_DELAY_SECONDS : null;
            }
          }
          if (o.status === 'draft') {
            applyDraftFields(ctx, o, p);
            recomputeInvoice(ctx, o);
          } else if (p.has('footer')) o.footer = p.nullableStr('footer') ?? null;
        },
        nowOf(inv),
      );
    }),
    route(ctx, 'DELETE', '/v1/invoices/:id', ({ param }) => {
      const inv = getInvoice(ctx, param('id'));
      if (inv.status !== 'draft') {
        throw invalidRequest(
          'You can only delete draft invoices.',
          undefined,
          'invoice_not_editable',
        );
      }
      if (inv.parent?.subscription_details && inv.billing_reason !== 'manual') {
        throw invalidRequest(
          'You cannot delete a draft invoice for a subscription; void it after finalizing instead.',
        );
      }
      for (const ii of ctx.state.invoiceItems.values())
        if (ii.invoice === inv.id) ii.invoice = null;
      ctx.state.invoices.delete(inv.id);
      emit(ctx, 'invoice.deleted', inv, { created: nowOf(inv) });
      return { id: inv.id, object: 'invoice', deleted: true };
    }),
    route(ctx, 'POST', '/v1/invoices/:id/finalize', ({ p, param }) => {
      p.allow('auto_advance');
      const inv = getInvoice(ctx, param('id'));
      const aa = p.bool('auto_advance');
      if (aa !== undefined) inv.auto_advance = aa;
      const at = nowOf(inv);
      finalizeInvoice(ctx, inv, at);
      // Like Stripe, an auto-advancing invoice is charged about an hour after finalization.
      if (inv.status === 'open' && inv.collection_method === 'charge_automatically') {
        inv.next_payment_attempt = inv.auto_advance ? at + FINALIZE_DELAY_SECONDS : null;
      }
      return inv;
    }),
    route(ctx, 'POST', '/v1/invoices/:id/pay', ({ p, param }) => {
      p.allow('payment_method', 'paid_out_of_band', 'forgive', 'off_session', 'source', 'mandate');
      const inv = getInvoice(ctx, param('id'));
      const at = nowOf(inv);
      if (inv.status === 'draft') finalizeInvoice(ctx, inv, at);
      if (inv.status === 'paid' && p.bool('paid_out_of_band') !== true) {
        throw invalidRequest('Invoice is already paid', undefined, 'invoice_already_paid');
      }
      const pm = p.str('payment_method');
      const outcome = payInvoice(ctx, inv, at, {
        ...(pm !== undefined && { paymentMethod: pm }),
        outOfBand: p.bool('paid_out_of_band') ?? false,
      });
      if (outcome.error) throw outcome.error;
      return inv;
    }),
    route(ctx, 'POST', '/v1/invoices/:id/void', ({ param }) => {
      const inv = getInvoice(ctx, param('id'));
      voidInvoice(ctx, inv, nowOf(inv));
      return inv;
    }),
    route(ctx, 'POST', '/v1/invoices/:id/mark_uncollectible', ({ param }) => {
      const inv = getInvoice(ctx, param('id'));
      markUncollectible(ctx, inv, nowOf(inv));
      return inv;
    }),
    route(ctx, 'POST', '/v1/invoices/:id/send', ({ param }) => {
      const inv = getInvoice(ctx, param('id'));
      if (inv.status === 'draft') finalizeInvoice(ctx, inv, nowOf(inv));
      if (inv.collection_method !== 'send_invoice') {
        throw invalidRequest('You can only send invoices with collection_method=send_invoice.');
      }
      emit(ctx, 'invoice.sent', inv, { created: nowOf(inv) });
      return inv;
    }),
    route(ctx, 'GET', '/v1/invoices/:id/lines', ({ p, param }) => {
      p.allow('limit', 'starting_after', 'ending_before');
      const inv = getInvoice(ctx, param('id'));
      return paginate(inv.lines.data, p, `/v1/invoices/${inv.id}/lines`);
    }),
    route(ctx, 'GET', '/v1/invoices', ({ p }) => {
      p.allow(
        'customer',
        'subscription',
        'status',
        'collection_method',
        'created',
        'due_date',
        'limit',
        'starting_after',
        'ending_before',
        'customer_account',
      );
      const customer = p.str('customer');
      const sub = p.str('subscription');
      const status = p.oneOf('status', ['draft', 'open', 'paid', 'uncollectible', 'void'] as const);
      const cm = p.str('collection_method');
      const created = rangeFilter(p, 'created');
      const due = rangeFilter(p, 'due_date');
      const items = ctx.state.invoices
        .newestFirst()
        .filter(
          (inv) =>
            (customer === undefined || inv.customer === customer) &&
            (sub === undefined ||
              idOf(inv.parent?.subscription_details?.subscription ?? null) === sub) &&
            (status === undefined || inv.status === status) &&
            (cm === undefined || inv.collection_method === cm) &&
            created(inv.created) &&
            (!p.has('due_date') || (inv.due_date !== null && due(inv.due_date))),
        );
      return paginate(items, p, '/v1/invoices');
    }),

    route(ctx, 'POST', '/v1/invoiceitems', ({ p }) => {
      p.allow(
        'customer',
        'amount',
        'currency',
        'description',
        'discountable',
        'invoice',
        'metadata',
        'period',
        'price_data',
        'pricing',
        'price',
        'quantity',
        'subscription',
        'tax_behavior',
        'tax_code',
        'tax_rates',
        'unit_amount_decimal',
        'discounts',
        'quantity_decimal',
        'customer_account',
      );
      const customer = getCustomer(ctx, p.reqStr('customer'), 'customer');
      const at = nowFor(ctx, customer.id);
      const invId = p.str('invoice');
      const inv = invId ? getInvoice(ctx, invId, 'invoice') : undefined;
      if (inv && inv.status !== 'draft') throw notEditable(inv);
      if (inv && inv.customer !== customer.id) {
        throw invalidRequest('The invoice does not belong to this customer.', 'invoice');
      }
      const subId = p.str('subscription');
      if (subId) getSubscription(ctx, subId, 'subscription');
      const money = itemMoney(ctx, p, customer.currency ?? null);
      const period = p.obj('period');
      period?.allow('start', 'end');
      const taxRates = getTaxRates(ctx, p.strings('tax_rates') ?? [], 'tax_rates');
      const productName = money.price
        ? (ctx.state.products.get(idOf(money.price.product) ?? '')?.name ?? null)
        : null;
      const ii = createInvoiceItem(ctx, {
        customer: customer.id,
        amount: money.amount,
        currency: money.currency,
        description: p.str('description') ?? productName,
        period: {
          start: period?.reqInt('start') ?? at,
          end: period?.reqInt('end') ?? at,
        },
        quantity: money.quantity,
        unitAmountDecimal: money.unit,
        ...(money.price && { price: money.price }),
        proration: false,
        ...(subId && { subscription: { id: subId } }),
        taxRates,
        metadata: p.metadata(),
        discountable: p.bool('discountable') ?? true,
        date: at,
      });
      if (customer.currency === null || customer.currency === undefined)
        customer.currency = money.currency;
      if (inv) {
        addInvoiceItemLine(ctx, inv, ii);
        recomputeInvoice(ctx, inv);
      }
      return ii;
    }),
    route(ctx, 'GET', '/v1/invoiceitems/:id', ({ param }) => getItem(param('id'))),
    route(ctx, 'POST', '/v1/invoiceitems/:id', ({ p, param }) => {
      p.allow(
        'amount',
        'description',
        'discountable',
        'metadata',
        'period',
        'price_data',
        'pricing',
        'quantity',
        'tax_behavior',
        'tax_code',
        'tax_rates',
        'unit_amount_decimal',
        'discounts',
      );
      const ii = getItem(param('id'));
      itemEditable(ii);
      const moneyChanges = [
        'amount',
        'quantity',
        'pricing',
        'price_data',
        'unit_amount_decimal',
      ].some((k) => p.has(k));
      const money = moneyChanges ? itemMoney(ctx, p, ii.currency, ii) : undefined;
      const taxRates = p.has('tax_rates')
        ? getTaxRates(ctx, p.strings('tax_rates') ?? [], 'tax_rates')
        : undefined;
      const period = p.obj('period');
      period?.allow('start', 'end');
      ii.metadata = p.metadata(ii.metadata ?? {});
      if (p.has('description')) ii.description = p.nullableStr('description') ?? null;
      ii.discountable = p.bool('discountable') ?? ii.discountable;
      if (money) {
        ii.amount = money.amount;
        ii.net_amount = money.amount;
        ii.quantity = money.quantity;
        ii.quantity_decimal = String(money.quantity);
        if (ii.pricing) ii.pricing.unit_amount_decimal = money.unit;
      }
      if (taxRates) ii.tax_rates = taxRates;
      if (period) ii.period = { start: period.reqInt('start'), end: period.reqInt('end') };
      refreshItemLine(ctx, ii);
      return ii;
    }),
    route(ctx, 'DELETE', '/v1/invoiceitems/:id', ({ param }) => {
      const ii = getItem(param('id'));
      itemEditable(ii);
      const inv = ctx.state.invoices.get(idOf(ii.invoice) ?? '');
      if (inv) {
        inv.lines.data = inv.lines.data.filter(
          (l) =>
            l.parent?.invoice_item_details?.invoice_item !== ii.id &&
            l.parent?.subscription_item_details?.invoice_item !== ii.id,
        );
        recomputeInvoice(ctx, inv);
      }
      ctx.state.invoiceItems.delete(ii.id);
      emit(ctx, 'invoiceitem.deleted', ii);
      return { id: ii.id, object: 'invoiceitem', deleted: true };
    }),
    route(ctx, 'GET', '/v1/invoiceitems', ({ p }) => {
      p.allow(
        'customer',
        'invoice',
        'pending',
        'created',
        'limit',
        'starting_after',
        'ending_before',
        'customer_account',
      );
      const customer = p.str('customer');
      const invoice = p.str('invoice');
      const pending = p.bool('pending');
      const created = rangeFilter(p, 'created');
      const items = ctx.state.invoiceItems
        .newestFirst()
        .filter(
          (ii) =>
            (customer === undefined || ii.customer === customer) &&
            (invoice === undefined || ii.invoice === invoice) &&
            (pending === undefined || (ii.invoice === null) === pending) &&
            created(ii.date),
        );
      return paginate(items, p, '/v1/invoiceitems');
    }),
    route(ctx, 'GET', '/v1/invoice_payments/:id', ({ param }) => {
      const ip = ctx.state.invoicePayments.get(param('id'));
      if (!ip) throw noSuch('invoice_payment', param('id'));
      return ip;
    }),
    route(ctx, 'GET', '/v1/invoice_payments', ({ p }) => {
      p.allow(
        'invoice',
        'payment',
        'status',
        'limit',
        'starting_after',
        'ending_before',
        'created',
      );
      const invoice = p.str('invoice');
      const status = p.str('status');
      const payment = p.obj('payment');
      payment?.allow('type', 'payment_intent', 'payment_record');
      const pi = payment?.str('payment_intent');
      const items = ctx.state.invoicePayments
        .newestFirst()
        .filter(
          (ip) =>
            (invoice === undefined || ip.invoice === invoice) &&
            (status === undefined || ip.status === status) &&
            (pi === undefined || ip.payment.payment_intent === pi),
        );
      return paginate(items, p, '/v1/invoice_payments');
    }),
  ];
}
