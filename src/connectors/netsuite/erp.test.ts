import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NetsuiteEmulator } from '@revsync/emulators/netsuite';
import type { Money } from '../../model/money.ts';
import type { ErpInvoiceInput, ErpSystem } from '../ports.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { connect, startFixture, write } from './test-setup.ts';

const usd = (amount: number): Money => ({ amount, currency: 'USD' });

let emu: NetsuiteEmulator;
let erp: ErpSystem;
let connection: OutboundConnection;
let closeEmu: () => Promise<void>;

beforeAll(async () => {
  const f = await startFixture();
  emu = f.emu;
  closeEmu = f.close;
});
afterAll(() => closeEmu());
beforeEach(() => {
  emu.reset();
  // A new connector per test: its item and currency caches must not outlive the reset.
  ({ erp, connection } = connect(emu));
});

const customer = (externalId = 'cus_01ACME', currency = 'USD', subsidiary = '1') =>
  erp.upsertCustomer(
    { externalId, name: 'Acme Corp', email: 'ap@acme.test', subsidiary, currency },
    write(),
  );

const invoiceInput = (over: Partial<ErpInvoiceInput> = {}): ErpInvoiceInput => ({
  externalId: 'in_1001',
  customerExternalId: 'cus_01ACME',
  subsidiary: '1',
  currency: 'USD',
  tranDate: '2026-01-15',
  memo: 'INV-1001 (subscription_create)',
  lines: [
    {
      description: 'Pro plan × 3',
      item: 'PRO',
      quantity: 3,
      amount: usd(29_997),
      revRecStart: '2026-01-15',
      revRecEnd: '2026-02-14',
    },
    { description: 'Setup', quantity: 3, amount: usd(10_000) },
  ],
  tax: usd(3_200),
  total: usd(43_197),
  ...over,
});

describe('upsertCustomer', () => {
  it('creates, then updates the same record through its external id', async () => {
    const first = await customer();
    const again = await erp.upsertCustomer(
      {
        externalId: 'cus_01ACME',
        name: 'Acme Corporation',
        email: 'billing@acme.test',
        subsidiary: '1',
        currency: 'USD',
        address: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'us' },
        taxId: 'US123',
      },
      write(),
    );
    expect(again.id).toBe(first.id);
    const all = emu.state.list('customer');
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      id: first.id,
      externalId: 'cus_01ACME',
      companyName: 'Acme Corporation',
      email: 'billing@acme.test',
      subsidiary: '1',
      currency: '1',
    });
  });

  it('resolves the ISO currency to its currency record', async () => {
    const { id } = await customer('cus_01UK', 'GBP', '2');
    expect(emu.records.find('customer', id)).toMatchObject({ subsidiary: '2', currency: '2' });
  });

  it('refuses a currency NetSuite does not have', async () => {
    await expect(customer('cus_01CH', 'CHF')).rejects.toMatchObject({
      name: 'ValidationError',
      details: [{ path: 'currency' }],
    });
  });

  it('refuses an external id NetSuite cannot hold, before calling it', async () => {
    const calls = connection.health().calls;
    await expect(customer('cus 01/x')).rejects.toMatchObject({ name: 'ValidationError' });
    expect(connection.health().calls).toBe(calls);
  });
});

describe('upsertInvoice and getInvoice', () => {
  it('posts lines, tax, currency and rev-rec dates so that NetSuite keeps the same totals', async () => {
    await customer();
    const { id } = await erp.upsertInvoice(invoiceInput(), write());
    const invoice = await erp.getInvoice('in_1001');
    expect(invoice).toEqual({
      id,
      externalId: 'in_1001',
      customerExternalId: 'cus_01ACME',
      subsidiary: '1',
      currency: 'USD',
      subtotal: usd(39_997),
      tax: usd(3_200),
      total: usd(43_197),
      amountRemaining: usd(43_197),
      status: 'Open',
      lineCount: 2,
    });
    const stored = emu.records.find('invoice', id)!;
    expect(stored.memo).toBe('INV-1001 (subscription_create)');
    expect(stored.tranDate).toBe('2026-01-15');
    expect(stored.lines[0]).toMatchObject({
      quantity: '3',
      rate: '99.99',
      amount: 29_997,
      description: 'Pro plan × 3',
      revRecStartDate: '2026-01-15',
      revRecEndDate: '2026-02-14',
    });
    // 100.00 / 3 is no exact rate: the amount alone is sent, and kept to the cent.
    expect(stored.lines[1]).toMatchObject({ amount: 10_000 });
  });

  it('creates the default item and one item per product code, once', async () => {
    await customer();
    await erp.upsertInvoice(invoiceInput(), write());
    await erp.upsertInvoice(invoiceInput({ externalId: 'in_1002' }), write());
    const items = emu.state.list('noninventorysaleitem');
    expect(items.map((i) => [i.externalId, i.itemId]).sort()).toEqual([
      ['PRO', 'PRO'],
      ['revsync-service', 'revsync-service'],
    ]);
    const stored = emu.records.find('invoice', 'eid:in_1002')!;
    const idOf = (eid: string) => items.find((i) => i.externalId === eid)?.id;
    expect(stored.lines.map((l) => l.item)).toEqual([idOf('PRO'), idOf('revsync-service')]);
  });

  it('uses an item finance already set up with that external id, unchanged', async () => {
    const { id } = emu.records.create('serviceitem', {
      itemId: 'Pro subscription',
      externalId: 'PRO',
      displayName: 'Set up by finance',
    });
    await customer();
    await erp.upsertInvoice(invoiceInput(), write());
    expect(emu.records.find('invoice', 'eid:in_1001')!.lines[0]!.item).toBe(id);
    expect(emu.records.find('serviceitem', id)).toMatchObject({
      displayName: 'Set up by finance',
    });
  });

  it('updates the same invoice on a repeated upsert, replacing its lines', async () => {
    await customer();
    const first = await erp.upsertInvoice(invoiceInput(), write());
    const second = await erp.upsertInvoice(
      invoiceInput({
        lines: [{ description: 'Pro plan', item: 'PRO', quantity: 1, amount: usd(9_999) }],
        tax: usd(0),
        total: usd(9_999),
      }),
      write(),
    );
    expect(second.id).toBe(first.id);
    expect(emu.state.list('invoice')).toHaveLength(1);
    expect(await erp.getInvoice('in_1001')).toMatchObject({
      total: usd(9_999),
      tax: usd(0),
      lineCount: 1,
    });
  });

  it('posts zero-decimal currencies and negative proration lines exactly', async () => {
    await customer('cus_01JP', 'JPY', '4');
    const yen = (amount: number): Money => ({ amount, currency: 'JPY' });
    await erp.upsertInvoice(
      invoiceInput({
        externalId: 'in_jpy',
        customerExternalId: 'cus_01JP',
        subsidiary: '4',
        currency: 'JPY',
        lines: [
          { description: 'Unused time', quantity: 1, amount: yen(-3_333) },
          { description: 'Remaining time', quantity: 1, amount: yen(10_000) },
        ],
        tax: yen(667),
        total: yen(7_334),
      }),
      write(),
    );
    expect(await erp.getInvoice('in_jpy')).toMatchObject({
      currency: 'JPY',
      subtotal: yen(6_667),
      tax: yen(667),
      total: yen(7_334),
    });
  });

  it('refuses an invoice whose lines and tax do not make its total, without calling NetSuite', async () => {
    const calls = connection.health().calls;
    await expect(
      erp.upsertInvoice(invoiceInput({ total: usd(43_196) }), write()),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      details: [{ path: 'total' }],
    });
    await expect(
      erp.upsertInvoice(invoiceInput({ tax: { amount: 3_200, currency: 'EUR' } }), write()),
    ).rejects.toMatchObject({ name: 'ValidationError', details: [{ path: 'tax' }] });
    expect(connection.health().calls).toBe(calls);
  });

  it('reports when NetSuite keeps another total than the one posted', async () => {
    await customer();
    // An account with tax codes recomputes the tax; the emulator keeps what it is sent, so the
    // read-back after the write is made to answer what such an account would.
    const real = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const res = await real(input, init);
      if (!String(input).includes('fields=total')) return res;
      const body = (await res.json()) as Record<string, unknown>;
      return Response.json({ ...body, taxTotal: 33, total: 433.97 }, { status: res.status });
    });
    try {
      await expect(erp.upsertInvoice(invoiceInput(), write())).rejects.toMatchObject({
        name: 'ConflictError',
        details: [{ path: 'total' }, { path: 'tax' }],
      });
    } finally {
      spy.mockRestore();
    }
    const { erp: unverified } = connect(emu, { connector: { verifyTotals: false } });
    await expect(unverified.upsertInvoice(invoiceInput(), write())).resolves.toBeDefined();
  });

  it('answers undefined for an invoice that is not there', async () => {
    await expect(erp.getInvoice('in_missing')).resolves.toBeUndefined();
    await expect(erp.getInvoice('not a valid id')).resolves.toBeUndefined();
  });
});

describe('upsertPayment and getPayment', () => {
  it('applies the payment: the invoice is Paid In Full with nothing remaining', async () => {
    await customer();
    await erp.upsertInvoice(invoiceInput(), write());
    const payment = {
      externalId: 'pi_1001',
      customerExternalId: 'cus_01ACME',
      invoiceExternalId: 'in_1001',
      amount: usd(43_197),
      date: '2026-01-16',
      memo: 'payment of INV-1001',
    };
    const { id } = await erp.upsertPayment(payment, write());
    const again = await erp.upsertPayment(payment, write());
    expect(again.id).toBe(id);
    expect(emu.state.list('customerpayment')).toHaveLength(1);

    expect(await erp.getInvoice('in_1001')).toMatchObject({
      status: 'Paid In Full',
      amountRemaining: usd(0),
    });
    expect(await erp.getPayment('pi_1001')).toEqual({
      id,
      externalId: 'pi_1001',
      amount: usd(43_197),
      appliedTo: [{ invoiceExternalId: 'in_1001', amount: usd(43_197) }],
    });
  });

  it('needs no invoice lookup right after posting it, and finds an invoice re-posted elsewhere', async () => {
    await customer();
    await erp.upsertInvoice(invoiceInput(), write());
    const payment = {
      externalId: 'pi_1002',
      customerExternalId: 'cus_01ACME',
      invoiceExternalId: 'in_1001',
      amount: usd(100),
      date: '2026-01-16',
    };
    const before = connection.health().calls;
    await erp.upsertPayment(payment, write());
    expect(connection.health().calls - before).toBe(1);

    // The invoice is deleted by hand and posted again by another process: a new internal id.
    const [old] = emu.state.list('invoice');
    emu.state.remove('invoice', old!.id);
    await connect(emu).erp.upsertInvoice(invoiceInput(), write());
    const [reposted] = emu.state.list('invoice');
    expect(reposted!.id).not.toBe(old!.id);
    await erp.upsertPayment({ ...payment, externalId: 'pi_1003' }, write());
    expect(await erp.getPayment('pi_1003')).toMatchObject({
      appliedTo: [{ invoiceExternalId: 'in_1001', amount: usd(100) }],
    });
  });

  it('is NotFoundError when the invoice is not in NetSuite yet', async () => {
    await customer();
    await expect(
      erp.upsertPayment(
        {
          externalId: 'pi_1',
          customerExternalId: 'cus_01ACME',
          invoiceExternalId: 'in_nope',
          amount: usd(100),
          date: '2026-01-16',
        },
        write(),
      ),
    ).rejects.toMatchObject({ name: 'NotFoundError', retryable: false });
  });

  it('answers undefined for a payment that is not there', async () => {
    await expect(erp.getPayment('pi_missing')).resolves.toBeUndefined();
  });
});

describe('upsertCreditMemo and getCreditMemo', () => {
  it('credits the invoice: applied, its total equal to the credit note total (tax included)', async () => {
    await customer();
    await erp.upsertInvoice(invoiceInput(), write());
    const memo = {
      externalId: 'cn_1001',
      customerExternalId: 'cus_01ACME',
      invoiceExternalId: 'in_1001',
      currency: 'USD',
      tranDate: '2026-01-20',
      memo: 'CN-1001 (order_change)',
      lines: [{ description: 'Setup refunded', quantity: 1, amount: usd(10_000) }],
      total: usd(10_800),
    };
    const { id } = await erp.upsertCreditMemo(memo, write());
    const again = await erp.upsertCreditMemo(memo, write());
    expect(again.id).toBe(id);
    expect(emu.state.list('creditmemo')).toHaveLength(1);

    expect(await erp.getCreditMemo('cn_1001')).toEqual({
      id,
      externalId: 'cn_1001',
      total: usd(10_800),
      status: 'Fully Applied',
    });
    expect(emu.records.find('creditmemo', id)).toMatchObject({ taxTotal: 800, total: 10_800 });
    expect(await erp.getInvoice('in_1001')).toMatchObject({
      status: 'Open',
      amountRemaining: usd(43_197 - 10_800),
    });
  });

  it('keeps a refund of a paid invoice open (nothing left to apply it to)', async () => {
    await customer();
    await erp.upsertInvoice(invoiceInput(), write());
    await erp.upsertPayment(
      {
        externalId: 'pi_1001',
        customerExternalId: 'cus_01ACME',
        invoiceExternalId: 'in_1001',
        amount: usd(43_197),
        date: '2026-01-16',
      },
      write(),
    );
    const refund = {
      externalId: 're_1001',
      customerExternalId: 'cus_01ACME',
      invoiceExternalId: 'in_1001',
      currency: 'USD',
      tranDate: '2026-01-21',
      lines: [{ description: 'Refund', quantity: 1, amount: usd(5_000) }],
      total: usd(5_000),
    };
    await erp.upsertCreditMemo(refund, write());
    await erp.upsertCreditMemo(refund, write());
    expect(await erp.getCreditMemo('re_1001')).toMatchObject({ total: usd(5_000), status: 'Open' });
    expect(emu.records.find('creditmemo', 'eid:re_1001')).toMatchObject({ apply: [] });
  });

  it('refuses lines above the total', async () => {
    await expect(
      erp.upsertCreditMemo(
        {
          externalId: 'cn_x',
          customerExternalId: 'cus_01ACME',
          currency: 'USD',
          tranDate: '2026-01-20',
          lines: [{ description: 'x', quantity: 1, amount: usd(200) }],
          total: usd(100),
        },
        write(),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('answers undefined for a credit memo that is not there', async () => {
    await expect(erp.getCreditMemo('cn_missing')).resolves.toBeUndefined();
  });
});

const credit = {
  externalId: 'in_0900',
  customerExternalId: 'cus_01ACME',
  currency: 'USD',
  tranDate: '2026-01-10',
  lines: [{ description: 'Downgrade credit', quantity: 1, amount: usd(8_000) }],
  total: usd(8_000),
};

describe('applyCreditMemo', () => {
  it('applies a standing credit to an invoice, idempotently, keeping its other applications', async () => {
    await customer();
    await erp.upsertCreditMemo(credit, write());
    await erp.upsertInvoice(invoiceInput(), write());
    await erp.upsertInvoice(invoiceInput({ externalId: 'in_1002' }), write());
    const apply = (invoiceExternalId: string, amount: number) =>
      erp.applyCreditMemo!(
        { creditMemoExternalId: 'in_0900', invoiceExternalId, amount: usd(amount) },
        write(),
      );
    await apply('in_1001', 5_000);
    await apply('in_1001', 5_000);
    await apply('in_1002', 3_000);
    const memo = emu.records.find('creditmemo', 'eid:in_0900') as { apply: unknown[] };
    expect(memo.apply).toHaveLength(2);
    expect((await erp.getInvoice('in_1001'))?.amountRemaining).toEqual(usd(43_197 - 5_000));
    expect((await erp.getInvoice('in_1002'))?.amountRemaining).toEqual(usd(43_197 - 3_000));
  });

  it('is NotFoundError while the credit memo is not posted', async () => {
    await customer();
    await erp.upsertInvoice(invoiceInput(), write());
    await expect(
      erp.applyCreditMemo!(
        { creditMemoExternalId: 'in_nope', invoiceExternalId: 'in_1001', amount: usd(1) },
        write(),
      ),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});

describe('pageDocuments', () => {
  it('lists invoices, credit memos and payments dated in the window, with customers and applications', async () => {
    await customer();
    await erp.upsertInvoice(invoiceInput(), write());
    await erp.upsertInvoice(
      invoiceInput({ externalId: 'in_0200', tranDate: '2026-02-03' }),
      write(),
    );
    await erp.upsertPayment(
      {
        externalId: 'pi_1001',
        customerExternalId: 'cus_01ACME',
        invoiceExternalId: 'in_1001',
        amount: usd(43_197),
        date: '2026-01-16',
      },
      write(),
    );
    await erp.upsertCreditMemo(credit, write());
    const window = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
    const all = async (kind: 'invoice' | 'credit_memo' | 'payment') => {
      const out = [];
      for await (const page of erp.pageDocuments!(kind, window)) out.push(...page);
      return out;
    };
    const invoices = await all('invoice');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({
      kind: 'invoice',
      externalId: 'in_1001',
      customerExternalId: 'cus_01ACME',
      subsidiary: '1',
      total: usd(43_197),
      tax: usd(3_200),
      tranDate: '2026-01-15',
      memo: 'INV-1001 (subscription_create)',
      status: 'paid',
    });
    expect(await all('credit_memo')).toMatchObject([
      { externalId: 'in_0900', total: usd(8_000), status: 'open' },
    ]);
    expect(await all('payment')).toMatchObject([
      {
        externalId: 'pi_1001',
        total: usd(43_197),
        appliedTo: [{ invoiceExternalId: 'in_1001', amount: usd(43_197) }],
      },
    ]);
  });
});

describe('findCustomers', () => {
  it('finds by external id, and a duplicate by name whatever its case', async () => {
    const { id } = await customer();
    const dup = emu.records.create('customer', {
      companyName: 'ACME CORP',
      subsidiary: { id: '1' },
    });
    emu.records.create('customer', { companyName: 'Other Co', subsidiary: { id: '1' } });

    expect(await erp.findCustomers({ externalId: 'cus_01ACME' })).toEqual([
      { id, externalId: 'cus_01ACME', name: 'Acme Corp' },
    ]);
    expect(await erp.findCustomers({ name: ' acme corp ' })).toEqual([
      { id, externalId: 'cus_01ACME', name: 'Acme Corp' },
      { id: dup.id, name: 'ACME CORP' },
    ]);
    expect(await erp.findCustomers({ externalId: 'cus_none', name: "O'Hara" })).toEqual([]);
  });

  it('needs a filter', async () => {
    await expect(erp.findCustomers({})).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('every call', () => {
  it('passes the connection (governor and call count) and sends traceparent', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const seen: (string | null)[] = [];
    const real = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      seen.push(new Headers(init?.headers).get('traceparent'));
      return real(input, init);
    });
    try {
      const before = connection.health();
      await erp.upsertCustomer(
        { externalId: 'cus_T', name: 'T', subsidiary: '1', currency: 'USD' },
        write({ traceparent, lane: 'critical' }),
      );
      await erp.findCustomers({ externalId: 'cus_T' }, { traceparent });
      const after = connection.health();
      expect(after.calls - before.calls).toBe(seen.length);
      expect(after.governor.granted - before.governor.granted).toBe(seen.length);
      expect(seen.length).toBeGreaterThanOrEqual(3); // currencies, upsert, query
      expect(seen.every((t) => t === traceparent)).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('reference data cached for the life of the process', () => {
  // Outside calls by operation, through a connector of its own.
  const counted = () => {
    const calls = new Map<string, number>();
    const f = connect(emu, {
      onCall: (r) => calls.set(r.operation, (calls.get(r.operation) ?? 0) + 1),
    });
    return { erp: f.erp, count: (operation: string) => calls.get(operation) ?? 0 };
  };

  it('looks items up once per product: a product already ensured costs no call', async () => {
    const c = counted();
    await c.erp.upsertCustomer(
      { externalId: 'cus_01ACME', name: 'Acme Corp', subsidiary: '1', currency: 'USD' },
      write(),
    );
    await c.erp.upsertInvoice(invoiceInput(), write());
    expect([c.count('item.find'), c.count('item.upsert')]).toEqual([1, 2]);
    await c.erp.upsertInvoice(invoiceInput({ externalId: 'in_1002' }), write());
    await c.erp.upsertCreditMemo(
      {
        externalId: 'cm_1',
        customerExternalId: 'cus_01ACME',
        currency: 'USD',
        tranDate: '2026-01-20',
        lines: [{ description: 'Pro plan refund', item: 'PRO', quantity: 1, amount: usd(9_999) }],
        total: usd(9_999),
      },
      write(),
    );
    expect([c.count('item.find'), c.count('item.upsert')]).toEqual([1, 2]);
    // Items that exist are found, not written: a new process reads them once and writes none.
    const d = counted();
    await d.erp.upsertInvoice(invoiceInput({ externalId: 'in_1003' }), write());
    await d.erp.upsertInvoice(invoiceInput({ externalId: 'in_1004' }), write());
    expect([d.count('item.find'), d.count('item.upsert')]).toEqual([1, 0]);
  });

  it('shares one look-up among concurrent postings of the same products', async () => {
    const c = counted();
    await c.erp.upsertCustomer(
      { externalId: 'cus_01ACME', name: 'Acme Corp', subsidiary: '1', currency: 'USD' },
      write(),
    );
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        c.erp.upsertInvoice(invoiceInput({ externalId: `in_c${i}` }), write()),
      ),
    );
    expect(emu.state.list('invoice')).toHaveLength(8);
    expect([c.count('item.find'), c.count('item.upsert')]).toEqual([1, 2]);
    expect(emu.state.list('noninventorysaleitem')).toHaveLength(2);
  });

  it('recreates an item deleted in NetSuite after it was cached, and posts once more', async () => {
    const c = counted();
    await c.erp.upsertCustomer(
      { externalId: 'cus_01ACME', name: 'Acme Corp', subsidiary: '1', currency: 'USD' },
      write(),
    );
    await c.erp.upsertInvoice(invoiceInput(), write());
    // Someone deletes the invoice, then the item it used, in NetSuite.
    emu.records.remove(emu.records.find('invoice', 'eid:in_1001')!);
    emu.records.remove(emu.records.find('noninventorysaleitem', 'eid:PRO')!);
    const { id } = await c.erp.upsertInvoice(invoiceInput({ externalId: 'in_1002' }), write());
    const recreated = emu.records.find('noninventorysaleitem', 'eid:PRO')!;
    expect(emu.records.find('invoice', id)!.lines[0]!.item).toBe(recreated.id);
    // The refused posting, the look-up of both cached items, PRO created again, the retry.
    expect(c.count('invoice.upsert')).toBe(3);
    expect([c.count('item.find'), c.count('item.upsert')]).toEqual([2, 3]);
    // Cached again: the next posting makes no item call.
    await c.erp.upsertInvoice(invoiceInput({ externalId: 'in_1003' }), write());
    expect([c.count('item.find'), c.count('item.upsert')]).toEqual([2, 3]);
  });

  it('keeps a refusal that is not about items: one look-up, no second posting', async () => {
    const c = counted();
    await c.erp.upsertCustomer(
      { externalId: 'cus_01ACME', name: 'Acme Corp', subsidiary: '1', currency: 'USD' },
      write(),
    );
    await c.erp.upsertInvoice(invoiceInput(), write());
    await expect(
      c.erp.upsertInvoice(
        invoiceInput({ externalId: 'in_1002', customerExternalId: 'cus_NOBODY' }),
        write(),
      ),
    ).rejects.toMatchObject({ retryable: false });
    expect(c.count('invoice.upsert')).toBe(2);
    expect([c.count('item.find'), c.count('item.upsert')]).toEqual([2, 2]);
    expect(emu.state.list('noninventorysaleitem')).toHaveLength(2);
  });

  it('reads the locked periods once for postings that ask at the same time', async () => {
    const c = counted();
    const answers = await Promise.all(Array.from({ length: 5 }, () => c.erp.lockedPeriods!()));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(c.count('accountingperiod.list')).toBe(1);
  });
});
