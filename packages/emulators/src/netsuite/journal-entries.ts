import { minorUnitsToJson } from './decimal.ts';
import { userError } from './errors.ts';
import { keep, refView, resolveRef, type RecordType } from './record-type.ts';
import { currencyOf } from './reference-data.ts';
import type { JournalLine } from './state.ts';
import { formatMoney, subsidiaryAndCurrency, transactionHeaderView } from './transaction-common.ts';

/**
 * `journalentry`: a `subsidiary` (required), a `currency` (default: the subsidiary's base
 * currency) and `line` items, each with an `account` and either a `debit` or a `credit`
 * (positive). Debits must equal credits, else 400 `USER_ERROR`.
 */
export const journalEntryType: RecordType<'journalentry'> = {
  name: 'journalentry',
  label: 'Journal',
  customPrefix: 'custbody',
  sublists: ['line'],
  write(r, existing, base, ctx) {
    r.ignore('createdDate', 'lastModifiedDate', 'status', 'approved', 'exchangeRate');
    const { state } = ctx;
    const { subsidiary, currencyId, currency } = subsidiaryAndCurrency(r, existing, state);

    const lineReaders = r.sublist('line');
    if (existing && currencyId !== existing.currency && !lineReaders) {
      throw userError('Send the lines again when you change the currency.', r.at('line'));
    }
    const lines: JournalLine[] = lineReaders
      ? lineReaders.map((lr, i) => {
          lr.ignore('line', 'links');
          const accountRef = lr.ref('account');
          if (!accountRef) throw userError('Please enter value(s) for: Account', lr.at('account'));
          const account = resolveRef(state, ['account'], accountRef, 'account', lr.at('account'));
          const debit = lr.money('debit', currency.currencyPrecision, currency.symbol) ?? 0;
          const credit = lr.money('credit', currency.currencyPrecision, currency.symbol) ?? 0;
          if (debit < 0 || credit < 0) {
            throw userError(
              'Debit and credit amounts cannot be negative.',
              lr.at(debit < 0 ? 'debit' : 'credit'),
            );
          }
          if (debit > 0 === credit > 0) {
            throw userError(
              'Each journal line needs either a debit or a credit amount.',
              lr.at('debit'),
            );
          }
          const entityRef = lr.ref('entity');
          const line: JournalLine = { line: i + 1, account, debit, credit };
          if (entityRef)
            line.entity = resolveRef(state, ['customer'], entityRef, 'entity', lr.at('entity'));
          const memo = lr.string('memo');
          if (memo) line.memo = memo;
          return line;
        })
      : (existing?.lines ?? []);
    if (lines.length < 2) {
      throw userError('A journal entry needs at least two lines.', r.at('line'));
    }
    const debits = lines.reduce((s, l) => s + l.debit, 0);
    const credits = lines.reduce((s, l) => s + l.credit, 0);
    if (debits !== credits) {
      throw userError(
        `The total of debit entries (${formatMoney(debits, currency)}) must equal the total of credit entries (${formatMoney(credits, currency)}).`,
        r.at('line'),
      );
    }
    return {
      ...base,
      type: 'journalentry',
      subsidiary,
      currency: currencyId,
      tranId: keep(r.string('tranId'), existing?.tranId) ?? state.nextTranId('journalentry'),
      tranDate: keep(r.date('tranDate'), existing?.tranDate) ?? ctx.today,
      memo: keep(r.string('memo'), existing?.memo),
      lines,
    };
  },
  view: (je, ctx) => ({
    ...transactionHeaderView(je, ctx),
    approved: true,
    status: { id: 'B', refName: 'Approved for Posting' },
  }),
  lines(je, _sublist, ctx) {
    const digits = currencyOf(ctx.state, je.currency).currencyPrecision;
    return je.lines.map((l) => ({
      line: l.line,
      account: refView(ctx, 'account', l.account),
      ...(l.debit > 0 && { debit: minorUnitsToJson(l.debit, digits) }),
      ...(l.credit > 0 && { credit: minorUnitsToJson(l.credit, digits) }),
      ...(l.memo !== undefined && { memo: l.memo }),
      ...(l.entity !== undefined && { entity: refView(ctx, 'customer', l.entity) }),
    }));
  },
};
