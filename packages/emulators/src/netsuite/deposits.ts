import type { BodyReader } from './body-reader.ts';
import { minorUnitsToJson } from './decimal.ts';
import { userError } from './errors.ts';
import { keep, refView, resolveRef, type RecordType } from './record-type.ts';
import { currencyOf } from './reference-data.ts';
import type {
  Currency,
  DepositCashBackLine,
  DepositOtherLine,
  DepositPaymentLine,
  NetsuiteState,
} from './state.ts';
import { subsidiaryAndCurrency, transactionHeaderView } from './transaction-common.ts';

/** The seeded `1000 Checking` account: where a deposit goes when no `account` is sent. */
const DEFAULT_BANK_ACCOUNT = '1';

function readAccount(state: NetsuiteState, lr: BodyReader): string {
  const ref = lr.ref('account');
  if (!ref) throw userError('Please enter value(s) for: Account', lr.at('account'));
  return resolveRef(state, ['account'], ref, 'account', lr.at('account'));
}

function readAmount(lr: BodyReader, key: string, currency: Currency): number {
  const amount = lr.money(key, currency.currencyPrecision, currency.symbol);
  if (amount === undefined || amount === null)
    throw userError(`Please enter value(s) for: Amount`, lr.at(key));
  return amount;
}

/**
 * `deposit`: money put into a bank `account` (default 1000 Checking) of a `subsidiary`
 * (required), in a `currency` (default the subsidiary's). Three sublists, each replaced when
 * sent: `payment` (customer payments taken out of Undeposited Funds: `doc`, `deposit: true`,
 * `paymentAmount`, default the payment's amount), `other` (other money in, signed: `account`,
 * `amount`, optional `entity`, `memo`, `refNum`) and `cashBack` (money kept back, such as
 * processing fees: `account`, positive `amount`, `memo`). `total` = payments + other − cash
 * back, and must be positive.
 */
export const depositType: RecordType<'deposit'> = {
  name: 'deposit',
  label: 'Deposit',
  customPrefix: 'custbody',
  sublists: ['payment', 'other', 'cashBack'],
  write(r, existing, base, ctx) {
    r.ignore('createdDate', 'lastModifiedDate', 'status', 'total', 'exchangeRate');
    const { state } = ctx;
    const { subsidiary, currencyId, currency } = subsidiaryAndCurrency(r, existing, state);
    const accountRef = r.ref('account');
    const account =
      accountRef === undefined || accountRef === null
        ? (existing?.account ?? DEFAULT_BANK_ACCOUNT)
        : resolveRef(state, ['account'], accountRef, 'account', r.at('account'));
    const changedCurrency = existing !== undefined && currencyId !== existing.currency;

    const paymentReaders = r.sublist('payment');
    const otherReaders = r.sublist('other');
    const cashBackReaders = r.sublist('cashBack');
    if (changedCurrency && !(paymentReaders && otherReaders && cashBackReaders)) {
      throw userError('Send every sublist again when you change the currency.', r.at('currency'));
    }
    const payments: DepositPaymentLine[] = paymentReaders
      ? paymentReaders.flatMap((lr, i) => {
          lr.ignore('line', 'links', 'type', 'currency', 'refNum', 'docNumber');
          const selected = lr.boolean('deposit');
          const docRef = lr.ref('doc');
          if (!docRef) throw userError('Please enter value(s) for: Payment', lr.at('doc'));
          const doc = resolveRef(state, ['customerpayment'], docRef, 'doc', lr.at('doc'));
          const payment = state.get('customerpayment', doc)!;
          const sent = lr.money('paymentAmount', currency.currencyPrecision, currency.symbol);
          const memo = lr.string('memo');
          if (selected === false) return [];
          if (payment.currency !== currencyId) {
            throw userError(
              `Payment ${payment.tranId} is in another currency than the deposit.`,
              lr.at('doc'),
            );
          }
          const line: DepositPaymentLine = {
            line: i + 1,
            doc,
            amount: sent ?? payment.payment,
          };
          if (memo) line.memo = memo;
          return [line];
        })
      : (existing?.payments ?? []);
    const seen = new Set<string>();
    for (const p of payments) {
      if (seen.has(p.doc))
        throw userError('A payment can be deposited only once.', r.at('payment'));
      seen.add(p.doc);
      for (const other of state.list('deposit')) {
        if (other.id !== base.id && other.payments.some((q) => q.doc === p.doc)) {
          throw userError(
            `Payment ${state.get('customerpayment', p.doc)?.tranId ?? p.doc} is already deposited (deposit ${other.tranId}).`,
            r.at('payment'),
          );
        }
      }
    }
    const other: DepositOtherLine[] = otherReaders
      ? otherReaders.map((lr, i) => {
          lr.ignore('line', 'links');
          const line: DepositOtherLine = {
            line: i + 1,
            account: readAccount(state, lr),
            amount: readAmount(lr, 'amount', currency),
          };
          const entityRef = lr.ref('entity');
          if (entityRef)
            line.entity = resolveRef(state, ['customer'], entityRef, 'entity', lr.at('entity'));
          const memo = lr.string('memo');
          if (memo) line.memo = memo;
          const refNum = lr.string('refNum');
          if (refNum) line.refNum = refNum;
          return line;
        })
      : (existing?.other ?? []);
    const cashBack: DepositCashBackLine[] = cashBackReaders
      ? cashBackReaders.map((lr, i) => {
          lr.ignore('line', 'links');
          const amount = readAmount(lr, 'amount', currency);
          if (amount < 0) throw userError('Cash back amounts cannot be negative.', lr.at('amount'));
          const line: DepositCashBackLine = {
            line: i + 1,
            account: readAccount(state, lr),
            amount,
          };
          const memo = lr.string('memo');
          if (memo) line.memo = memo;
          return line;
        })
      : (existing?.cashBack ?? []);
    const total =
      payments.reduce((s, l) => s + l.amount, 0) +
      other.reduce((s, l) => s + l.amount, 0) -
      cashBack.reduce((s, l) => s + l.amount, 0);
    if (total <= 0)
      throw userError('The deposit total must be greater than zero.', r.at('payment'));
    return {
      ...base,
      type: 'deposit',
      subsidiary,
      currency: currencyId,
      account,
      tranId: keep(r.string('tranId'), existing?.tranId) ?? state.nextTranId('deposit'),
      tranDate: keep(r.date('tranDate'), existing?.tranDate) ?? ctx.today,
      memo: keep(r.string('memo'), existing?.memo),
      payments,
      other,
      cashBack,
      total,
    };
  },
  view(d, ctx) {
    const digits = currencyOf(ctx.state, d.currency).currencyPrecision;
    return {
      ...transactionHeaderView(d, ctx),
      account: refView(ctx, 'account', d.account),
      total: minorUnitsToJson(d.total, digits),
      status: { id: 'B', refName: 'Deposited' },
    };
  },
  lines(d, sublist, ctx) {
    const digits = currencyOf(ctx.state, d.currency).currencyPrecision;
    const money = (n: number) => minorUnitsToJson(n, digits);
    if (sublist === 'payment')
      return d.payments.map((l) => {
        const p = ctx.state.get('customerpayment', l.doc);
        return {
          line: l.line,
          deposit: true,
          doc: refView(ctx, 'customerpayment', l.doc),
          ...(p && { refNum: p.tranId, type: 'Payment' }),
          paymentAmount: money(l.amount),
          ...(l.memo !== undefined && { memo: l.memo }),
        };
      });
    if (sublist === 'other')
      return d.other.map((l) => ({
        line: l.line,
        account: refView(ctx, 'account', l.account),
        amount: money(l.amount),
        ...(l.entity !== undefined && { entity: refView(ctx, 'customer', l.entity) }),
        ...(l.memo !== undefined && { memo: l.memo }),
        ...(l.refNum !== undefined && { refNum: l.refNum }),
      }));
    return d.cashBack.map((l) => ({
      line: l.line,
      account: refView(ctx, 'account', l.account),
      amount: money(l.amount),
      ...(l.memo !== undefined && { memo: l.memo }),
    }));
  },
};
