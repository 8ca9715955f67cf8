import { describe, expect, it } from 'vitest';
import { stringifyWithDecimals } from './decimal-json.ts';
import {
  parseNetsuiteRecord,
  NetsuiteInvoiceRecord,
  toErpInvoice,
  toNetsuiteCreditMemo,
  toNetsuiteInvoice,
} from './mapper.ts';
import { itemExternalIdFor } from './reference-data.ts';

const usd = (amount: number) => ({ amount, currency: 'USD' as const });
const itemFor = (code: string | undefined) => code ?? 'revsync-service';

describe('toNetsuiteInvoice', () => {
  it('writes exact amounts, a rate only when it divides exactly, and rev-rec dates', () => {
    const body = toNetsuiteInvoice(
      {
        externalId: 'in_1',
        customerExternalId: 'cus_1',
        subsidiary: '3',
        currency: 'EUR',
        tranDate: '2026-03-01',
        lines: [
          {
            description: 'Seats',
            item: 'SEAT',
            quantity: 4,
            amount: { amount: 4_000, currency: 'EUR' },
            revRecStart: '2026-03-01',
            revRecEnd: '2026-03-31',
          },
          { description: 'Proration', quantity: 3, amount: { amount: -1_000, currency: 'EUR' } },
        ],
        tax: { amount: 570, currency: 'EUR' },
        total: { amount: 3_570, currency: 'EUR' },
      },
      { currencyId: '4', itemFor },
    );
    expect(JSON.parse(stringifyWithDecimals(body))).toEqual({
      entity: { externalId: 'cus_1' },
      subsidiary: { id: '3' },
      currency: { id: '4' },
      tranDate: '2026-03-01',
      taxTotal: 5.7,
      item: {
        items: [
          {
            item: { externalId: 'SEAT' },
            quantity: 4,
            rate: 10,
            amount: 40,
            description: 'Seats',
            revRecStartDate: '2026-03-01',
            revRecEndDate: '2026-03-31',
          },
          {
            item: { externalId: 'revsync-service' },
            quantity: 3,
            amount: -10,
            description: 'Proration',
          },
        ],
      },
    });
    expect(stringifyWithDecimals(body)).toContain('"taxTotal":5.70');
  });

  it('refuses a negative total: NetSuite has no negative invoices', () => {
    expect(() =>
      toNetsuiteInvoice(
        {
          externalId: 'in_neg',
          customerExternalId: 'cus_1',
          subsidiary: '1',
          currency: 'USD',
          tranDate: '2026-03-01',
          lines: [{ description: 'Credit', quantity: 1, amount: usd(-500) }],
          tax: usd(0),
          total: usd(-500),
        },
        { currencyId: '1', itemFor },
      ),
    ).toThrow(expect.objectContaining({ name: 'ValidationError' }));
  });
});

describe('toNetsuiteCreditMemo', () => {
  it('books the total beyond the lines as tax, and links the invoice', () => {
    const body = toNetsuiteCreditMemo(
      {
        externalId: 'cn_1',
        customerExternalId: 'cus_1',
        invoiceExternalId: 'in_1',
        currency: 'USD',
        tranDate: '2026-03-02',
        lines: [{ description: 'Credit', quantity: 1, amount: usd(1_000) }],
        total: usd(1_080),
      },
      { currencyId: '1', itemFor, invoiceId: '1001', applyToInvoice: true },
    );
    expect(JSON.parse(stringifyWithDecimals(body))).toMatchObject({
      taxTotal: 0.8,
      createdFrom: { id: '1001' },
      apply: { items: [{ doc: { id: '1001' }, apply: true }] },
    });
    const unapplied = toNetsuiteCreditMemo(
      {
        externalId: 'cn_1',
        customerExternalId: 'cus_1',
        currency: 'USD',
        tranDate: '2026-03-02',
        lines: [{ description: 'Credit', quantity: 1, amount: usd(1_000) }],
        total: usd(1_000),
      },
      { currencyId: '1', itemFor, invoiceId: '1001', applyToInvoice: false },
    );
    expect(unapplied).not.toHaveProperty('apply');
  });
});

describe('toErpInvoice', () => {
  it('reads NetSuite JSON numbers into Money exactly, and checks the shape', () => {
    const record = parseNetsuiteRecord(
      NetsuiteInvoiceRecord,
      {
        id: '1001',
        externalId: 'in_1',
        entity: { id: '101' },
        subsidiary: { id: '1', refName: 'Parent Company' },
        currency: { id: '1', refName: 'US Dollar' },
        subtotal: 0.3,
        taxTotal: 0.03,
        total: 0.33,
        amountRemaining: 0.33,
        status: { id: 'A', refName: 'Open' },
        item: { items: [{}, {}, {}] },
      },
      'invoice',
    );
    expect(toErpInvoice(record, { currency: 'USD', customerExternalId: 'cus_1' })).toEqual({
      id: '1001',
      externalId: 'in_1',
      customerExternalId: 'cus_1',
      subsidiary: '1',
      currency: 'USD',
      subtotal: usd(30),
      tax: usd(3),
      total: usd(33),
      amountRemaining: usd(33),
      status: 'Open',
      lineCount: 3,
    });
    expect(() => parseNetsuiteRecord(NetsuiteInvoiceRecord, { id: '1' }, 'invoice')).toThrow(
      expect.objectContaining({ name: 'ValidationError' }),
    );
  });
});

describe('itemExternalIdFor', () => {
  it('keeps codes NetSuite accepts and makes the others safe without collisions', () => {
    expect(itemExternalIdFor('PRO-monthly_2')).toBe('PRO-monthly_2');
    const dotted = itemExternalIdFor('pro.monthly');
    const spaced = itemExternalIdFor('pro monthly');
    expect(dotted).toMatch(/^pro_monthly-[0-9a-f]{8}$/);
    expect(spaced).toMatch(/^pro_monthly-[0-9a-f]{8}$/);
    expect(dotted).not.toBe(spaced);
  });
});
