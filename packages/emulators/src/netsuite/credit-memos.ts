import { minorUnitsToJson } from './decimal.ts';
import { userError } from './errors.ts';
import { refView, resolveRef, type RecordType } from './record-type.ts';
import { currencyOf } from './reference-data.ts';
import type { Application, CreditMemo, Invoice } from './state.ts';
import {
  amountDue,
  applyLinesView,
  checkApplied,
  itemLineView,
  readApplyLines,
  readCustomerHeader,
  readLinesAndTotals,
  transactionHeaderView,
} from './transaction-common.ts';

/** Credit memo status: Open while some credit is unapplied, then Fully Applied. */
export function creditMemoStatus(cm: CreditMemo): { id: string; refName: string } {
  const applied = cm.apply.reduce((s, a) => s + a.amount, 0);
  return applied >= cm.total ? { id: 'B', refName: 'Fully Applied' } : { id: 'A', refName: 'Open' };
}

/**
 * `creditmemo`: a credit to a customer with `item` lines and `taxTotal` like an invoice,
 * optionally `createdFrom` an invoice (same customer and currency). Its `apply` sublist applies
 * the credit to invoices; when created from an invoice without an `apply` sublist, the credit is
 * applied to that invoice (up to what is due).
 */
export const creditMemoType: RecordType<'creditmemo'> = {
  name: 'creditmemo',
  label: 'Credit Memo',
  customPrefix: 'custbody',
  sublists: ['item', 'apply'],
  write(r, existing, base, ctx) {
    r.ignore('subtotal', 'total', 'applied', 'unapplied', 'amountRemaining', 'exchangeRate');
    const h = readCustomerHeader(r, 'entity', existing, existing?.entity, ctx);
    const fromRef = r.ref('createdFrom');
    const createdFrom =
      fromRef === undefined
        ? existing?.createdFrom
        : fromRef === null
          ? undefined
          : resolveRef(ctx.state, ['invoice'], fromRef, 'createdFrom', r.at('createdFrom'));
    if (createdFrom !== undefined) {
      const source = ctx.state.get('invoice', createdFrom) as Invoice;
      if (source.entity !== h.customer.id || source.currency !== h.currency.id) {
        throw userError(
          `Invoice #${source.tranId} has another customer or currency than this credit memo.`,
          r.at('createdFrom'),
        );
      }
    }
    const currencyChanged = existing !== undefined && h.currency.id !== existing.currency;
    const { lines, sums } = readLinesAndTotals(r, h.currency, existing, ctx);

    const owner = {
      id: base.id,
      customer: h.customer.id,
      currency: h.currency,
      available: sums.total,
    };
    const applyReaders = r.sublist('apply');
    let apply: Application[];
    if (applyReaders) {
      apply = readApplyLines(applyReaders, owner, ctx);
    } else if (existing) {
      const moved = h.customer.id !== existing.entity || currencyChanged;
      if (moved && existing.apply.length > 0) {
        throw userError(
          'Send the apply sublist again when you change the customer or currency.',
          r.at('apply'),
        );
      }
      apply = existing.apply;
      checkApplied(apply, sums.total, h.currency, r.at('item'));
    } else if (createdFrom !== undefined) {
      const due = amountDue(ctx.state, ctx.state.get('invoice', createdFrom) as Invoice);
      const amount = Math.min(due, sums.total);
      apply = amount > 0 ? [{ doc: createdFrom, amount }] : [];
    } else {
      apply = [];
    }
    return {
      ...base,
      type: 'creditmemo',
      entity: h.customer.id,
      subsidiary: h.subsidiary,
      currency: h.currency.id,
      tranId: h.tranId ?? ctx.state.nextTranId('creditmemo'),
      tranDate: h.tranDate,
      memo: h.memo,
      createdFrom,
      lines,
      ...sums,
      apply,
    };
  },
  view(cm, ctx) {
    const digits = currencyOf(ctx.state, cm.currency).currencyPrecision;
    const applied = cm.apply.reduce((s, a) => s + a.amount, 0);
    return {
      ...transactionHeaderView(cm, ctx),
      entity: refView(ctx, 'customer', cm.entity),
      ...(cm.createdFrom !== undefined && { createdFrom: refView(ctx, 'invoice', cm.createdFrom) }),
      subtotal: minorUnitsToJson(cm.subtotal, digits),
      taxTotal: minorUnitsToJson(cm.taxTotal, digits),
      total: minorUnitsToJson(cm.total, digits),
      applied: minorUnitsToJson(applied, digits),
      unapplied: minorUnitsToJson(cm.total - applied, digits),
      amountRemaining: minorUnitsToJson(cm.total - applied, digits),
      status: creditMemoStatus(cm),
    };
  },
  lines(cm, sublist, ctx) {
    const currency = currencyOf(ctx.state, cm.currency);
    return sublist === 'apply'
      ? applyLinesView(cm.apply, currency, ctx)
      : cm.lines.map((l) => itemLineView(l, currency, ctx));
  },
};
