import { describe, expect, it } from 'vitest';
import type { BillingInvoice } from '../connectors/ports.ts';
import { allocateCustomerCredit, creditUsed } from './customer-credit.ts';

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });

function invoice(id: string, day: number, total: number, paid: number): BillingInvoice {
  return {
    id,
    customerId: 'cus_1',
    status: 'paid',
    billingReason: total < 0 ? 'subscription_update' : 'subscription_cycle',
    currency: 'EUR',
    lines: [],
    subtotal: eur(total),
    tax: eur(0),
    total: eur(total),
    amountPaid: eur(paid),
    amountDue: eur(0),
    createdAt: `2027-01-${String(day).padStart(2, '0')}T00:00:00Z`,
  };
}

describe('customer credit', () => {
  it('counts the part of a paid invoice billing settled from the balance', () => {
    expect(creditUsed(invoice('in_1', 1, 40_500, 32_226))).toBe(8_274);
    expect(creditUsed(invoice('in_1', 1, 40_500, 40_500))).toBe(0);
    expect(creditUsed(invoice('in_neg', 1, -8_274, 0))).toBe(0);
  });

  it('allocates credits first in, first out across the invoices that used them', () => {
    const invoices = [
      invoice('in_c', 9, 10_000, 7_000), // uses 3,000: the rest of credit A and 1,000 of B
      invoice('in_credA', 1, -5_000, 0),
      invoice('in_b', 5, 10_000, 8_000), // uses 2,000 of credit A
      invoice('in_credB', 7, -4_000, 0),
    ];
    expect(allocateCustomerCredit(invoices, invoices[2]!)).toEqual([
      { creditMemoExternalId: 'in_credA', amount: 2_000 },
    ]);
    expect(allocateCustomerCredit(invoices, invoices[0]!)).toEqual([
      { creditMemoExternalId: 'in_credA', amount: 3_000 },
    ]);
    const later = invoice('in_d', 20, 10_000, 8_000);
    expect(allocateCustomerCredit([...invoices, later], later)).toEqual([
      { creditMemoExternalId: 'in_credB', amount: 2_000 },
    ]);
  });

  it('leaves unallocated what no credit explains, and ignores other currencies', () => {
    const usd: BillingInvoice = {
      ...invoice('in_usd', 1, -9_000, 0),
      currency: 'USD',
      total: { amount: -9_000, currency: 'USD' },
    };
    const target = invoice('in_t', 5, 10_000, 9_000);
    expect(allocateCustomerCredit([usd, target], target)).toEqual([]);
  });
});
