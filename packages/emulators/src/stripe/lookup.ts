import type { StripeContext } from './context.ts';
import { invalidRequest, noSuch } from './errors.ts';
import type { Customer, Invoice, Price, Product, Subscription, TaxRate } from './state.ts';

/** A live customer, or 404 `resource_missing` naming `param`. */
export function getCustomer(ctx: StripeContext, id: string, param = 'id'): Customer {
  const c = ctx.state.customers.get(id);
  if (!c) throw noSuch('customer', id, param);
  return c;
}

/** A stored product, or 404 `resource_missing` naming `param`. */
export function getProduct(ctx: StripeContext, id: string, param = 'id'): Product {
  const p = ctx.state.products.get(id);
  if (!p) throw noSuch('product', id, param);
  return p;
}

/** A stored price, or 404 `resource_missing` naming `param`. */
export function getPrice(ctx: StripeContext, id: string, param = 'id'): Price {
  const p = ctx.state.prices.get(id);
  if (!p) throw noSuch('price', id, param);
  return p;
}

/** The tax rates named by `ids`; each must exist and be active. */
export function getTaxRates(ctx: StripeContext, ids: readonly string[], param: string): TaxRate[] {
  return ids.map((id, i) => {
    const t = ctx.state.taxRates.get(id);
    if (!t) throw noSuch('tax_rate', id, `${param}[${i}]`);
    if (!t.active) {
      throw invalidRequest(`Tax rate ${id} is inactive and cannot be used.`, `${param}[${i}]`);
    }
    return t;
  });
}

/** A stored subscription, or 404 `resource_missing` naming `param`. */
export function getSubscription(ctx: StripeContext, id: string, param = 'id'): Subscription {
  const s = ctx.state.subscriptions.get(id);
  if (!s) throw noSuch('subscription', id, param);
  return s;
}

/** A stored invoice, or 404 `resource_missing` naming `param`. */
export function getInvoice(ctx: StripeContext, id: string, param = 'id'): Invoice {
  const i = ctx.state.invoices.get(id);
  if (!i) throw noSuch('invoice', id, param);
  return i;
}

/** The id of an expandable reference (`'cus_…'` or `{id}`). */
export function idOf(ref: string | { id: string } | null | undefined): string | null {
  if (ref === null || ref === undefined) return null;
  return typeof ref === 'string' ? ref : ref.id;
}
