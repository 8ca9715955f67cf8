import { minorUnitsToJson } from './decimal.ts';
import { userError } from './errors.ts';
import { keep, refView, type RecordType } from './record-type.ts';
import { currencyOf } from './reference-data.ts';
import type { Application } from './state.ts';
import {
  applyLinesView,
  checkApplied,
  readApplyLines,
  readCustomerHeader,
  transactionHeaderView,
} from './transaction-common.ts';

/** Payment status as coded in SuiteQL: payments go to Undeposited Funds. */
export const PAYMENT_STATUS = { id: 'B', refName: 'Not Deposited' } as const;

/**
 * `customerpayment`: money received from a `customer` (`payment`, required, positive) applied
 * to invoices through the `apply` sublist (`doc`, `apply: true`, `amount`). Applying lowers the
 * invoice's `amountRemaining`; at zero the invoice is Paid In Full. An update that sends `apply`
 * replaces the applications; deleting the payment releases them.
 */
export const customerPaymentType: RecordType<'customerpayment'> = {
  name: 'customerpayment',
  label: 'Payment',
  customPrefix: 'custbody',
  sublists: ['apply'],
  write(r, existing, base, ctx) {
    r.ignore('applied', 'unapplied', 'total', 'exchangeRate');
    const h = readCustomerHeader(r, 'customer', existing, existing?.customer, ctx);
    const currencyChanged = existing !== undefined && h.currency.id !== existing.currency;
    const sent = r.money('payment', h.currency.currencyPrecision, h.currency.symbol);
    if (currencyChanged && (sent === undefined || sent === null)) {
      throw userError(
        'Send the payment amount again when you change the currency.',
        r.at('payment'),
      );
    }
    const payment = keep(sent, existing?.payment);
    if (payment === undefined)
      throw userError('Please enter value(s) for: Payment Amount', r.at('payment'));
    if (payment <= 0)
      throw userError('The payment amount must be greater than zero.', r.at('payment'));

    const applyReaders = r.sublist('apply');
    let apply: Application[];
    if (applyReaders) {
      apply = readApplyLines(
        applyReaders,
        { id: base.id, customer: h.customer.id, currency: h.currency, available: payment },
        ctx,
      );
    } else if (existing) {
      const moved = h.customer.id !== existing.customer || currencyChanged;
      if (moved && existing.apply.length > 0) {
        throw userError(
          'Send the apply sublist again when you change the customer or currency.',
          r.at('apply'),
        );
      }
      apply = existing.apply;
      checkApplied(apply, payment, h.currency, r.at('payment'));
    } else {
      apply = [];
    }
    return {
      ...base,
      type: 'customerpayment',
      customer: h.customer.id,
      subsidiary: h.subsidiary,
      currency: h.currency.id,
      tranId: h.tranId ?? ctx.state.nextTranId('customerpayment'),
      tranDate: h.tranDate,
      memo: h.memo,
      payment,
      apply,
    };
  },
  view(p, ctx) {
    const digits = currencyOf(ctx.state, p.currency).currencyPrecision;
    const applied = p.apply.reduce((s, a) => s + a.amount, 0);
    return {
      ...transactionHeaderView(p, ctx),
      customer: refView(ctx, 'customer', p.customer),
      payment: minorUnitsToJson(p.payment, digits),
      total: minorUnitsToJson(p.payment, digits),
      applied: minorUnitsToJson(applied, digits),
      unapplied: minorUnitsToJson(p.payment - applied, digits),
      undepFunds: true,
      status: { ...PAYMENT_STATUS },
    };
  },
  lines: (p, _sublist, ctx) => applyLinesView(p.apply, currencyOf(ctx.state, p.currency), ctx),
};
