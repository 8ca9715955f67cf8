import { describe, expect, it } from 'vitest';
import type { BillingInvoice, BillingSubscription } from '../connectors/ports.ts';
import { money } from '../model/money.ts';
import { toErpInvoice } from './invoice-posting.ts';
import { monthlyRecurringRevenue } from './mrr.ts';

describe('flow mappings', () => {
  it('computes MRR from monthly and yearly items, and zero once canceled', () => {
    const sub: BillingSubscription = {
      id: 'sub_1',
      customerId: 'cus_1',
      status: 'active',
      currency: 'eur',
      items: [
        {
          id: 'si_1',
          priceId: 'p1',
          quantity: 3,
          unitAmount: money(4_900, 'EUR'),
          interval: 'month',
        },
        {
          id: 'si_2',
          priceId: 'p2',
          quantity: 1,
          unitAmount: money(100_000, 'EUR'),
          interval: 'year',
        },
      ],
      currentPeriodStart: '2026-01-01T00:00:00Z',
      currentPeriodEnd: '2026-02-01T00:00:00Z',
      cancelAtPeriodEnd: false,
      metadata: {},
    };
    // 3 × 49.00 + 1000.00 / 12 = 147.00 + 83.33 (half-even) = 230.33
    expect(monthlyRecurringRevenue(sub)).toEqual(money(23_033, 'EUR'));
    expect(monthlyRecurringRevenue({ ...sub, status: 'canceled' })).toEqual(money(0, 'EUR'));
  });

  it('maps a billing invoice to an ERP invoice line for line, with inclusive rev-rec end dates', () => {
    const invoice: BillingInvoice = {
      id: 'in_1',
      number: 'INV-0001',
      customerId: 'cus_S',
      status: 'open',
      billingReason: 'subscription_update',
      currency: 'usd',
      lines: [
        {
          id: 'il_1',
          description: 'Unused time on 2 × Platform',
          quantity: 2,
          amount: money(-500, 'USD'),
          tax: money(0, 'USD'),
          periodStart: '2026-01-16T00:00:00Z',
          periodEnd: '2026-02-01T00:00:00Z',
          proration: true,
        },
        {
          id: 'il_2',
          description: 'Remaining time on 4 × Platform',
          quantity: 4,
          amount: money(1_000, 'USD'),
          tax: money(0, 'USD'),
          periodStart: '2026-01-16T00:00:00Z',
          periodEnd: '2026-02-01T00:00:00Z',
          proration: true,
          productCode: 'PLAT',
        },
      ],
      subtotal: money(500, 'USD'),
      tax: money(100, 'USD'),
      total: money(600, 'USD'),
      amountPaid: money(0, 'USD'),
      amountDue: money(600, 'USD'),
      createdAt: '2026-01-16T00:00:00Z',
      finalizedAt: '2026-01-16T00:00:05Z',
    };
    const erp = toErpInvoice(invoice, 'cus_CANON', '1');
    expect(erp).toMatchObject({
      externalId: 'in_1',
      customerExternalId: 'cus_CANON',
      subsidiary: '1',
      currency: 'USD',
      tranDate: '2026-01-16',
      tax: money(100, 'USD'),
      total: money(600, 'USD'),
    });
    expect(erp.lines.map((l) => [l.amount.amount, l.revRecStart, l.revRecEnd, l.item])).toEqual([
      [-500, '2026-01-16', '2026-01-31', undefined],
      [1_000, '2026-01-16', '2026-01-31', 'PLAT'],
    ]);
  });
});
