/**
 * The `/api/v2` resources the emulator serves: product catalog 2.0 (item families, items, item
 * prices), customers and payment sources, subscriptions with items, invoices, credit notes,
 * transactions, unbilled charges, events and the time machine.
 */
import type * as kit from '../kit/index.ts';
import {
  addPeriod,
  collect,
  createCreditNote,
  finishInvoice,
  issueInvoice,
  prorate,
  refreshAmounts,
  refundInvoice,
  runDue,
  subscriptionItem,
  termLines,
  applyCredit,
  mrrOf,
  type LineInput,
} from './billing.ts';
import { emit, now, touch, type ChargebeeContext } from './context.ts';
import {
  chargebeeError,
  duplicate,
  invalidParam,
  invalidState,
  missingParam,
  notFound,
} from './errors.ts';
import { page, sortBy } from './lists.ts';
import { matchesString, matchesTime, Params, toInt } from './params.ts';
import type {
  CreditNoteObject,
  CustomerObject,
  InvoiceObject,
  ItemObject,
  ItemPriceObject,
  PaymentSourceObject,
  SubscriptionObject,
  TransactionObject,
  UnbilledChargeObject,
} from './state.ts';

/** Chargebee's API path. */
export const API_PATH = '/api/v2';

type Handler = (
  p: Params,
  params: Record<string, string>,
  req: kit.EmulatorRequest,
) => Record<string, unknown>;

const ID = /^[A-Za-z0-9_\-.@~]{1,100}$/;

/** Test card tokens and numbers: which decline. */
const CARDS: Record<string, { last4: string; brand: string; declines: boolean }> = {
  tok_visa: { last4: '1111', brand: 'visa', declines: false },
  tok_mastercard: { last4: '4444', brand: 'mastercard', declines: false },
  tok_chargeDeclined: { last4: '0002', brand: 'visa', declines: true },
  '4111111111111111': { last4: '1111', brand: 'visa', declines: false },
  '4000000000000002': { last4: '0002', brand: 'visa', declines: true },
};

export function apiRoutes(ctx: ChargebeeContext): kit.Route[] {
  const s = ctx.state;
  const route = (method: 'GET' | 'POST', path: string, handler: Handler): kit.Route => ({
    method,
    path: `${API_PATH}${path}`,
    handler: (req) => {
      const p = new Params(method === 'GET' ? req.query : req.rawBody.length > 0 ? req.form() : {});
      ctx.source = 'api';
      if (method === 'POST') runDue(ctx);
      return { status: 200, body: handler(p, req.params, req) };
    },
  });

  const customer = (id: string): CustomerObject => {
    const c = s.customers.get(id);
    if (!c || c.deleted) throw notFound('Customer', id);
    return c;
  };
  const itemPrice = (id: string, param = 'item_price_id'): ItemPriceObject => {
    const price = s.itemPrices.get(id);
    if (!price) {
      throw chargebeeError(404, 'resource_not_found', `Item price ${id} not found`, {
        type: 'invalid_request',
        param,
        errorCode: 'referenced_resource_not_found',
      });
    }
    return price;
  };
  const subscription = (id: string): SubscriptionObject => {
    const sub = s.subscriptions.get(id);
    if (!sub || sub.deleted) throw notFound('Subscription', id);
    return sub;
  };
  const invoice = (id: string): InvoiceObject => {
    const inv = s.invoices.get(id);
    if (!inv) throw notFound('Invoice', id);
    return inv;
  };
  const newId = (p: Params, taken: (id: string) => boolean, kind: string): string => {
    const id = p.str('id');
    if (id === undefined) return ctx.ids.next();
    if (!ID.test(id) || id.length > 50) throw invalidParam('id', 'invalid characters or too long');
    if (taken(id)) throw duplicate(kind, id);
    return id;
  };

  const addPaymentSource = (
    c: CustomerObject,
    token: string,
    param: string,
  ): PaymentSourceObject => {
    const card = CARDS[token];
    if (!card) {
      throw chargebeeError(
        400,
        'payment_method_verification_failed',
        `${param} : unknown test token ${token}`,
        {
          type: 'payment',
          param,
        },
      );
    }
    const ps: PaymentSourceObject = {
      id: ctx.ids.next('pm'),
      object: 'payment_source',
      customer_id: c.id,
      type: 'card',
      status: 'valid',
      reference_id: `tok_${ctx.ids.next()}`,
      gateway: 'chargebee',
      gateway_account_id: 'gw_chargebee_test',
      created_at: now(ctx),
      updated_at: now(ctx),
      deleted: false,
      card: { last4: card.last4, brand: card.brand, funding_type: 'credit', object: 'card' },
      declines: card.declines,
    };
    s.paymentSources.set(ps.id, ps);
    c.primary_payment_source_id = ps.id;
    c.card_status = 'valid';
    c.payment_method = {
      type: 'card',
      reference_id: ps.reference_id,
      gateway: 'chargebee',
      status: 'valid',
      object: 'payment_method',
    };
    touch(ctx, c);
    return ps;
  };
  const publicSource = (ps: PaymentSourceObject) => {
    const { declines: _declines, ...rest } = ps;
    return rest;
  };

  const customerRoutes: kit.Route[] = [
    route('POST', '/customers', (p) => {
      const id = newId(p, (x) => s.customers.has(x), 'customer');
      const t = now(ctx);
      const c: CustomerObject = {
        id,
        object: 'customer',
        ...(p.str('first_name') !== undefined && { first_name: p.str('first_name') }),
        ...(p.str('last_name') !== undefined && { last_name: p.str('last_name') }),
        ...(p.str('email') !== undefined && { email: p.str('email') }),
        ...(p.str('company') !== undefined && { company: p.str('company') }),
        ...(p.str('vat_number') !== undefined && { vat_number: p.str('vat_number') }),
        auto_collection: p.str('auto_collection') === 'off' ? 'off' : 'on',
        net_term_days: 0,
        allow_direct_debit: false,
        taxability: 'taxable',
        pii_cleared: 'active',
        channel: 'web',
        card_status: 'no_card',
        promotional_credits: 0,
        refundable_credits: 0,
        excess_payments: 0,
        unbilled_charges: 0,
        ...(p.str('preferred_currency_code') !== undefined && {
          preferred_currency_code: p.str('preferred_currency_code')!.toUpperCase(),
        }),
        ...(p.object('billing_address') && {
          billing_address: { ...p.object('billing_address'), object: 'billing_address' },
        }),
        ...(p.json('meta_data') && { meta_data: p.json('meta_data') }),
        created_at: t,
        updated_at: t,
        resource_version: t * 1000,
        deleted: false,
      };
      const method = p.object('payment_method');
      s.customers.set(c.id, c);
      if (method?.tmp_token !== undefined)
        addPaymentSource(c, method.tmp_token, 'payment_method[tmp_token]');
      emit(ctx, 'customer_created', { customer: c });
      return { customer: c };
    }),
    route('GET', '/customers/:id', (_p, { id }) => ({ customer: customer(id!) })),
    route('POST', '/customers/:id', (p, { id }) => {
      const c = customer(id!);
      for (const f of [
        'first_name',
        'last_name',
        'email',
        'company',
        'vat_number',
        'preferred_currency_code',
      ] as const) {
        const v = p.str(f);
        if (v !== undefined) c[f] = v;
      }
      const auto = p.str('auto_collection');
      if (auto === 'on' || auto === 'off') c.auto_collection = auto;
      const meta = p.json('meta_data');
      if (meta) c.meta_data = meta;
      touch(ctx, c);
      emit(ctx, 'customer_changed', { customer: c });
      return { customer: c };
    }),
    route('POST', '/customers/:id/update_billing_info', (p, { id }) => {
      const c = customer(id!);
      const address = p.object('billing_address');
      if (address)
        c.billing_address = { ...c.billing_address, ...address, object: 'billing_address' };
      const vat = p.str('vat_number');
      if (vat !== undefined) c.vat_number = vat;
      touch(ctx, c);
      emit(ctx, 'customer_changed', { customer: c });
      return { customer: c };
    }),
    route('GET', '/customers', (p) => {
      const items = sortBy(
        [...s.customers.values()].filter(
          (c) =>
            !c.deleted &&
            matchesString(c.id, p.filter('id')) &&
            matchesString(c.email, p.filter('email')) &&
            matchesString(c.company, p.filter('company')) &&
            matchesTime(c.created_at, p.filter('created_at'), 'created_at') &&
            matchesTime(c.updated_at, p.filter('updated_at'), 'updated_at'),
        ),
        p,
        { created_at: (c) => c.created_at, updated_at: (c) => c.updated_at },
        'created_at',
      );
      return page(items, p, (c) => ({ customer: c }));
    }),
    route('POST', '/payment_sources/create_using_temp_token', (p) => {
      const c = customer(p.reqStr('customer_id'));
      const ps = addPaymentSource(c, p.reqStr('tmp_token'), 'tmp_token');
      emit(ctx, 'payment_source_added', { customer: c, payment_source: publicSource(ps) });
      return { customer: c, payment_source: publicSource(ps) };
    }),
    route('GET', '/payment_sources/:id', (_p, { id }) => {
      const ps = s.paymentSources.get(id!);
      if (!ps) throw notFound('Payment source', id!);
      return { payment_source: publicSource(ps) };
    }),
  ];

  const catalogRoutes: kit.Route[] = [
    route('POST', '/item_families', (p) => {
      const id = p.reqStr('id');
      if (s.itemFamilies.has(id)) throw duplicate('item_family', id);
      const family = {
        id,
        object: 'item_family' as const,
        name: p.reqStr('name'),
        status: 'active' as const,
        resource_version: Date.now(),
        updated_at: now(ctx),
      };
      s.itemFamilies.set(id, family);
      emit(ctx, 'item_family_created', { item_family: family });
      return { item_family: family };
    }),
    route('GET', '/item_families/:id', (_p, { id }) => {
      const f = s.itemFamilies.get(id!);
      if (!f) throw notFound('Item family', id!);
      return { item_family: f };
    }),
    route('POST', '/items', (p) => {
      const id = p.reqStr('id');
      if (s.items.has(id)) throw duplicate('item', id);
      const familyId = p.reqStr('item_family_id');
      if (!s.itemFamilies.has(familyId)) {
        throw chargebeeError(404, 'resource_not_found', `Item family ${familyId} not found`, {
          type: 'invalid_request',
          param: 'item_family_id',
          errorCode: 'referenced_resource_not_found',
        });
      }
      const type = p.reqStr('type');
      if (type !== 'plan' && type !== 'addon' && type !== 'charge')
        throw invalidParam('type', 'must be plan, addon or charge');
      const t = now(ctx);
      const item: ItemObject = {
        id,
        object: 'item',
        name: p.reqStr('name'),
        external_name: p.str('external_name') ?? p.reqStr('name'),
        type,
        item_family_id: familyId,
        status: 'active',
        is_shippable: false,
        is_giftable: false,
        enabled_for_checkout: true,
        enabled_in_portal: true,
        item_applicability: 'all',
        metered: false,
        channel: 'web',
        ...(p.json('metadata') && { metadata: p.json('metadata') }),
        resource_version: t * 1000,
        updated_at: t,
      };
      s.items.set(id, item);
      emit(ctx, 'item_created', { item });
      return { item };
    }),
    route('GET', '/items/:id', (_p, { id }) => {
      const item = s.items.get(id!);
      if (!item) throw notFound('Item', id!);
      return { item };
    }),
    route('POST', '/item_prices', (p) => {
      const id = p.reqStr('id');
      if (s.itemPrices.has(id)) throw duplicate('item_price', id);
      const item = s.items.get(p.reqStr('item_id'));
      if (!item) {
        throw chargebeeError(404, 'resource_not_found', `Item ${p.reqStr('item_id')} not found`, {
          type: 'invalid_request',
          param: 'item_id',
          errorCode: 'referenced_resource_not_found',
        });
      }
      const model = p.str('pricing_model') ?? 'per_unit';
      if (model !== 'per_unit' && model !== 'flat_fee') {
        throw invalidParam('pricing_model', 'the emulator supports per_unit and flat_fee');
      }
      const price = p.int('price', { min: 0 }) ?? 0;
      const unit = p.str('period_unit') ?? 'month';
      if (unit !== 'day' && unit !== 'week' && unit !== 'month' && unit !== 'year') {
        throw invalidParam('period_unit', 'must be day, week, month or year');
      }
      const t = now(ctx);
      const ip: ItemPriceObject = {
        id,
        object: 'item_price',
        name: p.reqStr('name'),
        external_name: p.str('external_name') ?? p.reqStr('name'),
        item_id: item.id,
        item_type: item.type,
        item_family_id: item.item_family_id,
        status: 'active',
        pricing_model: model,
        price,
        currency_code: (p.str('currency_code') ?? 'USD').toUpperCase(),
        period: p.int('period', { min: 1 }) ?? 1,
        period_unit: unit,
        free_quantity: 0,
        is_taxable: true,
        channel: 'web',
        ...(p.json('metadata') && { metadata: p.json('metadata') }),
        created_at: t,
        updated_at: t,
        resource_version: t * 1000,
      };
      s.itemPrices.set(id, ip);
      emit(ctx, 'item_price_created', { item_price: ip });
      return { item_price: ip };
    }),
    route('GET', '/item_prices/:id', (_p, { id }) => ({ item_price: itemPrice(id!, 'id') })),
    route('GET', '/item_prices', (p) => {
      const items = [...s.itemPrices.values()].filter(
        (ip) =>
          matchesString(ip.item_id, p.filter('item_id')) &&
          matchesString(ip.currency_code, p.filter('currency_code')) &&
          matchesString(ip.status, p.filter('status')),
      );
      return page(items.reverse(), p, (ip) => ({ item_price: ip }));
    }),
  ];

  /** Items from `subscription_items[...]` rows, checked against the catalog. */
  const itemsOf = (p: Params) => {
    const rows = p.rows('subscription_items');
    return rows.map((row, i) => {
      const priceId = row.item_price_id;
      if (priceId === undefined) throw missingParam(`subscription_items[item_price_id][${i}]`);
      const price = itemPrice(priceId, `subscription_items[item_price_id][${i}]`);
      const quantity =
        row.quantity !== undefined
          ? toInt(`subscription_items[quantity][${i}]`, row.quantity, { min: 1 })
          : 1;
      const unit =
        row.unit_price !== undefined
          ? toInt(`subscription_items[unit_price][${i}]`, row.unit_price, { min: 0 })
          : undefined;
      return { price, quantity, unit };
    });
  };

  const subscriptionRoutes: kit.Route[] = [
    route('POST', '/customers/:id/subscription_for_items', (p, { id }) => {
      const c = customer(id!);
      const items = itemsOf(p);
      if (items.length === 0) throw missingParam('subscription_items[item_price_id][0]');
      const first = items[0]!.price;
      for (const [i, { price }] of items.entries()) {
        if (price.currency_code !== first.currency_code) {
          throw invalidParam(
            `subscription_items[item_price_id][${i}]`,
            'all item prices must be in one currency',
          );
        }
        if (price.period_unit !== first.period_unit || price.period !== first.period) {
          throw invalidParam(
            `subscription_items[item_price_id][${i}]`,
            'all item prices must have the same billing period',
          );
        }
      }
      const subId = newId(p, (x) => s.subscriptions.has(x), 'subscription');
      const t = now(ctx);
      const sub: SubscriptionObject = {
        id: subId,
        object: 'subscription',
        customer_id: c.id,
        status: 'active',
        currency_code: first.currency_code,
        billing_period: first.period,
        billing_period_unit: first.period_unit,
        current_term_start: t,
        current_term_end: addPeriod(t, first.period_unit, first.period),
        started_at: t,
        activated_at: t,
        created_at: t,
        updated_at: t,
        resource_version: t * 1000,
        auto_collection: c.auto_collection,
        has_scheduled_changes: false,
        channel: 'web',
        subscription_items: items.map(({ price, quantity, unit }) =>
          subscriptionItem(price, quantity, unit),
        ),
        ...(p.json('meta_data') && { meta_data: p.json('meta_data') }),
        mrr: 0,
        due_invoices_count: 0,
        deleted: false,
      };
      sub.next_billing_at = sub.current_term_end;
      refreshAmounts(sub);
      s.subscriptions.set(sub.id, sub);
      let inv: InvoiceObject | undefined;
      if (p.bool('invoice_immediately') !== false) {
        inv = issueInvoice(ctx, c, sub, sub.currency_code, termLines(ctx, sub), { first: true });
      }
      emit(ctx, 'subscription_created', {
        subscription: sub,
        customer: c,
        ...(inv && { invoice: inv }),
      });
      if (inv) finishInvoice(ctx, inv, true);
      return { subscription: sub, customer: c, ...(inv && { invoice: inv }) };
    }),
    route('GET', '/subscriptions/:id', (_p, { id }) => {
      const sub = subscription(id!);
      return { subscription: sub, customer: customer(sub.customer_id) };
    }),
    route('GET', '/subscriptions', (p) => {
      const items = sortBy(
        [...s.subscriptions.values()].filter(
          (sub) =>
            !sub.deleted &&
            matchesString(sub.id, p.filter('id')) &&
            matchesString(sub.customer_id, p.filter('customer_id')) &&
            matchesString(sub.status, p.filter('status')) &&
            matchesTime(sub.updated_at, p.filter('updated_at'), 'updated_at'),
        ),
        p,
        { created_at: (x) => x.created_at, updated_at: (x) => x.updated_at },
        'created_at',
      );
      return page(items, p, (sub) => ({
        subscription: sub,
        customer: s.customers.get(sub.customer_id),
      }));
    }),
    route('POST', '/subscriptions/:id/update_for_items', (p, { id }) => {
      const sub = subscription(id!);
      if (sub.status === 'cancelled') throw invalidState(`Subscription ${sub.id} is cancelled`);
      if (p.bool('end_of_term') === true) {
        throw chargebeeError(
          400,
          'invalid_request',
          'end_of_term : scheduled changes are not implemented by the emulator',
          {
            type: 'invalid_request',
            param: 'end_of_term',
          },
        );
      }
      const c = customer(sub.customer_id);
      const items = itemsOf(p);
      const replace = p.bool('replace_items_list') === true;
      const prorated = p.bool('prorate') !== false;
      const immediately = p.bool('invoice_immediately') !== false;
      const t = now(ctx);
      const before = sub.subscription_items.map((i) => ({ ...i }));
      const next = replace ? [] : sub.subscription_items.map((i) => ({ ...i }));
      for (const [i, { price, quantity, unit }] of items.entries()) {
        if (
          price.currency_code !== sub.currency_code ||
          price.period_unit !== sub.billing_period_unit
        ) {
          throw invalidParam(
            `subscription_items[item_price_id][${i}]`,
            'currency and billing period must match the subscription',
          );
        }
        // An item price of an item already subscribed replaces that item's price.
        const at = next.findIndex((x) => itemOfPrice(x.item_price_id) === price.item_id);
        const item = subscriptionItem(price, quantity, unit);
        if (at >= 0) next[at] = item;
        else next.push(item);
      }
      sub.subscription_items = next;
      refreshAmounts(sub);
      const meta = p.json('meta_data');
      if (meta) sub.meta_data = meta;
      touch(ctx, sub);

      // Delta proration per item: (new − old) × remaining days / term days.
      const charges: LineInput[] = [];
      const credits: LineInput[] = [];
      if (prorated) {
        const keys = new Set([...before, ...next].map((x) => itemOfPrice(x.item_price_id)));
        for (const key of keys) {
          const old = before.find((x) => itemOfPrice(x.item_price_id) === key);
          const cur = next.find((x) => itemOfPrice(x.item_price_id) === key);
          const delta = (cur?.amount ?? 0) - (old?.amount ?? 0);
          if (delta === 0) continue;
          const amount = prorate(delta, sub.current_term_start, sub.current_term_end, t);
          if (amount === 0) continue;
          const ref = (cur ?? old)!;
          const price = s.itemPrices.get(ref.item_price_id);
          const line: LineInput = {
            description: `${price?.name ?? ref.item_price_id} - Prorated ${amount > 0 ? 'Charges' : 'Credits'}`,
            unitAmount: Math.abs(amount),
            quantity: 1,
            amount: Math.abs(amount),
            from: t,
            to: sub.current_term_end,
            entityType: ref.item_type === 'plan' ? 'plan_item_price' : 'addon_item_price',
            entityId: ref.item_price_id,
            subscriptionId: sub.id,
            prorated: true,
          };
          (amount > 0 ? charges : credits).push(line);
        }
      }
      let inv: InvoiceObject | undefined;
      const notes: CreditNoteObject[] = [];
      if (charges.length > 0) {
        if (immediately) {
          inv = issueInvoice(ctx, c, sub, sub.currency_code, charges, { first: false });
        } else {
          for (const line of charges) addUnbilled(ctx, sub, line);
        }
      }
      if (credits.length > 0) {
        const against = inv ?? latestInvoice(ctx, sub.id);
        if (against) {
          const note = createCreditNote(ctx, against, {
            type: 'adjustment',
            reasonCode: 'subscription_change',
            lines: credits,
          });
          notes.push(note);
          if (inv) applyCredit(ctx, note, inv);
        }
      }
      emit(ctx, 'subscription_changed', {
        subscription: sub,
        customer: c,
        ...(inv && { invoice: inv }),
      });
      for (const note of notes) {
        const ref = s.invoices.get(note.reference_invoice_id);
        emit(ctx, 'credit_note_created', {
          credit_note: note,
          customer: c,
          ...(ref && { invoice: ref }),
        });
      }
      if (inv) finishInvoice(ctx, inv, true);
      return {
        subscription: sub,
        customer: c,
        ...(inv && { invoice: inv }),
        ...(notes.length > 0 && { credit_notes: notes }),
      };
    }),
    ...['/cancel', '/cancel_for_items'].map((suffix) =>
      route('POST', `/subscriptions/:id${suffix}`, (p, { id }) => {
        const sub = subscription(id!);
        if (sub.status === 'cancelled')
          throw invalidState(`Subscription ${sub.id} is already cancelled`);
        const c = customer(sub.customer_id);
        const reason = p.str('cancel_reason_code');
        if (reason !== undefined) sub.cancel_reason_code = reason;
        const credit = p.str('credit_option_for_current_term_charges') ?? 'none';
        const t = now(ctx);
        if (p.bool('end_of_term') === true) {
          sub.status = 'non_renewing';
          sub.cancelled_at = sub.current_term_end;
          delete sub.next_billing_at;
          touch(ctx, sub);
          emit(ctx, 'subscription_cancellation_scheduled', { subscription: sub, customer: c });
          return { subscription: sub, customer: c };
        }
        let note: CreditNoteObject | undefined;
        if (credit === 'prorate' || credit === 'full') {
          const last = latestInvoice(ctx, sub.id);
          if (last && last.status === 'paid') {
            const share =
              credit === 'full'
                ? last.total
                : prorate(last.total, sub.current_term_start, sub.current_term_end, t);
            if (share > 0)
              note = createCreditNote(ctx, last, {
                type: 'refundable',
                reasonCode: 'subscription_cancellation',
                total: share,
              });
          }
        }
        sub.status = 'cancelled';
        sub.cancelled_at = t;
        delete sub.next_billing_at;
        refreshAmounts(sub);
        touch(ctx, sub);
        emit(ctx, 'subscription_cancelled', { subscription: sub, customer: c });
        if (note)
          emit(ctx, 'credit_note_created', {
            credit_note: note,
            customer: c,
            invoice: s.invoices.get(note.reference_invoice_id),
          });
        return { subscription: sub, customer: c, ...(note && { credit_notes: [note] }) };
      }),
    ),
  ];

  function itemOfPrice(priceId: string): string {
    return s.itemPrices.get(priceId)?.item_id ?? priceId;
  }

  const invoiceRoutes: kit.Route[] = [
    route('GET', '/invoices/:id', (_p, { id }) => ({ invoice: invoice(id!) })),
    route('GET', '/invoices', (p) => {
      const items = sortBy(
        [...s.invoices.values()].filter(
          (inv) =>
            matchesString(inv.id, p.filter('id')) &&
            matchesString(inv.customer_id, p.filter('customer_id')) &&
            matchesString(inv.subscription_id, p.filter('subscription_id')) &&
            matchesString(inv.status, p.filter('status')) &&
            matchesTime(inv.date, p.filter('date'), 'date') &&
            matchesTime(inv.updated_at, p.filter('updated_at'), 'updated_at'),
        ),
        p,
        { date: (x) => x.date, updated_at: (x) => x.updated_at },
        'date',
      );
      return page(items, p, (inv) => ({ invoice: inv }));
    }),
    route('POST', '/invoices/:id/collect_payment', (p, { id }) => {
      const inv = invoice(id!);
      if (inv.status !== 'payment_due' && inv.status !== 'not_paid') {
        throw invalidState(
          `Invoice ${inv.id} is ${inv.status}; only unpaid invoices can be collected`,
        );
      }
      const source = p.str('payment_source_id');
      if (source !== undefined && !s.paymentSources.has(source))
        throw notFound('Payment source', source);
      const txn = collect(ctx, inv, source);
      if (!txn) {
        throw chargebeeError(
          400,
          'payment_method_not_present',
          'The customer has no payment method to collect from',
          {
            type: 'payment',
          },
        );
      }
      if (txn.status === 'failure') {
        throw chargebeeError(400, 'payment_processing_failed', txn.error_text ?? 'Payment failed', {
          type: 'payment',
          errorCode: txn.error_code ?? 'card_declined',
        });
      }
      return { invoice: inv, transaction: txn };
    }),
    route('POST', '/invoices/:id/refund', (p, { id }) => {
      const inv = invoice(id!);
      if (inv.amount_paid <= 0) throw invalidState(`Invoice ${inv.id} has no payment to refund`);
      const refunded = inv.issued_credit_notes
        .map((l) => s.creditNotes.get(String(l.cn_id)))
        .reduce((a, n) => a + (n?.amount_refunded ?? 0), 0);
      const left = inv.amount_paid - refunded;
      const amount = p.int('refund_amount', { min: 1 }) ?? left;
      if (amount > left)
        throw invalidParam('refund_amount', `cannot exceed the refundable ${left}`);
      const reason = p.object('credit_note')?.reason_code ?? 'other';
      const { transaction, creditNote } = refundInvoice(ctx, inv, amount, reason);
      return { invoice: inv, transaction, credit_note: creditNote };
    }),
  ];

  const creditNoteRoutes: kit.Route[] = [
    route('POST', '/credit_notes', (p) => {
      const inv = invoice(p.reqStr('reference_invoice_id'));
      const type = p.reqStr('type');
      if (type !== 'adjustment' && type !== 'refundable')
        throw invalidParam('type', 'must be adjustment or refundable');
      const total = p.int('total', { min: 1 });
      if (total !== undefined && total > inv.total)
        throw invalidParam('total', `cannot exceed the invoice total ${inv.total}`);
      const reason = p.str('create_reason_code') ?? p.str('reason_code') ?? 'other';
      const note = createCreditNote(ctx, inv, {
        type,
        reasonCode: reason,
        ...(total !== undefined && { total }),
      });
      if (type === 'adjustment' && inv.amount_due > 0) applyCredit(ctx, note, inv);
      const c = customer(inv.customer_id);
      emit(ctx, 'credit_note_created', { credit_note: note, invoice: inv, customer: c });
      return { credit_note: note, invoice: inv };
    }),
    route('GET', '/credit_notes/:id', (_p, { id }) => {
      const note = s.creditNotes.get(id!);
      if (!note) throw notFound('Credit note', id!);
      return { credit_note: note };
    }),
    route('GET', '/credit_notes', (p) => {
      const items = [...s.creditNotes.values()].filter(
        (n) =>
          matchesString(n.customer_id, p.filter('customer_id')) &&
          matchesString(n.reference_invoice_id, p.filter('reference_invoice_id')) &&
          matchesTime(n.date, p.filter('date'), 'date'),
      );
      return page(items.reverse(), p, (n) => ({ credit_note: n }));
    }),
  ];

  const transactionRoutes: kit.Route[] = [
    route('GET', '/transactions/:id', (_p, { id }) => {
      const txn = s.transactions.get(id!);
      if (!txn) throw notFound('Transaction', id!);
      return { transaction: txn };
    }),
    route('GET', '/transactions', (p) => {
      const items: TransactionObject[] = [...s.transactions.values()]
        .filter(
          (txn) =>
            matchesString(txn.customer_id, p.filter('customer_id')) &&
            matchesString(txn.subscription_id, p.filter('subscription_id')) &&
            matchesString(txn.type, p.filter('type')) &&
            matchesString(txn.status, p.filter('status')) &&
            matchesTime(txn.date, p.filter('date'), 'date'),
        )
        .reverse();
      return page(items, p, (txn) => ({ transaction: txn }));
    }),
    route('GET', '/invoices/:id/payments', (p, { id }) => {
      const inv = invoice(id!);
      const items = inv.linked_payments
        .map((l) => s.transactions.get(String(l.txn_id)))
        .filter((t): t is TransactionObject => t !== undefined);
      return page(items, p, (txn) => ({ transaction: txn }));
    }),
  ];

  const unbilledRoutes: kit.Route[] = [
    route('POST', '/unbilled_charges', (p) => {
      const sub = subscription(p.reqStr('subscription_id'));
      const rows = p.rows('charges');
      if (rows.length === 0) throw missingParam('charges[amount][0]');
      const created = rows.map((row, i) => {
        if (row.amount === undefined) throw missingParam(`charges[amount][${i}]`);
        const amount = toInt(`charges[amount][${i}]`, row.amount, { min: 1 });
        const t = now(ctx);
        return addUnbilled(ctx, sub, {
          description: row.description ?? 'Charge',
          unitAmount: amount,
          quantity: 1,
          amount,
          from: row.date_from !== undefined ? toInt(`charges[date_from][${i}]`, row.date_from) : t,
          to: row.date_to !== undefined ? toInt(`charges[date_to][${i}]`, row.date_to) : t,
          entityType: 'adhoc',
          subscriptionId: sub.id,
        });
      });
      return { unbilled_charges: created };
    }),
    route('GET', '/unbilled_charges', (p) => {
      const items = [...s.unbilledCharges.values()].filter(
        (u) =>
          matchesString(u.subscription_id, p.filter('subscription_id')) &&
          matchesString(u.customer_id, p.filter('customer_id')),
      );
      return page(items, p, (u) => ({ unbilled_charge: u }));
    }),
  ];

  const eventRoutes: kit.Route[] = [
    route('GET', '/events/:id', (_p, { id }) => {
      const e = s.events.find((x) => x.id === id);
      if (!e) throw notFound('Event', id!);
      return { event: e };
    }),
    route('GET', '/events', (p) => {
      const items = sortBy(
        s.events.filter(
          (e) =>
            matchesTime(e.occurred_at, p.filter('occurred_at'), 'occurred_at') &&
            matchesString(e.event_type, p.filter('event_type')) &&
            matchesString(e.source, p.filter('source')),
        ),
        p,
        { occurred_at: (e) => e.occurred_at },
        'occurred_at',
      );
      return page(items, p, (e) => ({ event: e }));
    }),
  ];

  const timeMachine = () => ({
    name: 'delorean',
    time_travel_status: 'succeeded',
    genesis_time: s.genesisTime,
    destination_time: now(ctx),
    object: 'time_machine',
  });
  const timeMachineRoutes: kit.Route[] = [
    route('GET', '/time_machines/:name', (_p, { name }) => {
      if (name !== 'delorean') throw notFound('Time machine', name!);
      return { time_machine: timeMachine() };
    }),
    route('POST', '/time_machines/:name/travel_forward', (p, { name }) => {
      if (name !== 'delorean') throw notFound('Time machine', name!);
      const destination = p.int('destination_time');
      if (destination === undefined) throw missingParam('destination_time');
      if (destination <= now(ctx))
        throw invalidParam('destination_time', 'must be later than the current time');
      ctx.clock.set(destination * 1000);
      runDue(ctx);
      return { time_machine: timeMachine() };
    }),
  ];

  return [
    ...customerRoutes,
    ...catalogRoutes,
    ...subscriptionRoutes,
    ...invoiceRoutes,
    ...creditNoteRoutes,
    ...transactionRoutes,
    ...unbilledRoutes,
    ...eventRoutes,
    ...timeMachineRoutes,
  ];
}

function latestInvoice(ctx: ChargebeeContext, subscriptionId: string): InvoiceObject | undefined {
  let last: InvoiceObject | undefined;
  for (const inv of ctx.state.invoices.values())
    if (inv.subscription_id === subscriptionId) last = inv;
  return last;
}

function addUnbilled(
  ctx: ChargebeeContext,
  sub: SubscriptionObject,
  line: LineInput,
): UnbilledChargeObject {
  const charge: UnbilledChargeObject = {
    id: ctx.ids.next('uc'),
    object: 'unbilled_charge',
    customer_id: sub.customer_id,
    subscription_id: sub.id,
    date_from: line.from,
    date_to: line.to,
    unit_amount: line.unitAmount,
    quantity: line.quantity,
    amount: line.amount,
    currency_code: sub.currency_code,
    pricing_model: 'flat_fee',
    description: line.description,
    entity_type: 'adhoc',
    is_voided: false,
    updated_at: now(ctx),
    deleted: false,
  };
  ctx.state.unbilledCharges.set(charge.id, charge);
  return charge;
}

export { mrrOf };
