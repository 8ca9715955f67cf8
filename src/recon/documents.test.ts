import { describe, expect, it } from 'vitest';
import type { BillingInvoice, BillingPayment, ErpPayment } from '../connectors/ports.ts';
import { money } from '../model/money.ts';
import {
  expectedErpKind,
  fromBillingCreditNote,
  fromBillingInvoice,
  fromBillingPayment,
  fromBillingRefund,
  fromErpPayment,
} from './documents.ts';
import { reconcile } from './reconcile.ts';

const usd = (n: number) => money(n, 'USD');

const invoice: BillingInvoice = {
  id: 'in_9',
  number: 'INV-0009',
  customerId: 'bc_9',
  revsyncId: 'cus_9',
  status: 'paid',
  billingReason: 'subscription_cycle',
  currency: 'usd',
  lines: [],
  subtotal: usd(1_000),
  tax: usd(80),
  total: usd(1_080),
  amountPaid: usd(1_080),
  amountDue: usd(0),
  createdAt: '2026-10-31T23:00:00Z',
  finalizedAt: '2026-11-01T00:05:00Z',
  paymentId: 'py_9',
};

describe('documents from the port types', () => {
  it('a billing invoice takes its period from finalization and its customer from revsync', () => {
    expect(fromBillingInvoice(invoice, { subsidiary: 'SUB-1', erpIds: ['77'] })).toEqual({
      kind: 'invoice',
      id: 'in_9',
      customer: 'cus_9',
      subsidiary: 'SUB-1',
      currency: 'USD',
      amount: 1_080,
      tax: 80,
      period: '2026-11',
      date: '2026-11-01T00:05:00Z',
      reference: 'INV-0009',
      status: 'paid',
      erpIds: ['77'],
    });
  });

  it('payments, refunds and credit notes keep their invoice', () => {
    const payment: BillingPayment = {
      id: 'py_9',
      invoiceId: 'in_9',
      customerId: 'bc_9',
      status: 'succeeded',
      amount: usd(1_080),
      amountRefunded: usd(0),
      createdAt: '2026-11-01T00:06:00Z',
    };
    expect(fromBillingPayment(payment, { customer: 'cus_9' })).toMatchObject({
      kind: 'payment',
      customer: 'cus_9',
      invoiceId: 'in_9',
      period: '2026-11',
    });
    const refund = fromBillingRefund(
      {
        id: 're_9',
        paymentId: 'py_9',
        invoiceId: 'in_9',
        amount: usd(100),
        status: 'succeeded',
        createdAt: '2026-11-03T10:00:00Z',
      },
      { customer: 'cus_9' },
    );
    expect(refund).toMatchObject({ kind: 'refund', amount: 100, invoiceId: 'in_9' });
    expect(expectedErpKind(refund)).toBe('credit_memo');
    const note = fromBillingCreditNote({
      id: 'cn_9',
      invoiceId: 'in_9',
      customerId: 'cus_9',
      number: 'CN-0009',
      status: 'issued',
      total: usd(200),
      lines: [],
      createdAt: '2026-11-04T10:00:00Z',
    });
    expect(note).toMatchObject({ kind: 'credit_note', reference: 'CN-0009', amount: 200 });
  });

  it('a negative invoice is expected as a credit memo', () => {
    expect(expectedErpKind({ kind: 'invoice', amount: -1 })).toBe('credit_memo');
    expect(expectedErpKind({ kind: 'invoice', amount: 0 })).toBe('invoice');
  });

  it('an ERP payment from the port reconciles against the billing payment', async () => {
    const erpPayment: ErpPayment = {
      id: '301',
      externalId: 'py_9',
      amount: usd(1_080),
      appliedTo: [{ invoiceExternalId: 'in_9', amount: usd(1_080) }],
    };
    const billing = fromBillingPayment(
      {
        id: 'py_9',
        invoiceId: 'in_9',
        customerId: 'bc_9',
        status: 'succeeded',
        amount: usd(1_080),
        amountRefunded: usd(0),
        createdAt: '2026-11-01T00:06:00Z',
      },
      { customer: 'cus_9' },
    );
    const erp = fromErpPayment(erpPayment, {
      customer: 'cus_9',
      subsidiary: 'SUB-1',
      date: '2026-11-01',
    });
    const report = await reconcile(
      {
        billing: {
          payments: (async function* () {
            yield [billing];
          })(),
        },
        erp: {
          payments: (async function* () {
            yield [erp];
          })(),
        },
      },
      { period: '2026-11' },
    );
    expect(report.discrepancies).toEqual([]);
    expect(report.matches.external_id).toBe(1);
  });
});
