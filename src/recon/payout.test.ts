import { describe, expect, it } from 'vitest';
import { checkPayout, type BillingPayout, type ErpDeposit } from './payout.ts';

/** Two charges with fees and one refund, paid out net: 10,000 − 320 + 5,000 − 175 − 2,000. */
const payout: BillingPayout = {
  id: 'po_1',
  currency: 'usd',
  amount: 12_505,
  transactions: [
    { id: 'txn_1', type: 'charge', amount: 10_000, fee: 320, sourceId: 'ch_1' },
    { id: 'txn_2', type: 'charge', amount: 5_000, fee: 175, sourceId: 'ch_2' },
    { id: 'txn_3', type: 'refund', amount: -2_000, fee: 0, sourceId: 're_1' },
  ],
};

function deposit(): ErpDeposit {
  return {
    id: 'dep_1',
    currency: 'USD',
    total: 12_505,
    lines: [
      { reference: 'ch_1', amount: 10_000 },
      { reference: 'ch_2', amount: 5_000 },
      { reference: 're_1', amount: -2_000 },
    ],
    fee: -495,
  };
}

describe('checkPayout', () => {
  it('a payout with one refund and fees reconciles to its deposit exactly', () => {
    expect(checkPayout(payout, deposit())).toEqual({
      status: 'matched',
      payoutId: 'po_1',
      depositId: 'dep_1',
      currency: 'USD',
      amount: 12_505,
    });
  });

  it('lines may name the balance transaction instead of its source', () => {
    const d = deposit();
    d.lines = [{ reference: 'txn_1', amount: 10_000 }, ...d.lines.slice(1)];
    expect(checkPayout(payout, d).status).toBe('matched');
  });

  it('with one charge missing from the deposit it names the charge and the residual', () => {
    const d = deposit();
    d.lines = d.lines.filter((l) => l.reference !== 'ch_2');
    d.total = 7_505;
    const result = checkPayout(payout, d);
    expect(result).toMatchObject({
      status: 'residual',
      class: 'payout_residual',
      payoutAmount: 12_505,
      depositAmount: 7_505,
      residual: 5_000,
      missingTransactions: [{ id: 'txn_2', type: 'charge', amount: 5_000 }],
      unexpectedLines: [],
      feeDifference: 0,
    });
  });

  it('fees booked short show as a fee difference and a residual', () => {
    const d = deposit();
    d.fee = -400;
    d.total = 12_600;
    expect(checkPayout(payout, d)).toMatchObject({
      status: 'residual',
      residual: -95,
      feeDifference: 95,
      missingTransactions: [],
    });
  });

  it('a standalone fee transaction is expected on the fee line', () => {
    const withFee: BillingPayout = {
      ...payout,
      amount: 12_405,
      transactions: [...payout.transactions, { id: 'txn_4', type: 'fee', amount: -100, fee: 0 }],
    };
    const d = { ...deposit(), fee: -595, total: 12_405 };
    expect(checkPayout(withFee, d).status).toBe('matched');
  });

  it('a deposit line no transaction explains is named, and tolerance covers rounding only', () => {
    const d = deposit();
    d.lines = [...d.lines, { reference: 'misc', amount: 1 }];
    d.total = 12_506;
    const result = checkPayout(payout, d, { tolerance: 1 });
    expect(result).toMatchObject({
      status: 'residual',
      residual: -1,
      unexpectedLines: [{ reference: 'misc', amount: 1 }],
    });
    const rounding = { ...deposit(), total: 12_506 };
    expect(checkPayout(payout, rounding, { tolerance: 1 }).status).toBe('matched');
  });
});
