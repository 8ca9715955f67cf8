import type * as kit from '../kit/index.ts';
import { emit, update, type StripeContext } from './context.ts';
import { invalidRequest, missingParam } from './errors.ts';
import { paginate, rangeFilter } from './lists.ts';
import { getPrice, getProduct } from './lookup.ts';
import type { Params } from './params.ts';
import type { Interval } from './proration.ts';
import { route } from './route.ts';
import { readField, search } from './search.ts';
import type { Plan, Price, Product } from './state.ts';

const INTERVALS = ['day', 'week', 'month', 'year'] as const;
const MAX_INTERVAL_COUNT: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 };

/** The unit amount of a price in minor units (may be fractional with `unit_amount_decimal`). */
export function unitAmountOf(price: Price): number {
  return price.unit_amount ?? Number(price.unit_amount_decimal ?? 0);
}

/** The legacy `plan` view of a recurring price, as subscription items carry it. */
export function planOf(price: Price): Plan {
  const r = price.recurring;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: r?.interval ?? 'month',
    interval_count: r?.interval_count ?? 1,
    livemode: false,
    metadata: price.metadata,
    meter: r?.meter ?? null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: r?.usage_type ?? 'licensed',
  };
}

function newProduct(ctx: StripeContext, p: Params, created: number): Product {
  const id = p.str('id') ?? ctx.ids.next('prod');
  if (ctx.state.products.has(id)) {
    throw invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
  }
  const product: Product = {
    id,
    object: 'product',
    active: p.bool('active') ?? true,
    created,
    default_price: null,
    description: p.str('description') ?? null,
    images: p.strings('images') ?? [],
    livemode: false,
    marketing_features: [],
    metadata: p.metadata(),
    name: p.reqStr('name'),
    package_dimensions: null,
    shippable: p.bool('shippable') ?? null,
    statement_descriptor: p.str('statement_descriptor') ?? null,
    tax_code: p.str('tax_code') ?? null,
    tax_details: null,
    type: 'service',
    unit_label: p.str('unit_label') ?? null,
    updated: created,
    url: p.str('url') ?? null,
  };
  return product;
}

/**
 * Builds a price from `currency`, `unit_amount`/`unit_amount_decimal`, `recurring`, … for
 * `product` (prices created inline by subscriptions and invoice items use it too).
 */
export function buildPrice(ctx: StripeContext, p: Params, product: string, created: number): Price {
  const currency = p.reqStr('currency').toLowerCase();
  const unitAmount = p.int('unit_amount', { min: 0 });
  const decimal = p.str('unit_amount_decimal');
  if (unitAmount === undefined && decimal === undefined) {
    if (p.has('tiers') || p.has('custom_unit_amount')) {
      throw invalidRequest(
        'The emulator supports per-unit prices only (no tiers or custom amounts).',
        'billing_scheme',
      );
    }
    throw missingParam(p.name('unit_amount'));
  }
  if (decimal !== undefined && !/^\d+(\.\d{1,12})?$/.test(decimal)) {
    throw invalidRequest(`Invalid decimal: ${decimal}`, p.name('unit_amount_decimal'));
  }
  const amountDecimal = decimal ?? String(unitAmount);
  const n = Number(amountDecimal);
  let recurring: Price['recurring'] = null;
  const r = p.obj('recurring');
  if (r) {
    r.allow(
      'interval',
      'interval_count',
      'usage_type',
      'meter',
      'aggregate_usage',
      'trial_period_days',
    );
    const interval = r.oneOf('interval', INTERVALS);
    if (!interval) throw missingParam(r.name('interval'));
    const count = r.int('interval_count', { min: 1 }) ?? 1;
    if (count > MAX_INTERVAL_COUNT[interval]) {
      throw invalidRequest(
        'Invalid recurring[interval_count]: the maximum billing period is three years.',
        r.name('interval_count'),
      );
    }
    recurring = {
      interval,
      interval_count: count,
      meter: r.str('meter') ?? null,
      trial_period_days: r.int('trial_period_days') ?? null,
      usage_type: r.oneOf('usage_type', ['licensed', 'metered'] as const) ?? 'licensed',
    };
  }
  const taxBehavior = p.oneOf('tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const);
  return {
    id: ctx.ids.next('price'),
    object: 'price',
    active: p.bool('active') ?? true,
    billing_scheme: 'per_unit',
    created,
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: p.str('lookup_key') ?? null,
    metadata: p.metadata(),
    nickname: p.str('nickname') ?? null,
    product,
    recurring,
    tax_behavior: taxBehavior ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: Number.isInteger(n) ? n : null,
    unit_amount_decimal: amountDecimal,
  };
}

function claimLookupKey(
  ctx: StripeContext,
  price: Price,
  key: string | null,
  transfer: boolean,
  param: string,
): void {
  if (key === null) return;
  for (const other of ctx.state.prices.values()) {
    if (other.id === price.id || other.lookup_key !== key) continue;
    if (!transfer) {
      throw invalidRequest(
        `A price (\`${other.id}\`) already uses that lookup key.`,
        param,
        'lookup_key_already_used',
      );
    }
    update(ctx, 'price.updated', other, (o) => {
      o.lookup_key = null;
    });
  }
}

const PRODUCT_FIELDS = [
  'name',
  'active',
  'description',
  'metadata',
  'images',
  'shippable',
  'statement_descriptor',
  'tax_code',
  'unit_label',
  'url',
  'marketing_features',
  'package_dimensions',
  'tax_details',
];
const PRICE_FIELDS = [
  'currency',
  'unit_amount',
  'unit_amount_decimal',
  'recurring',
  'lookup_key',
  'metadata',
  'nickname',
  'active',
  'tax_behavior',
  'billing_scheme',
  'tiers',
  'tiers_mode',
  'custom_unit_amount',
  'transform_quantity',
  'currency_options',
];

/** `/v1/products` and `/v1/prices`. */
export function productRoutes(ctx: StripeContext): kit.Route[] {
  const addPrice = (p: Params, product: string): Price => {
    const price = buildPrice(ctx, p, product, ctx.clock.nowSeconds());
    claimLookupKey(
      ctx,
      price,
      price.lookup_key,
      p.bool('transfer_lookup_key') ?? false,
      'lookup_key',
    );
    ctx.state.prices.add(price);
    emit(ctx, 'price.created', price);
    return price;
  };
  return [
    route(ctx, 'POST', '/v1/products', ({ p }) => {
      p.allow(...PRODUCT_FIELDS, 'id', 'type', 'default_price_data');
      const product = ctx.state.products.add(newProduct(ctx, p, ctx.clock.nowSeconds()));
      emit(ctx, 'product.created', product);
      const dpd = p.obj('default_price_data');
      if (dpd) {
        dpd.allow(
          'currency',
          'unit_amount',
          'unit_amount_decimal',
          'recurring',
          'tax_behavior',
          'metadata',
          'currency_options',
          'custom_unit_amount',
        );
        const price = addPrice(dpd, product.id);
        update(ctx, 'product.updated', product, (o) => {
          o.default_price = price.id;
        });
      }
      return product;
    }),
    route(ctx, 'GET', '/v1/products/search', ({ p }) => {
      p.allow('query', 'limit', 'page');
      return search(
        ctx.state.products.newestFirst(),
        p,
        '/v1/products/search',
        ['name', 'active', 'description', 'created', 'url', 'shippable'],
        readField,
      );
    }),
    route(ctx, 'GET', '/v1/products/:id', ({ param }) => getProduct(ctx, param('id'))),
    route(ctx, 'POST', '/v1/products/:id', ({ p, param }) => {
      p.allow(...PRODUCT_FIELDS, 'default_price');
      const product = getProduct(ctx, param('id'));
      return update(ctx, 'product.updated', product, (o) => {
        if (p.has('name')) o.name = p.reqStr('name');
        o.active = p.bool('active') ?? o.active;
        if (p.has('description')) o.description = p.nullableStr('description') ?? null;
        if (p.has('url')) o.url = p.nullableStr('url') ?? null;
        if (p.has('unit_label')) o.unit_label = p.nullableStr('unit_label') ?? null;
        if (p.has('images')) o.images = p.strings('images') ?? [];
        o.metadata = p.metadata(o.metadata);
        const dp = p.str('default_price');
        if (dp !== undefined) {
          const price = getPrice(ctx, dp, 'default_price');
          if (price.product !== o.id) {
            throw invalidRequest('The default price must belong to this product.', 'default_price');
          }
          o.default_price = dp;
        }
        o.updated = ctx.clock.nowSeconds();
      });
    }),
    route(ctx, 'DELETE', '/v1/products/:id', ({ param }) => {
      const product = getProduct(ctx, param('id'));
      if ([...ctx.state.prices.values()].some((x) => x.product === product.id)) {
        throw invalidRequest(
          'This product cannot be deleted because it has one or more user-created prices.',
          'id',
        );
      }
      ctx.state.products.delete(product.id);
      emit(ctx, 'product.deleted', product);
      return { id: product.id, object: 'product', deleted: true };
    }),
    route(ctx, 'GET', '/v1/products', ({ p }) => {
      p.allow(
        'active',
        'ids',
        'created',
        'shippable',
        'type',
        'url',
        'limit',
        'starting_after',
        'ending_before',
      );
      const active = p.bool('active');
      const ids = p.strings('ids');
      const created = rangeFilter(p, 'created');
      const items = ctx.state.products
        .newestFirst()
        .filter(
          (x) =>
            (active === undefined || x.active === active) &&
            (ids === undefined || ids.includes(x.id)) &&
            created(x.created),
        );
      return paginate(items, p, '/v1/products');
    }),
    route(ctx, 'POST', '/v1/prices', ({ p }) => {
      p.allow(...PRICE_FIELDS, 'product', 'product_data', 'transfer_lookup_key');
      let productId = p.str('product');
      const pd = p.obj('product_data');
      if (productId && pd) {
        throw invalidRequest(
          'You may only specify one of these parameters: product, product_data.',
          'product',
          'parameters_exclusive',
        );
      }
      if (productId) getProduct(ctx, productId, 'product');
      else if (pd) {
        pd.allow(
          'name',
          'active',
          'metadata',
          'statement_descriptor',
          'tax_code',
          'unit_label',
          'id',
        );
        const product = ctx.state.products.add(newProduct(ctx, pd, ctx.clock.nowSeconds()));
        emit(ctx, 'product.created', product);
        productId = product.id;
      } else {
        throw missingParam('product');
      }
      return addPrice(p, productId);
    }),
    route(ctx, 'GET', '/v1/prices/search', ({ p }) => {
      p.allow('query', 'limit', 'page');
      return search(
        ctx.state.prices.newestFirst(),
        p,
        '/v1/prices/search',
        ['active', 'currency', 'lookup_key', 'product', 'type', 'created'],
        readField,
      );
    }),
    route(ctx, 'GET', '/v1/prices/:id', ({ param }) => getPrice(ctx, param('id'))),
    route(ctx, 'POST', '/v1/prices/:id', ({ p, param }) => {
      p.allow(
        'active',
        'metadata',
        'nickname',
        'lookup_key',
        'transfer_lookup_key',
        'tax_behavior',
        'currency_options',
      );
      const price = getPrice(ctx, param('id'));
      if (p.has('lookup_key')) {
        claimLookupKey(
          ctx,
          price,
          p.nullableStr('lookup_key') ?? null,
          p.bool('transfer_lookup_key') ?? false,
          'lookup_key',
        );
      }
      return update(ctx, 'price.updated', price, (o) => {
        o.active = p.bool('active') ?? o.active;
        o.metadata = p.metadata(o.metadata);
        if (p.has('nickname')) o.nickname = p.nullableStr('nickname') ?? null;
        if (p.has('lookup_key')) o.lookup_key = p.nullableStr('lookup_key') ?? null;
        const tb = p.oneOf('tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const);
        if (tb !== undefined) o.tax_behavior = tb;
      });
    }),
    route(ctx, 'GET', '/v1/prices', ({ p }) => {
      p.allow(
        'active',
        'product',
        'type',
        'currency',
        'lookup_keys',
        'recurring',
        'created',
        'limit',
        'starting_after',
        'ending_before',
      );
      const active = p.bool('active');
      const product = p.str('product');
      const type = p.oneOf('type', ['one_time', 'recurring'] as const);
      const currency = p.str('currency');
      const keys = p.strings('lookup_keys');
      const rec = p.obj('recurring');
      rec?.allow('interval', 'usage_type', 'meter');
      const interval = rec?.str('interval');
      const usage = rec?.str('usage_type');
      const created = rangeFilter(p, 'created');
      const items = ctx.state.prices
        .newestFirst()
        .filter(
          (x) =>
            (active === undefined || x.active === active) &&
            (product === undefined || x.product === product) &&
            (type === undefined || x.type === type) &&
            (currency === undefined || x.currency === currency) &&
            (keys === undefined || (x.lookup_key !== null && keys.includes(x.lookup_key))) &&
            (interval === undefined || x.recurring?.interval === interval) &&
            (usage === undefined || x.recurring?.usage_type === usage) &&
            created(x.created),
        );
      return paginate(items, p, '/v1/prices');
    }),
  ];
}
