import type Stripe from 'stripe';
import type * as kit from '../kit/index.ts';
import { emit, nowFor, update, type StripeContext } from './context.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { paginate, rangeFilter } from './lists.ts';
import { getCustomer } from './lookup.ts';
import type { Params } from './params.ts';
import { resolvePaymentMethod } from './payment-methods.ts';
import { route } from './route.ts';
import { readField, search } from './search.ts';
import type { Customer, TaxId } from './state.ts';
import { cancelSubscriptionNow } from './subscriptions.ts';

const ADDRESS_KEYS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const;

function readAddress(p: Params, key: string): Stripe.Address | null | undefined {
  if (!p.has(key)) return undefined;
  if (p.isEmpty(key)) return null;
  const a = p.obj(key);
  if (!a) return null;
  a.allow(...ADDRESS_KEYS);
  return {
    city: a.str('city') ?? null,
    country: a.str('country') ?? null,
    line1: a.str('line1') ?? null,
    line2: a.str('line2') ?? null,
    postal_code: a.str('postal_code') ?? null,
    state: a.str('state') ?? null,
  };
}

function createTaxId(ctx: StripeContext, customer: string, p: Params, created: number): TaxId {
  p.allow('type', 'value');
  const taxId: TaxId = {
    id: ctx.ids.next('txi'),
    object: 'tax_id',
    country: null,
    created,
    customer,
    customer_account: null,
    livemode: false,
    owner: { customer, customer_account: null, type: 'customer' },
    type: p.reqStr('type') as TaxId['type'],
    value: p.reqStr('value'),
    verification: { status: 'pending', verified_address: null, verified_name: null },
  };
  ctx.state.taxIds.add(taxId);
  emit(ctx, 'customer.tax_id.created', taxId, { created });
  return taxId;
}

const WRITABLE = [
  'address',
  'balance',
  'description',
  'email',
  'invoice_prefix',
  'invoice_settings',
  'metadata',
  'name',
  'next_invoice_sequence',
  'phone',
  'preferred_locales',
  'shipping',
  'tax',
  'tax_exempt',
  'validate',
  'business_name',
  'individual_name',
];

/** Applies the writable customer fields of `p` (create and update share them). */
function applyCustomerParams(
  ctx: StripeContext,
  c: Customer,
  p: Params,
  pmFromParam?: { token: string; id: string },
): void {
  const address = readAddress(p, 'address');
  if (address !== undefined) c.address = address;
  const balance = p.int('balance');
  if (balance !== undefined) c.balance = balance;
  if (p.has('description')) c.description = p.nullableStr('description') ?? null;
  if (p.has('email')) c.email = p.nullableStr('email') ?? null;
  if (p.has('name')) c.name = p.nullableStr('name') ?? null;
  if (p.has('phone')) c.phone = p.nullableStr('phone') ?? null;
  const prefix = p.str('invoice_prefix');
  if (prefix !== undefined) {
    if (!/^[A-Z0-9]{3,12}$/.test(prefix)) {
      throw invalidRequest(
        'Invoice prefix must be 3-12 uppercase letters or numbers.',
        'invoice_prefix',
      );
    }
    c.invoice_prefix = prefix;
  }
  const seq = p.int('next_invoice_sequence', { min: 1 });
  if (seq !== undefined) c.next_invoice_sequence = seq;
  const locales = p.strings('preferred_locales');
  if (locales !== undefined) c.preferred_locales = locales;
  const exempt = p.oneOf('tax_exempt', ['none', 'exempt', 'reverse', ''] as const);
  if (exempt !== undefined) c.tax_exempt = exempt === '' ? 'none' : exempt;
  c.metadata = p.metadata(c.metadata);
  if (p.has('shipping')) {
    const s = p.obj('shipping');
    if (!s) c.shipping = null;
    else {
      s.allow('address', 'name', 'phone');
      c.shipping = {
        address: readAddress(s, 'address') ?? undefined,
        name: s.reqStr('name'),
        phone: s.str('phone') ?? null,
      };
    }
  }
  const settings = p.obj('invoice_settings');
  if (settings) {
    settings.allow('default_payment_method', 'custom_fields', 'footer', 'rendering_options');
    if (settings.has('footer')) c.invoice_settings.footer = settings.nullableStr('footer') ?? null;
    if (settings.has('default_payment_method')) {
      const ref = settings.nullableStr('default_payment_method') ?? null;
      const param = 'invoice_settings[default_payment_method]';
      c.invoice_settings.default_payment_method =
        ref === null
          ? null
          : pmFromParam && pmFromParam.token === ref
            ? pmFromParam.id
            : resolvePaymentMethod(ctx, ref, c.id, param, { requireAttached: true }).id;
    }
  }
}

/** `/v1/customers` (+ search, tax ids). */
export function customerRoutes(ctx: StripeContext): kit.Route[] {
  const live = (): Customer[] => ctx.state.customers.newestFirst();
  const retrieve = (id: string): Customer | { id: string; object: 'customer'; deleted: true } => {
    if (ctx.state.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
    return getCustomer(ctx, id);
  };
  return [
    route(ctx, 'POST', '/v1/customers', ({ p }) => {
      p.allow(...WRITABLE, 'payment_method', 'tax_id_data', 'test_clock', 'source', 'cash_balance');
      const clockId = p.str('test_clock');
      const clock = clockId ? ctx.state.testClocks.get(clockId) : undefined;
      if (clockId && !clock) throw noSuch('test_clock', clockId, 'test_clock');
      const created = clock ? clock.frozen_time : ctx.clock.nowSeconds();
      const c: Customer = {
        id: ctx.ids.next('cus'),
        object: 'customer',
        address: null,
        balance: 0,
        created,
        currency: null,
        default_source: null,
        delinquent: false,
        description: null,
        discount: null,
        email: null,
        invoice_prefix: ctx.ids.chars(8).toUpperCase(),
        invoice_settings: {
          custom_fields: null,
          default_payment_method: null,
          footer: null,
          rendering_options: null,
        },
        livemode: false,
        metadata: {},
        name: null,
        next_invoice_sequence: 1,
        phone: null,
        preferred_locales: [],
        shipping: null,
        tax_exempt: 'none',
        test_clock: clockId ?? null,
      };
      ctx.state.customers.add(c);
      // Settings may name the payment method given in the same request (`pm_card_visa` twice).
      const pmParam = p.str('payment_method');
      const pm = pmParam ? resolvePaymentMethod(ctx, pmParam, c.id, 'payment_method') : undefined;
      if (pm && pm.customer === null) {
        pm.customer = c.id;
        emit(ctx, 'payment_method.attached', pm, { created });
      }
      applyCustomerParams(ctx, c, p, pm && pmParam ? { token: pmParam, id: pm.id } : undefined);
      emit(ctx, 'customer.created', c, { created });
      for (const t of p.list('tax_id_data') ?? []) createTaxId(ctx, c.id, t, created);
      return c;
    }),
    route(ctx, 'GET', '/v1/customers/search', ({ p }) => {
      p.allow('query', 'limit', 'page');
      return search(
        live(),
        p,
        '/v1/customers/search',
        ['email', 'name', 'phone', 'created', 'description'],
        readField,
      );
    }),
    route(ctx, 'GET', '/v1/customers/:id', ({ param }) => retrieve(param('id'))),
    route(ctx, 'POST', '/v1/customers/:id', ({ p, param }) => {
      p.allow(...WRITABLE, 'default_source', 'source', 'cash_balance');
      const c = getCustomer(ctx, param('id'));
      return update(
        ctx,
        'customer.updated',
        c,
        (o) => applyCustomerParams(ctx, o, p),
        nowFor(ctx, c.id),
      );
    }),
    route(ctx, 'DELETE', '/v1/customers/:id', ({ param }) => {
      const c = getCustomer(ctx, param('id'));
      const at = nowFor(ctx, c.id);
      for (const sub of ctx.state.subscriptions.values()) {
        if (
          sub.customer === c.id &&
          sub.status !== 'canceled' &&
          sub.status !== 'incomplete_expired'
        ) {
          cancelSubscriptionNow(ctx, sub, at, { reason: 'cancellation_requested' });
        }
      }
      ctx.state.customers.delete(c.id);
      ctx.state.deletedCustomers.add(c.id);
      emit(ctx, 'customer.deleted', c, { created: at });
      return { id: c.id, object: 'customer', deleted: true };
    }),
    route(ctx, 'GET', '/v1/customers', ({ p }) => {
      p.allow('email', 'created', 'test_clock', 'limit', 'starting_after', 'ending_before');
      const email = p.str('email');
      const clock = p.str('test_clock');
      const created = rangeFilter(p, 'created');
      const items = live().filter(
        (c) =>
          (email === undefined || c.email === email) &&
          (clock === undefined || c.test_clock === clock) &&
          created(c.created),
      );
      return paginate(items, p, '/v1/customers');
    }),
    route(ctx, 'POST', '/v1/customers/:id/tax_ids', ({ p, param }) => {
      const c = getCustomer(ctx, param('id'));
      return createTaxId(ctx, c.id, p, nowFor(ctx, c.id));
    }),
    route(ctx, 'GET', '/v1/customers/:id/tax_ids', ({ p, param }) => {
      p.allow('limit', 'starting_after', 'ending_before');
      const c = getCustomer(ctx, param('id'));
      const items = ctx.state.taxIds.newestFirst().filter((t) => t.customer === c.id);
      return paginate(items, p, `/v1/customers/${c.id}/tax_ids`);
    }),
    route(ctx, 'GET', '/v1/customers/:customer/tax_ids/:id', ({ param }) => {
      const t = ctx.state.taxIds.get(param('id'));
      if (!t || t.customer !== param('customer')) throw noSuch('tax_id', param('id'));
      return t;
    }),
    route(ctx, 'DELETE', '/v1/customers/:customer/tax_ids/:id', ({ param }) => {
      const t = ctx.state.taxIds.get(param('id'));
      if (!t || t.customer !== param('customer')) throw noSuch('tax_id', param('id'));
      ctx.state.taxIds.delete(t.id);
      emit(ctx, 'customer.tax_id.deleted', t);
      return { id: t.id, object: 'tax_id', deleted: true };
    }),
  ];
}
