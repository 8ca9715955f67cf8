import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startQuickbooksEmulator, type QuickbooksEmulator } from '@revsync/emulators/quickbooks';
import { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import {
  AuthError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  ValidationError,
} from '../../model/revsync-error.ts';
import type { Connector, ErpSystem, WriteOptions } from '../ports.ts';
import { createQuickbooksConnector } from './connector.ts';
import { classifyQuickbooksError } from './errors.ts';
import { customerTagFor, docNumberFor } from './mapper.ts';

const US = '9341450000000001';
const UK = '9341450000000002';

let emu: QuickbooksEmulator;
let connector: Connector<ErpSystem>;
let erp: ErpSystem;
const realFetch = globalThis.fetch;
let keys = 0;
const write = (): WriteOptions => ({ idempotencyKey: `qb-test-${++keys}` });
const jpy = (amount: number) => ({ amount, currency: 'JPY' as const });
const usd = (amount: number) => ({ amount, currency: 'USD' as const });

beforeAll(async () => {
  emu = await startQuickbooksEmulator({
    port: 0,
    realms: [
      { realmId: US, homeCurrency: 'USD' },
      { realmId: UK, homeCurrency: 'GBP' },
    ],
  });
  connector = createQuickbooksConnector({
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    realms: emu.realmIds.map((realmId) => ({ realmId, refreshToken: emu.refreshTokens[realmId]! })),
    baseUrl: emu.url,
    tokenUrl: emu.tokenUrl,
    connection: new OutboundConnection('quickbooks', { system: 'quickbooks' }),
  });
  erp = connector.port;
});
afterAll(() => emu.close());
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Lets a test act on each request before it is sent (or instead of the answer). */
function intercept(
  hook: (url: string, init: RequestInit | undefined) => Promise<void> | void,
): string[] {
  const urls: string[] = [];
  globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    urls.push(url);
    await hook(url, init);
    return realFetch(input, init);
  };
  return urls;
}

describe('classifying QuickBooks faults', () => {
  const fault = (code: string, type = 'ValidationFault') => ({
    Fault: { Error: [{ Message: 'm', Detail: 'd', code, element: 'X' }], type },
    time: '2026-12-07T00:00:00-08:00',
  });
  const classify = (status: number, body: unknown, retryAfter: string | null = null) =>
    classifyQuickbooksError({ status, body, retryAfter, request: 'POST /invoice' });

  it('reads a Fault in an HTTP 200 by its code', () => {
    expect(classify(200, fault('6140'))).toBeInstanceOf(ConflictError);
    expect(classify(200, fault('6240'))).toBeInstanceOf(ConflictError);
    expect(classify(200, fault('6000'))).toBeInstanceOf(ValidationError);
    expect(classify(200, fault('6140')).details).toEqual([{ path: 'X', message: '6140: m — d' }]);
  });

  it('classifies stale tokens, missing objects, auth, throttling and system faults', () => {
    expect(classify(400, fault('5010'))).toBeInstanceOf(ConflictError);
    expect(classify(400, fault('610'))).toBeInstanceOf(NotFoundError);
    expect(classify(400, fault('6210'))).toBeInstanceOf(ValidationError);
    expect(classify(401, fault('3200', 'AUTHENTICATION'))).toBeInstanceOf(AuthError);
    const throttled = classify(429, fault('3001', 'ThrottleExceeded'));
    expect(throttled).toBeInstanceOf(RateLimitedError);
    expect(throttled.retryAfterMs).toBe(60_000); // Intuit: wait a minute
    expect(classify(429, fault('3001'), '3').retryAfterMs).toBe(3_000);
    expect(classify(500, fault('10000', 'SystemFault'))).toBeInstanceOf(RetryableError);
    expect(classify(503, 'Service Unavailable')).toBeInstanceOf(RetryableError);
  });
});

describe('the ERP port on the emulator', () => {
  it('books a JPY customer in a USD company, to the yen, with the home amount beside', async () => {
    const customer = {
      externalId: 'cus_qb_jpy_1',
      name: 'Tanaka Seisakusho',
      email: 'ap@tanaka.example',
      subsidiary: US,
      currency: 'JPY',
    };
    const { id } = await erp.upsertCustomer(customer, write());
    expect(id).toMatch(new RegExp(`^${US}:\\d+$`));
    const invoice = {
      externalId: 'in_qb_jpy_1',
      customerExternalId: customer.externalId,
      subsidiary: US,
      currency: 'JPY',
      tranDate: '2026-12-01',
      memo: 'INV-JPY-1',
      lines: [
        { description: 'Platform × 3', quantity: 3, amount: jpy(120_001) },
        { description: 'Proration credit', quantity: 1, amount: jpy(-1) },
      ],
      tax: jpy(12_000),
      total: jpy(132_000),
    };
    const posted = await erp.upsertInvoice(invoice, write());
    expect(await erp.getInvoice(invoice.externalId)).toMatchObject({
      id: posted.id,
      currency: 'JPY',
      subtotal: jpy(120_000),
      tax: jpy(12_000),
      total: jpy(132_000),
      amountRemaining: jpy(132_000),
      lineCount: 2,
      subsidiary: US,
      customerExternalId: customer.externalId,
    });
    const stored = emu.books.get(emu.books.realm(US)!, 'Invoice', posted.id.split(':')[1]!)!;
    expect(stored.DocNumber).toBe(docNumberFor(invoice.externalId));
    expect(String(stored.DocNumber).length).toBeLessThanOrEqual(21);
    expect(stored.HomeTotalAmt).toBe(884.4); // ¥132,000 × 0.0067
    await erp.upsertPayment(
      {
        externalId: 'py_qb_jpy_1',
        customerExternalId: customer.externalId,
        invoiceExternalId: invoice.externalId,
        amount: jpy(132_000),
        date: '2026-12-02',
      },
      write(),
    );
    expect((await erp.getInvoice(invoice.externalId))?.amountRemaining).toEqual(jpy(0));
    expect(await erp.getPayment('py_qb_jpy_1')).toMatchObject({
      amount: jpy(132_000),
      appliedTo: [{ invoiceExternalId: invoice.externalId, amount: jpy(132_000) }],
    });
    // A refund of the paid invoice is a refund receipt.
    const refund = {
      externalId: 're_qb_jpy_1',
      customerExternalId: customer.externalId,
      invoiceExternalId: invoice.externalId,
      currency: 'JPY',
      tranDate: '2026-12-03',
      lines: [{ description: 'Refund', quantity: 1, amount: jpy(5_000) }],
      total: jpy(5_000),
    };
    const rr = await erp.upsertCreditMemo(refund, write());
    expect(await erp.getCreditMemo(refund.externalId)).toMatchObject({
      id: rr.id,
      total: jpy(5_000),
      status: 'refunded',
    });
    expect(await erp.upsertCreditMemo(refund, write())).toEqual(rr);
    expect(emu.books.all(emu.books.realm(US)!, 'RefundReceipt')).toHaveLength(1);
  });

  it('keeps each region in its own company and finds a customer’s company for its payments', async () => {
    const customer = {
      externalId: 'cus_qb_uk_1',
      name: 'Brit Ltd',
      subsidiary: UK,
      currency: 'GBP',
    };
    const { id } = await erp.upsertCustomer(customer, write());
    expect(id.startsWith(`${UK}:`)).toBe(true);
    expect(await erp.getCustomer(customer.externalId)).toMatchObject({
      subsidiary: UK,
      currency: 'GBP',
    });
    const gbp = (amount: number) => ({ amount, currency: 'GBP' as const });
    await erp.upsertInvoice(
      {
        externalId: 'in_qb_uk_1',
        customerExternalId: customer.externalId,
        subsidiary: UK,
        currency: 'GBP',
        tranDate: '2026-12-01',
        lines: [{ description: 'Seat', quantity: 1, amount: gbp(1_000) }],
        tax: gbp(200),
        total: gbp(1_200),
      },
      write(),
    );
    const pay = await erp.upsertPayment(
      {
        externalId: 'py_qb_uk_1',
        customerExternalId: customer.externalId,
        invoiceExternalId: 'in_qb_uk_1',
        amount: gbp(1_200),
        date: '2026-12-02',
      },
      write(),
    );
    expect(pay.id.startsWith(`${UK}:`)).toBe(true);
    // Posting a UK customer's invoice to the US company does not find the customer there.
    await expect(
      erp.upsertInvoice(
        {
          externalId: 'in_qb_uk_2',
          customerExternalId: customer.externalId,
          subsidiary: US,
          currency: 'GBP',
          tranDate: '2026-12-01',
          lines: [{ description: 'Seat', quantity: 1, amount: gbp(1_000) }],
          tax: gbp(0),
          total: gbp(1_000),
        },
        write(),
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      erp.upsertCustomer({ ...customer, subsidiary: '999' }, write()),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('applies a standing credit memo to an invoice once, and lists the documents for reconciliation', async () => {
    const customer = {
      externalId: 'cus_qb_cr_1',
      name: 'Credit Co',
      subsidiary: US,
      currency: 'USD',
    };
    await erp.upsertCustomer(customer, write());
    await erp.upsertCreditMemo(
      {
        externalId: 'in_qb_neg_1',
        customerExternalId: customer.externalId,
        currency: 'USD',
        tranDate: '2026-11-20',
        lines: [{ description: 'Downgrade credit', quantity: 1, amount: usd(3_000) }],
        total: usd(3_000),
      },
      write(),
    );
    await erp.upsertInvoice(
      {
        externalId: 'in_qb_cr_1',
        customerExternalId: customer.externalId,
        subsidiary: US,
        currency: 'USD',
        tranDate: '2026-11-25',
        lines: [{ description: 'Seat', quantity: 1, amount: usd(10_000) }],
        tax: usd(0),
        total: usd(10_000),
      },
      write(),
    );
    const apply = () =>
      erp.applyCreditMemo!(
        {
          creditMemoExternalId: 'in_qb_neg_1',
          invoiceExternalId: 'in_qb_cr_1',
          amount: usd(3_000),
        },
        write(),
      );
    await apply();
    await apply();
    expect((await erp.getInvoice('in_qb_cr_1'))?.amountRemaining).toEqual(usd(7_000));
    expect((await erp.getCreditMemo('in_qb_neg_1'))?.status).toBe('applied');

    const window = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
    const all = async (kind: 'invoice' | 'credit_memo' | 'payment') => {
      const out = [];
      for await (const page of erp.pageDocuments!(kind, window)) out.push(...page);
      return out.filter((d) => d.customerExternalId === customer.externalId);
    };
    expect(await all('invoice')).toMatchObject([
      {
        externalId: 'in_qb_cr_1',
        subsidiary: US,
        total: usd(10_000),
        status: 'open',
        tranDate: '2026-11-25',
      },
    ]);
    expect(await all('credit_memo')).toMatchObject([
      { externalId: 'in_qb_neg_1', total: usd(3_000), status: 'paid' },
    ]);
    // The zero-total payment that applies the credit is not a payment document.
    expect(await all('payment')).toEqual([]);
  });

  it('re-reads and retries a sparse update whose SyncToken went stale meanwhile', async () => {
    const customer = {
      externalId: 'cus_qb_stale',
      name: 'Stale Co',
      subsidiary: US,
      currency: 'USD',
    };
    const { id } = await erp.upsertCustomer(customer, write());
    const qid = id.split(':')[1]!;
    let bumped = false;
    const urls = intercept((url, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      if (!bumped && url.includes('/customer?') && body.includes('"sparse":true')) {
        bumped = true;
        // Someone edits the customer in QuickBooks between revsync's read and its write.
        const realm = emu.books.realm(US)!;
        const current = emu.books.get(realm, 'Customer', qid)!;
        emu.books.write(realm, 'Customer', {
          Id: qid,
          SyncToken: current.SyncToken,
          sparse: true,
          Notes: `${String(current.Notes)}`,
        });
      }
    });
    await erp.upsertCustomer({ ...customer, name: 'Stale Co Renamed' }, write());
    expect(bumped).toBe(true);
    const writes = urls.filter((u) => u.includes('/customer?'));
    expect(writes).toHaveLength(2); // the stale one, then the one after the re-read
    expect(new Set(writes.map((u) => new URL(u).searchParams.get('requestid'))).size).toBe(2);
    expect((await erp.getCustomer(customer.externalId))?.name).toBe('Stale Co Renamed');
    expect(emu.books.get(emu.books.realm(US)!, 'Customer', qid)!.DisplayName).toBe(
      `Stale Co Renamed ${customerTagFor(customer.externalId)}`,
    );
  });

  it('sends requestid on creates, and a retried create after a lost answer posts once', async () => {
    const customer = {
      externalId: 'cus_qb_lost',
      name: 'Lost Answer Inc',
      subsidiary: US,
      currency: 'USD',
    };
    await erp.upsertCustomer(customer, write());
    const invoice = {
      externalId: 'in_qb_lost',
      customerExternalId: customer.externalId,
      subsidiary: US,
      currency: 'USD',
      tranDate: '2026-12-01',
      lines: [{ description: 'Seat', quantity: 1, amount: usd(5_000) }],
      tax: usd(0),
      total: usd(5_000),
    };
    const options = write();
    let dropped = false;
    globalThis.fetch = async (input, init) => {
      const res = await realFetch(input, init);
      if (!dropped && String(input).includes('/invoice?') && init?.method === 'POST') {
        dropped = true;
        expect(new URL(String(input)).searchParams.get('requestid')).toBeTruthy();
        throw new TypeError('fetch failed: socket hang up'); // the answer never arrives
      }
      return res;
    };
    await expect(erp.upsertInvoice(invoice, options)).rejects.toBeInstanceOf(RetryableError);
    globalThis.fetch = realFetch;
    const again = await erp.upsertInvoice(invoice, options);
    expect((await erp.getInvoice(invoice.externalId))?.id).toBe(again.id);
    const docs = emu.books
      .all(emu.books.realm(US)!, 'Invoice')
      .filter((i) => i.DocNumber === docNumberFor(invoice.externalId));
    expect(docs).toHaveLength(1);
  });

  it('refuses a posting into a password-closed period as ValidationError (6210)', async () => {
    emu.books.realm(US)!.bookClose = { date: '2026-10-31', password: 'secret' };
    try {
      const error = await erp
        .upsertInvoice(
          {
            externalId: 'in_qb_closed',
            customerExternalId: 'cus_qb_lost',
            subsidiary: US,
            currency: 'USD',
            tranDate: '2026-10-15',
            lines: [{ description: 'Seat', quantity: 1, amount: usd(100) }],
            tax: usd(0),
            total: usd(100),
          },
          write(),
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain('6210');
    } finally {
      delete emu.books.realm(US)!.bookClose;
    }
  });

  it('refreshes an expired access token through intuit-oauth without failing the call', async () => {
    emu.oauth.expireAccessTokens();
    expect((await erp.getCustomer('cus_qb_lost'))?.name).toBe('Lost Answer Inc');
    await connector.check();
  });
});
