import { snapshot, type StripeContext } from './context.ts';
import { invalidRequest } from './errors.ts';
import { embeddedList } from './lists.ts';
import type { Collection, StripeState } from './state.ts';

type Lookup = (state: StripeState) => Collection<{ id: string }>;

const BY_PREFIX: Record<string, Lookup> = {
  cus: (s) => s.customers,
  prod: (s) => s.products,
  price: (s) => s.prices,
  txr: (s) => s.taxRates,
  txi: (s) => s.taxIds,
  pm: (s) => s.paymentMethods,
  sub: (s) => s.subscriptions,
  si: (s) => s.subscriptionItems,
  in: (s) => s.invoices,
  ii: (s) => s.invoiceItems,
  inpay: (s) => s.invoicePayments,
  pi: (s) => s.paymentIntents,
  ch: (s) => s.charges,
  re: (s) => s.refunds,
  cn: (s) => s.creditNotes,
  txn: (s) => s.balanceTransactions,
  po: (s) => s.payouts,
  clock: (s) => s.testClocks,
  evt: (s) => s.events,
};

/** The API view of any stored object by id (a deleted customer is its `deleted` stub). */
export function findById(ctx: StripeContext, id: string): unknown {
  const prefix = id.slice(0, id.indexOf('_'));
  if (prefix === 'cus' && ctx.state.deletedCustomers.has(id)) {
    return { id, object: 'customer', deleted: true };
  }
  const found = BY_PREFIX[prefix]?.(ctx.state).get(id);
  return found === undefined ? undefined : snapshot(found);
}

/** Fields Stripe includes only when expanded. */
function includable(ctx: StripeContext, o: Record<string, unknown>, field: string): unknown {
  const id = o['id'] as string;
  if (o['object'] === 'invoice' && field === 'payments') {
    const data = [...ctx.state.invoicePayments.values()].filter((p) => p.invoice === id).reverse();
    return embeddedList(snapshot(data), `/v1/invoice_payments?invoice=${id}`);
  }
  if (o['object'] === 'customer' && field === 'tax_ids') {
    const data = [...ctx.state.taxIds.values()].filter((t) => t.customer === id).reverse();
    return embeddedList(snapshot(data), `/v1/customers/${id}/tax_ids`);
  }
  if (o['object'] === 'customer' && field === 'subscriptions') {
    const data = ctx.state.subscriptions
      .newestFirst()
      .filter((s) => s.customer === id && s.status !== 'canceled');
    return embeddedList(snapshot(data), `/v1/customers/${id}/subscriptions`);
  }
  return undefined;
}

function cannot(path: string): Error {
  return invalidRequest(`This property cannot be expanded (${path}).`, 'expand');
}

function walk(ctx: StripeContext, node: unknown, segs: string[], path: string): void {
  if (segs.length === 0 || node === null || node === undefined) return;
  if (typeof node !== 'object') throw cannot(path);
  if (Array.isArray(node)) {
    for (const item of node) walk(ctx, item, segs, path);
    return;
  }
  const o = node as Record<string, unknown>;
  const [seg, ...rest] = segs as [string, ...string[]];
  if ((o['object'] === 'list' || o['object'] === 'search_result') && seg === 'data') {
    for (const item of o['data'] as unknown[]) walk(ctx, item, rest, path);
    return;
  }
  const resolve = (v: unknown): unknown => {
    if (typeof v !== 'string') return v;
    const found = findById(ctx, v);
    if (found === undefined) throw cannot(path);
    return found;
  };
  let v = o[seg];
  if (v === undefined) {
    v = includable(ctx, o, seg);
    if (v === undefined) throw cannot(path);
  } else if (typeof v === 'string') {
    v = resolve(v);
  } else if (Array.isArray(v)) {
    v = v.map(resolve);
  } else if (v === null) {
    return;
  }
  o[seg] = v;
  walk(ctx, v, rest, path);
}

/**
 * Applies `expand[]` paths to an API body (already a copy): ids become objects, `data.x`
 * walks list elements, and fields Stripe includes only on request (`invoice.payments`,
 * `customer.tax_ids`, `customer.subscriptions`) are added. At most four levels, like Stripe.
 */
export function applyExpand<T>(ctx: StripeContext, body: T, paths: readonly string[]): T {
  for (const path of paths) {
    if (path === 'total_count') continue;
    const segs = path.split('.');
    if (segs.length > 4) {
      throw invalidRequest(
        `You cannot expand more than 4 levels of a property. Property: ${path}`,
        'expand',
      );
    }
    walk(ctx, body, segs, path);
  }
  return body;
}
