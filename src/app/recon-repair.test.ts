import { describe, expect, it } from 'vitest';
import type { BillingDocument, Discrepancy } from '../recon/index.ts';
import { planRepair, repairKey } from './recon-repair.ts';

const d = (cls: Discrepancy['class'], billingId: string | null): Discrepancy => ({
  class: cls,
  billingId,
  erpId: billingId ? null : '77',
  crmId: null,
  subsidiary: '1',
  currency: 'USD',
  billingAmount: 100,
  erpAmount: null,
  message: 'x',
});
const doc = (kind: BillingDocument['kind'], id: string, extra: Partial<BillingDocument> = {}) =>
  ({
    kind,
    id,
    customer: 'cus_1',
    currency: 'USD',
    amount: 100,
    period: '2026-11',
    date: '2026-11-02',
    status: 'open',
    ...extra,
  }) as BillingDocument;
const billing = {
  getInvoice: (id: string) => Promise.resolve({ id, billingReason: 'subscription_cycle' } as never),
};

describe('planRepair', () => {
  it('maps each safe class to the canonical event of its flow', async () => {
    const plan = async (cls: Discrepancy['class'], document?: BillingDocument) =>
      planRepair(d(cls, document?.id ?? 'sub_1'), document, billing);
    expect(await plan('missing_in_erp', doc('invoice', 'in_1'))).toMatchObject({
      kind: 'run',
      event: {
        type: 'billing.invoice.finalized',
        data: { invoiceId: 'in_1', reason: 'subscription_cycle' },
      },
    });
    expect(
      await plan('missing_in_erp', doc('credit_note', 'cn_1', { invoiceId: 'in_1' })),
    ).toMatchObject({
      event: {
        type: 'billing.credit_note.created',
        data: { creditNoteId: 'cn_1', invoiceId: 'in_1' },
      },
    });
    expect(await plan('refund_missing_in_erp', doc('refund', 're_1'))).toMatchObject({
      event: { type: 'billing.refund.created', data: { refundId: 're_1' } },
    });
    expect(
      await plan('payment_unapplied', doc('payment', 'py_1', { invoiceId: 'in_1' })),
    ).toMatchObject({
      event: { type: 'billing.invoice.paid', data: { invoiceId: 'in_1' } },
    });
    expect(await plan('crm_status_mismatch')).toMatchObject({
      event: { type: 'billing.subscription.updated', data: { subscriptionId: 'sub_1' } },
    });
    expect(await plan('status_mismatch', doc('invoice', 'in_2', { status: 'paid' }))).toMatchObject(
      {
        event: { type: 'billing.invoice.paid', data: { invoiceId: 'in_2' } },
      },
    );
  });

  it('leaves to a person what has no safe fix', async () => {
    for (const cls of [
      'missing_in_billing',
      'duplicate_in_erp',
      'amount_mismatch',
      'tax_mismatch',
      'currency_mismatch',
      'period_mismatch',
      'mrr_mismatch',
    ] as const)
      expect((await planRepair(d(cls, 'in_1'), doc('invoice', 'in_1'), billing)).kind, cls).toBe(
        'person',
      );
    // Paid in the ERP, open in billing: money billing does not know of.
    expect(
      (await planRepair(d('status_mismatch', 'in_1'), doc('invoice', 'in_1'), billing)).kind,
    ).toBe('person');
    expect(
      (await planRepair(d('payment_missing_in_erp', 'py_1'), doc('payment', 'py_1'), billing)).kind,
    ).toBe('person');
  });

  it('keys a repair by class and billing id, else the ERP id', () => {
    expect(repairKey(d('payment_unapplied', 'py_1'))).toBe('recon-repair:payment_unapplied:py_1');
    expect(repairKey(d('missing_in_billing', null))).toBe('recon-repair:missing_in_billing:erp:77');
  });
});
