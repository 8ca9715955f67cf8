import type * as kit from '../kit/index.ts';
import { markPaid, taxesFor } from './billing.ts';
import { emit, nowFor, update, type StripeContext } from './context.ts';
import { invalidRequest, missingParam, noSuch } from './errors.ts';
import { embeddedList, paginate, rangeFilter } from './lists.ts';
import { getInvoice, getTaxRates, idOf } from './lookup.ts';
import { roundMinor } from './proration.ts';
import { createRefund } from './refunds.ts';
import { route } from './route.ts';
import type { CreditNote, CreditNoteLine, Invoice } from './state.ts';

type Tax = NonNullable<CreditNoteLine['taxes']>[number];

function totalsOf(lines: readonly CreditNoteLine[]) {
  let subtotal = 0;
  let inclusive = 0;
  let exclusive = 0;
  const byRate = new Map<string, Tax>();
  for (const l of lines) {
    subtotal += l.amount;
    for (const t of l.taxes ?? []) {
      if (t.tax_behavior === 'inclusive') inclusive += t.amount;
      else exclusive += t.amount;
      const key = `${t.tax_rate_details?.tax_rate}/${t.tax_behavior}`;
      const agg = byRate.get(key);
      if (agg) {
        agg.amount += t.amount;
        agg.taxable_amount = (agg.taxable_amount ?? 0) + (t.taxable_amount ?? 0);
      } else byRate.set(key, { ...t });
    }
  }
  return {
    subtotal,
    inclusive,
    exclusive,
    total: subtotal + exclusive,
    taxes: [...byRate.values()],
  };
}

/** What can still be credited: the rest due on an open invoice, or what was paid and not yet credited. */
function creditable(inv: Invoice): number {
  return inv.status === 'paid'
    ? inv.amount_paid - inv.post_payment_credit_notes_amount
    : inv.amount_remaining;
}

/** `/v1/credit_notes`: pre-payment (open invoice) and post-payment (refund / balance credit) notes. */
export function creditNoteRoutes(ctx: StripeContext): kit.Route[] {
  const get = (id: string): CreditNote => {
    const cn = ctx.state.creditNotes.get(id);
    if (!cn) throw noSuch('credit_note', id);
    return cn;
  };
  return [
    route(ctx, 'POST', '/v1/credit_notes', ({ p }) => {
      p.allow(
        'invoice',
        'amount',
        'credit_amount',
        'effective_at',
        'email_type',
        'lines',
        'memo',
        'metadata',
        'out_of_band_amount',
        'reason',
        'refund_amount',
        'refunds',
        'shipping_cost',
      );
      const inv = getInvoice(ctx, p.reqStr('invoice'), 'invoice');
      if (inv.status !== 'open' && inv.status !== 'paid') {
        throw invalidRequest(
          `You can only create credit notes for open or paid invoices; this invoice is ${inv.status}.`,
          'invoice',
        );
      }
      const customerId = idOf(inv.customer) ?? '';
      const at = nowFor(ctx, customerId);
      const id = ctx.ids.next('cn');
      const lines: CreditNoteLine[] = [];
      const lineParams = p.list('lines');
      if (lineParams && lineParams.length > 0) {
        for (const lp of lineParams) {
          lp.allow(
            'type',
            'invoice_line_item',
            'quantity',
            'amount',
            'description',
            'metadata',
            'tax_rates',
            'tax_amounts',
            'unit_amount',
            'unit_amount_decimal',
          );
          const type = lp.oneOf('type', ['invoice_line_item', 'custom_line_item'] as const);
          if (!type) throw missingParam(lp.name('type'));
          if (type === 'invoice_line_item') {
            const lineId = lp.reqStr('invoice_line_item');
            const il = inv.lines.data.find((l) => l.id === lineId);
            if (!il) throw noSuch('invoice line item', lineId, lp.name('invoice_line_item'));
            const qty = lp.int('quantity', { min: 0 });
            const unit = il.quantity ? il.amount / il.quantity : il.amount;
            const amount =
              lp.int('amount') ?? (qty !== undefined ? roundMinor(unit * qty) : il.amount);
            const rates = (il.taxes ?? [])
              .map((t) => t.tax_rate_details?.tax_rate ?? '')
              .filter((r) => r !== '');
            lines.push({
              id: ctx.ids.next('cnli'),
              object: 'credit_note_line_item',
              amount,
              description: lp.str('description') ?? il.description,
              discount_amount: 0,
              discount_amounts: [],
              invoice_line_item: il.id,
              livemode: false,
              metadata: lp.metadata(),
              pretax_credit_amounts: [],
              quantity: qty ?? il.quantity,
              tax_rates: rates.map((r) => ctx.state.taxRates.get(r)).filter((r) => r !== undefined),
              taxes: taxesFor(ctx, amount, rates),
              type,
              unit_amount: null,
              unit_amount_decimal: null,
            });
          } else {
            const qty = lp.int('quantity', { min: 1 }) ?? 1;
            const unitStr = lp.str('unit_amount_decimal') ?? lp.str('unit_amount');
            if (unitStr === undefined) throw missingParam(lp.name('unit_amount'));
            const unit = Number(unitStr);
            const amount = roundMinor(unit * qty);
            const rates = getTaxRates(ctx, lp.strings('tax_rates') ?? [], lp.name('tax_rates'));
            lines.push({
              id: ctx.ids.next('cnli'),
              object: 'credit_note_line_item',
              amount,
              description: lp.reqStr('description'),
              discount_amount: 0,
              discount_amounts: [],
              livemode: false,
              metadata: lp.metadata(),
              pretax_credit_amounts: [],
              quantity: qty,
              tax_rates: rates,
              taxes: taxesFor(
                ctx,
                amount,
                rates.map((r) => r.id),
              ),
              type,
              unit_amount: Number.isInteger(unit) ? unit : null,
              unit_amount_decimal: unitStr,
            });
          }
        }
      } else {
        const amount =
          p.int('amount', { min: 1 }) ??
          p.int('credit_amount', { min: 1 }) ??
          p.int('refund_amount', { min: 1 });
        if (amount === undefined) throw missingParam('lines');
        lines.push({
          id: ctx.ids.next('cnli'),
          object: 'credit_note_line_item',
          amount,
          description: p.str('memo') ?? 'Credit',
          discount_amount: 0,
          discount_amounts: [],
          livemode: false,
          metadata: {},
          pretax_credit_amounts: [],
          quantity: 1,
          tax_rates: [],
          taxes: [],
          type: 'custom_line_item',
          unit_amount: amount,
          unit_amount_decimal: String(amount),
        });
      }
      const t = totalsOf(lines);
      if (t.total <= 0)
        throw invalidRequest('The credit note total must be greater than 0.', 'lines');
      const max = creditable(inv);
      if (t.total > max) {
        throw invalidRequest(
          `The credit note total (${t.total}) is greater than the amount that can be credited on this invoice (${max}).`,
          'lines',
        );
      }
      const post = inv.status === 'paid';
      let refundAmount = p.int('refund_amount', { min: 0 }) ?? 0;
      let creditAmount = p.int('credit_amount', { min: 0 }) ?? 0;
      const outOfBand = p.int('out_of_band_amount', { min: 0 }) ?? 0;
      if (post) {
        if (refundAmount + creditAmount + outOfBand === 0) creditAmount = t.total;
        if (refundAmount + creditAmount + outOfBand !== t.total) {
          throw invalidRequest(
            `The sum of credit amount, refund amount and out of band amount (${refundAmount + creditAmount + outOfBand}) must equal the credit note amount (${t.total}).`,
            'refund_amount',
          );
        }
      } else if (refundAmount > 0) {
        throw invalidRequest(
          'You cannot refund a credit note on an invoice that has not been paid.',
          'refund_amount',
        );
      } else {
        refundAmount = 0;
        creditAmount = 0;
      }
      const seq =
        [...ctx.state.creditNotes.values()].filter((c) => c.invoice === inv.id).length + 1;
      const reason = p.oneOf('reason', [
        'duplicate',
        'fraudulent',
        'order_change',
        'product_unsatisfactory',
      ] as const);
      const cn: CreditNote = {
        id,
        object: 'credit_note',
        amount: t.total,
        amount_shipping: 0,
        created: at,
        currency: inv.currency,
        customer: customerId,
        customer_account: null,
        customer_balance_transaction: null,
        discount_amount: 0,
        discount_amounts: [],
        effective_at: p.int('effective_at') ?? at,
        invoice: inv.id,
        lines: embeddedList(lines, `/v1/credit_notes/${id}/lines`),
        livemode: false,
        memo: p.str('memo') ?? null,
        metadata: p.metadata(),
        number: `${inv.number ?? inv.id}-CN-${String(seq).padStart(2, '0')}`,
        out_of_band_amount: post ? outOfBand : null,
        pdf: `https://pay.stripe.com/credit_notes/emulated/${id}/pdf`,
        post_payment_amount: post ? t.total : 0,
        pre_payment_amount: post ? 0 : t.total,
        pretax_credit_amounts: [],
        reason: reason ?? null,
        refunds: [],
        shipping_cost: null,
        status: 'issued',
        subtotal: t.subtotal,
        subtotal_excluding_tax: t.subtotal - t.inclusive,
        total: t.total,
        total_excluding_tax: t.subtotal - t.inclusive,
        total_taxes: t.taxes,
        type: post ? 'post_payment' : 'pre_payment',
        voided_at: null,
      };
      if (post && refundAmount > 0) {
        const pi = ctx.state.paymentIntents.get(ctx.state.invoicePaymentIntent.get(inv.id) ?? '');
        const charge = ctx.state.charges.get(idOf(pi?.latest_charge ?? null) ?? '');
        if (!charge) {
          throw invalidRequest(
            'This invoice was not paid with a charge that can be refunded.',
            'refund_amount',
          );
        }
        const refund = createRefund(ctx, charge, { amount: refundAmount });
        cn.refunds.push({
          amount_refunded: refundAmount,
          payment_record_refund: null,
          refund: refund.id,
          type: 'refund',
        });
      }
      if (post && creditAmount > 0) {
        const customer = ctx.state.customers.get(customerId);
        if (customer) {
          update(
            ctx,
            'customer.updated',
            customer,
            (c) => {
              c.balance -= creditAmount;
            },
            at,
          );
        }
        cn.customer_balance_transaction = ctx.ids.next('cbtxn');
      }
      ctx.state.creditNotes.add(cn);
      update(
        ctx,
        'invoice.updated',
        inv,
        (o) => {
          if (post) o.post_payment_credit_notes_amount += t.total;
          else {
            o.pre_payment_credit_notes_amount += t.total;
            o.amount_due -= t.total;
            o.amount_remaining -= t.total;
          }
        },
        at,
      );
      emit(ctx, 'credit_note.created', cn, { created: at });
      if (!post && inv.amount_remaining === 0) markPaid(ctx, inv, at, false);
      return cn;
    }),
    route(ctx, 'GET', '/v1/credit_notes/:id', ({ param }) => get(param('id'))),
    route(ctx, 'POST', '/v1/credit_notes/:id', ({ p, param }) => {
      p.allow('memo', 'metadata');
      return update(ctx, 'credit_note.updated', get(param('id')), (cn) => {
        if (p.has('memo')) cn.memo = p.nullableStr('memo') ?? null;
        cn.metadata = p.metadata(cn.metadata ?? {});
      });
    }),
    route(ctx, 'POST', '/v1/credit_notes/:id/void', ({ param }) => {
      const cn = get(param('id'));
      if (cn.status !== 'issued') throw invalidRequest('This credit note has already been voided.');
      if (cn.refunds.length > 0) {
        throw invalidRequest('You cannot void a credit note that has refunds.');
      }
      const inv = getInvoice(ctx, idOf(cn.invoice) ?? '');
      const customerId = idOf(cn.customer) ?? '';
      const at = nowFor(ctx, customerId);
      if (cn.type === 'pre_payment' && inv.status !== 'open') {
        throw invalidRequest(
          'You can only void a pre-payment credit note while its invoice is open.',
        );
      }
      update(
        ctx,
        'invoice.updated',
        inv,
        (o) => {
          if (cn.type === 'post_payment') o.post_payment_credit_notes_amount -= cn.total;
          else {
            o.pre_payment_credit_notes_amount -= cn.total;
            o.amount_due += cn.total;
            o.amount_remaining += cn.total;
          }
        },
        at,
      );
      const credited = cn.post_payment_amount - (cn.out_of_band_amount ?? 0);
      const customer = ctx.state.customers.get(customerId);
      if (cn.type === 'post_payment' && credited > 0 && customer) {
        update(
          ctx,
          'customer.updated',
          customer,
          (c) => {
            c.balance += credited;
          },
          at,
        );
      }
      cn.status = 'void';
      cn.voided_at = at;
      emit(ctx, 'credit_note.voided', cn, { created: at });
      return cn;
    }),
    route(ctx, 'GET', '/v1/credit_notes/:id/lines', ({ p, param }) => {
      p.allow('limit', 'starting_after', 'ending_before');
      const cn = get(param('id'));
      return paginate(cn.lines.data, p, `/v1/credit_notes/${cn.id}/lines`);
    }),
    route(ctx, 'GET', '/v1/credit_notes', ({ p }) => {
      p.allow(
        'invoice',
        'customer',
        'created',
        'limit',
        'starting_after',
        'ending_before',
        'customer_account',
      );
      const invoice = p.str('invoice');
      const customer = p.str('customer');
      const created = rangeFilter(p, 'created');
      const items = ctx.state.creditNotes
        .newestFirst()
        .filter(
          (cn) =>
            (invoice === undefined || cn.invoice === invoice) &&
            (customer === undefined || cn.customer === customer) &&
            created(cn.created),
        );
      return paginate(items, p, '/v1/credit_notes');
    }),
  ];
}
