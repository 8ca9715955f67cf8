import { userError } from './errors.ts';
import { keep, refView, type RecordType } from './record-type.ts';
import { currencyOf } from './reference-data.ts';
import type { Invoice, JsonObject, NetsuiteState } from './state.ts';
import {
  amountDue,
  itemLineView,
  readCustomerHeader,
  readLinesAndTotals,
  transactionHeaderView,
} from './transaction-common.ts';
import { minorUnitsToJson } from './decimal.ts';

/** Invoice status as NetSuite codes it (SuiteQL `transaction.status`) and names it. */
export function invoiceStatus(
  state: NetsuiteState,
  invoice: Invoice,
): { id: string; refName: string } {
  return amountDue(state, invoice) === 0
    ? { id: 'B', refName: 'Paid In Full' }
    : { id: 'A', refName: 'Open' };
}

/**
 * `invoice`: a customer (`entity`) charge with `item` lines, an optional header `taxTotal`
 * (tax is not computed: it is the amount the billing system charged), and derived
 * `subtotal`/`total`/`amountPaid`/`amountRemaining`/`status` (Open → Paid In Full once payments
 * and credit memos cover the total).
 */
export const invoiceType: RecordType<'invoice'> = {
  name: 'invoice',
  label: 'Invoice',
  customPrefix: 'custbody',
  sublists: ['item'],
  write(r, existing, base, ctx) {
    r.ignore('subtotal', 'total', 'amountPaid', 'amountRemaining', 'exchangeRate');
    const h = readCustomerHeader(r, 'entity', existing, existing?.entity, ctx);
    const hasApplications =
      existing !== undefined && ctx.state.applicationsTo(existing.id).size > 0;
    if (existing && hasApplications && h.customer.id !== existing.entity) {
      throw userError(
        'You cannot change the customer of an invoice that has payments or credits applied.',
        r.at('entity'),
      );
    }
    if (existing && hasApplications && h.currency.id !== existing.currency) {
      throw userError(
        'You cannot change the currency of an invoice that has payments or credits applied.',
        r.at('currency'),
      );
    }
    const { lines, sums } = readLinesAndTotals(r, h.currency, existing, ctx);
    if (existing && hasApplications) {
      const applied = existing.total - amountDue(ctx.state, existing);
      if (sums.total < applied) {
        throw userError(
          'The invoice total cannot be less than the amount already paid or credited.',
          r.at('item'),
        );
      }
    }
    return {
      ...base,
      type: 'invoice',
      entity: h.customer.id,
      subsidiary: h.subsidiary,
      currency: h.currency.id,
      tranId: h.tranId ?? ctx.state.nextTranId('invoice'),
      tranDate: h.tranDate,
      memo: h.memo,
      dueDate: keep(r.date('dueDate'), existing?.dueDate),
      lines,
      ...sums,
    };
  },
  view(inv, ctx): JsonObject {
    const digits = currencyOf(ctx.state, inv.currency).currencyPrecision;
    const due = amountDue(ctx.state, inv);
    return {
      ...transactionHeaderView(inv, ctx),
      entity: refView(ctx, 'customer', inv.entity),
      ...(inv.dueDate !== undefined && { dueDate: inv.dueDate }),
      subtotal: minorUnitsToJson(inv.subtotal, digits),
      taxTotal: minorUnitsToJson(inv.taxTotal, digits),
      total: minorUnitsToJson(inv.total, digits),
      amountPaid: minorUnitsToJson(inv.total - due, digits),
      amountRemaining: minorUnitsToJson(due, digits),
      status: invoiceStatus(ctx.state, inv),
    };
  },
  lines: (inv, _sublist, ctx) =>
    inv.lines.map((l) => itemLineView(l, currencyOf(ctx.state, inv.currency), ctx)),
  deleteBlocker: (inv, state) =>
    state.applicationsTo(inv.id).size > 0 ||
    state.list('creditmemo').some((cm) => cm.createdFrom === inv.id)
      ? 'This record cannot be deleted because it has dependent records.'
      : undefined,
};
