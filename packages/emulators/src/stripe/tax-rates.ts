import type * as kit from '../kit/index.ts';
import { emit, update, type StripeContext } from './context.ts';
import { invalidRequest, missingParam, noSuch } from './errors.ts';
import { paginate, rangeFilter } from './lists.ts';
import { route } from './route.ts';
import type { TaxRate } from './state.ts';

const TAX_TYPES = [
  'amusement_tax',
  'communications_tax',
  'gst',
  'hst',
  'igst',
  'jct',
  'lease_tax',
  'pst',
  'qst',
  'retail_delivery_fee',
  'rst',
  'sales_tax',
  'service_tax',
  'vat',
] as const;

/** `/v1/tax_rates`: percentage rates, exclusive or inclusive. */
export function taxRateRoutes(ctx: StripeContext): kit.Route[] {
  const get = (id: string): TaxRate => {
    const t = ctx.state.taxRates.get(id);
    if (!t) throw noSuch('tax_rate', id);
    return t;
  };
  return [
    route(ctx, 'POST', '/v1/tax_rates', ({ p }) => {
      p.allow(
        'display_name',
        'inclusive',
        'percentage',
        'active',
        'country',
        'description',
        'jurisdiction',
        'metadata',
        'state',
        'tax_type',
      );
      const percentage = p.decimal('percentage');
      if (percentage === undefined) throw missingParam('percentage');
      if (percentage < 0 || percentage > 100) {
        throw invalidRequest('Percentage must be between 0 and 100.', 'percentage');
      }
      const inclusive = p.bool('inclusive');
      if (inclusive === undefined) throw missingParam('inclusive');
      const rate: TaxRate = {
        id: ctx.ids.next('txr'),
        object: 'tax_rate',
        active: p.bool('active') ?? true,
        country: p.str('country') ?? null,
        created: ctx.clock.nowSeconds(),
        description: p.str('description') ?? null,
        display_name: p.reqStr('display_name'),
        effective_percentage: percentage,
        flat_amount: null,
        inclusive,
        jurisdiction: p.str('jurisdiction') ?? null,
        jurisdiction_level: null,
        livemode: false,
        metadata: p.metadata(),
        percentage,
        rate_type: 'percentage',
        state: p.str('state') ?? null,
        tax_type: p.oneOf('tax_type', TAX_TYPES) ?? null,
      };
      ctx.state.taxRates.add(rate);
      emit(ctx, 'tax_rate.created', rate);
      return rate;
    }),
    route(ctx, 'GET', '/v1/tax_rates/:id', ({ param }) => get(param('id'))),
    route(ctx, 'POST', '/v1/tax_rates/:id', ({ p, param }) => {
      p.allow(
        'active',
        'country',
        'description',
        'display_name',
        'jurisdiction',
        'metadata',
        'state',
        'tax_type',
      );
      return update(ctx, 'tax_rate.updated', get(param('id')), (o) => {
        o.active = p.bool('active') ?? o.active;
        if (p.has('display_name')) o.display_name = p.reqStr('display_name');
        if (p.has('description')) o.description = p.nullableStr('description') ?? null;
        if (p.has('country')) o.country = p.nullableStr('country') ?? null;
        if (p.has('state')) o.state = p.nullableStr('state') ?? null;
        if (p.has('jurisdiction')) o.jurisdiction = p.nullableStr('jurisdiction') ?? null;
        const tt = p.oneOf('tax_type', TAX_TYPES);
        if (tt !== undefined) o.tax_type = tt;
        o.metadata = p.metadata(o.metadata ?? {});
      });
    }),
    route(ctx, 'GET', '/v1/tax_rates', ({ p }) => {
      p.allow('active', 'inclusive', 'created', 'limit', 'starting_after', 'ending_before');
      const active = p.bool('active');
      const inclusive = p.bool('inclusive');
      const created = rangeFilter(p, 'created');
      const items = ctx.state.taxRates
        .newestFirst()
        .filter(
          (t) =>
            (active === undefined || t.active === active) &&
            (inclusive === undefined || t.inclusive === inclusive) &&
            created(t.created),
        );
      return paginate(items, p, '/v1/tax_rates');
    }),
  ];
}
