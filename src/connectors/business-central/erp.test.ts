import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  startBusinessCentralEmulator,
  type BusinessCentralEmulator,
} from '@revsync/emulators/business-central';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
import { BusinessCentralClient } from './client.ts';
import { createBusinessCentralConnector } from './connector.ts';
import { classifyBusinessCentralError } from './errors.ts';
import {
  customerNumberFor,
  documentNumberFor,
  paymentJournalCodeFor,
  taxPercents,
} from './mapper.ts';
import {
  BusinessCentralSubscriptions,
  BusinessCentralWebhooks,
  defaultClientState,
} from './webhooks.ts';

let emu: BusinessCentralEmulator;
let connector: Connector<ErpSystem>;
let erp: ErpSystem;
let US = '';
let UK = '';
let JP = '';
const realFetch = globalThis.fetch;
let keys = 0;
const write = (): WriteOptions => ({ idempotencyKey: `bc-test-${++keys}` });
const jpy = (amount: number) => ({ amount, currency: 'JPY' as const });
const gbp = (amount: number) => ({ amount, currency: 'GBP' as const });
const usd = (amount: number) => ({ amount, currency: 'USD' as const });
const thisMonth = () => new Date().toISOString().slice(0, 8);
const day = (d: number) => `${thisMonth()}${String(d).padStart(2, '0')}`;

function connect(e: BusinessCentralEmulator): Promise<Connector<ErpSystem>> {
  return createBusinessCentralConnector({
    tenantId: e.tenantId,
    clientId: e.clientId,
    clientSecret: e.clientSecret,
    baseUrl: e.url,
    loginUrl: e.url,
    connection: new OutboundConnection('business-central', { system: 'business-central' }),
  });
}

beforeAll(async () => {
  emu = await startBusinessCentralEmulator({ port: 0, notificationRetryMs: 10 });
  [US, UK, JP] = emu.companyIds as [string, string, string];
  connector = await connect(emu);
  erp = connector.port;
});
afterAll(() => emu.close());
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Lets a test see (and act on) each request before it is sent; answers the requests seen. */
function intercept(
  hook: (url: string, init: RequestInit | undefined) => Promise<void> | void = () => {},
): { method: string; url: string; status?: number }[] {
  const seen: { method: string; url: string; status?: number }[] = [];
  globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const entry: { method: string; url: string; status?: number } = {
      method: init?.method ?? 'GET',
      url: decodeURIComponent(url),
    };
    seen.push(entry);
    await hook(url, init);
    const res = await realFetch(input, init);
    entry.status = res.status;
    return res;
  };
  return seen;
}

const company = (id: string) => emu.ledger.state.companies[id]!;
const admin = (method: string, path: string, body?: unknown) =>
  realFetch(`${emu.url}/_emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });

describe('classifying Business Central errors', () => {
  const body = (code: string, message = 'm') => ({
    error: { code, message: `${message}  CorrelationId:  0000.` },
  });
  const classify = (status: number, b: unknown, retryAfter: string | null = null) =>
    classifyBusinessCentralError({ status, body: b, retryAfter, request: 'PATCH /x' });

  it('reads status and code: throttling, stale etags, duplicates, validation, outages', () => {
    const throttled = classify(429, body('Application_TooManyRequests'), '7');
    expect(throttled).toBeInstanceOf(RateLimitedError);
    expect(throttled.retryAfterMs).toBe(7_000);
    expect(classify(429, body('Application_TooManyRequests')).retryAfterMs).toBe(5_000);
    expect(classify(412, body('Request_EntityChanged'))).toBeInstanceOf(ConflictError);
    expect(classify(400, body('BadRequest_InvalidToken'))).toBeInstanceOf(ValidationError);
    expect(
      classify(400, body('Application_DialogException', 'not within your range')),
    ).toBeInstanceOf(ValidationError);
    expect(
      classify(400, body('Application_DialogException', "The record … already exists. No.='X'")),
    ).toBeInstanceOf(ConflictError);
    expect(classify(401, body('Authentication_InvalidCredentials'))).toBeInstanceOf(AuthError);
    expect(classify(404, body('BadRequest_NotFound'))).toBeInstanceOf(NotFoundError);
    expect(classify(503, body('ServiceUnavailable'))).toBeInstanceOf(RetryableError);
    expect(classify(502, 'Bad Gateway')).toBeInstanceOf(RetryableError);
    expect(classify(400, body('BadRequest')).message).not.toMatch(/CorrelationId/);
  });

  it('spreads a tax over lines so the per-line rounding adds up exactly', () => {
    expect(taxPercents([9_800, -1_800], 640)).toEqual([8, 8]);
    const odd = taxPercents([120_001, -1], 12_000);
    const round = (a: number, p: number) => Math.sign(a) * Math.round(Math.abs((a * p) / 100));
    expect(round(120_001, odd[0]!) + round(-1, odd[1]!)).toBe(12_000);
    expect(() => taxPercents([100], 101)).toThrow(ValidationError);
  });
});

describe('the ERP port on the emulator', () => {
  const jpCustomer = {
    externalId: 'cus_01JBCTESTJPY000000000000001',
    name: 'Tokyo Trading',
    email: 'ap@tokyo.example',
    subsidiary: '',
    currency: 'JPY',
  };

  it('creates a customer once: a lookup by its number comes before any create', async () => {
    const input = { ...jpCustomer, subsidiary: JP };
    const seen = intercept();
    const first = await erp.upsertCustomer(input, write());
    const again = await erp.upsertCustomer(input, write());
    expect(again).toEqual(first);
    expect(first.id).toMatch(new RegExp(`^${JP}:[0-9a-f-]{36}$`));
    const posts = seen.filter((r) => r.method === 'POST' && r.url.endsWith('/customers'));
    expect(posts).toHaveLength(1);
    const gets = seen.filter((r) => r.method === 'GET' && r.url.includes('/customers?'));
    expect(seen.indexOf(gets[0]!)).toBeLessThan(seen.indexOf(posts[0]!));
    const stored = Object.values(company(JP).customers).filter(
      (c) => c.number === customerNumberFor(input.externalId),
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]!.number).toHaveLength(20);
    expect(stored[0]!.displayName).toBe(`Tokyo Trading [${input.externalId}]`);
    expect(await erp.getCustomer(input.externalId)).toEqual({
      id: first.id,
      externalId: input.externalId,
      name: 'Tokyo Trading',
      currency: 'JPY',
      subsidiary: JP,
      email: 'ap@tokyo.example',
    });
    expect(await erp.findCustomers({ externalId: input.externalId })).toEqual([
      { id: first.id, externalId: input.externalId, name: 'Tokyo Trading' },
    ]);
  });

  it('posts a multi-line JPY invoice to the yen, lines and post in one $batch', async () => {
    const seen = intercept();
    const invoice = {
      externalId: 'in_bc_jpy_1',
      customerExternalId: jpCustomer.externalId,
      subsidiary: JP,
      currency: 'JPY',
      tranDate: day(1),
      memo: 'INV-JPY-1',
      lines: [
        { description: 'Platform × 3', quantity: 3, amount: jpy(120_001) },
        { description: 'Seats × 4', quantity: 4, amount: jpy(40_000) },
        { description: 'Proration credit', quantity: 1, amount: jpy(-1) },
      ],
      tax: jpy(16_000),
      total: jpy(176_000),
    };
    const posted = await erp.upsertInvoice(invoice, write());
    const batches = seen.filter((r) => r.url.endsWith('/$batch'));
    expect(batches).toHaveLength(1);
    expect(await erp.getInvoice(invoice.externalId)).toMatchObject({
      id: posted.id,
      currency: 'JPY',
      subtotal: jpy(160_000),
      tax: jpy(16_000),
      total: jpy(176_000),
      amountRemaining: jpy(176_000),
      status: 'open',
      lineCount: 3,
      subsidiary: JP,
      customerExternalId: jpCustomer.externalId,
    });
    const doc = company(JP).salesInvoices[posted.id.split(':')[1]!]!;
    expect(doc.status).toBe('Open');
    expect(doc.number).toMatch(/^PS-INV/);
    expect(doc.externalDocumentNumber).toBe('in_bc_jpy_1');
    expect(doc.remaining).toBe(176_000);
    expect(doc.lines.map((l) => [l.quantity, l.amountExcl])).toEqual([
      [1, 120_001],
      [4, 40_000],
      [-1, -1],
    ]);
    expect(doc.lines.reduce((s, l) => s + l.tax, 0)).toBe(16_000);
  });

  it('posts a GBP invoice in the UK company to the penny, the tax as given (not the 20 % default)', async () => {
    await erp.upsertCustomer(
      {
        externalId: 'cus_01JBCTESTGBP000000000000001',
        name: 'London Ltd',
        subsidiary: UK,
        currency: 'GBP',
        address: { line1: '1 Strand', city: 'London', postalCode: 'WC2N 5HR', country: 'GB' },
      },
      write(),
    );
    const invoice = {
      externalId: 'in_bc_gbp_1',
      customerExternalId: 'cus_01JBCTESTGBP000000000000001',
      subsidiary: UK,
      currency: 'GBP',
      tranDate: day(2),
      lines: [
        { description: 'Seat × 2', quantity: 2, amount: gbp(9_998) },
        { description: 'Support', quantity: 1, amount: gbp(1_251) },
        { description: 'Usage 7 units', quantity: 7, amount: gbp(333) },
      ],
      tax: gbp(2_317),
      total: gbp(13_899),
    };
    const { id } = await erp.upsertInvoice(invoice, write());
    expect(await erp.getInvoice(invoice.externalId)).toMatchObject({
      id,
      subtotal: gbp(11_582),
      tax: gbp(2_317),
      total: gbp(13_899),
      lineCount: 3,
    });
    const doc = company(UK).salesInvoices[id.split(':')[1]!]!;
    expect(doc.lines.map((l) => l.quantity)).toEqual([2, 1, 1]); // 333 / 7 is not a whole penny
  });

  it('re-reads and retries when the etag went stale (412)', async () => {
    const externalId = 'cus_01JBCTESTETAG00000000000001';
    const { id } = await erp.upsertCustomer(
      { externalId, name: 'Etag Co', subsidiary: US, currency: 'USD' },
      write(),
    );
    const customerId = id.split(':')[1]!;
    let interfered = false;
    const seen = intercept(async (url, init) => {
      if (init?.method === 'PATCH' && !interfered) {
        interfered = true; // a person edits the customer between our read and our write
        await admin('PATCH', `/companies/${US}/customers/${customerId}`, { phoneNumber: '555' });
      }
    });
    await erp.upsertCustomer(
      { externalId, name: 'Etag Co Renamed', subsidiary: US, currency: 'USD' },
      write(),
    );
    const patches = seen.filter((r) => r.method === 'PATCH');
    expect(patches.map((p) => p.status)).toEqual([412, 200]);
    expect((await erp.getCustomer(externalId))?.name).toBe('Etag Co Renamed');
    expect(company(US).customers[customerId]!.phoneNumber).toBe('555');
  });

  it('applies a credit memo to its open invoice on posting', async () => {
    const externalId = 'cus_01JBCTESTCRED00000000000001';
    await erp.upsertCustomer(
      { externalId, name: 'Credit Co', subsidiary: US, currency: 'USD' },
      write(),
    );
    await erp.upsertInvoice(
      {
        externalId: 'in_bc_cm_1',
        customerExternalId: externalId,
        subsidiary: US,
        currency: 'USD',
        tranDate: day(3),
        lines: [{ description: 'Plan', quantity: 1, amount: usd(10_000) }],
        tax: usd(0),
        total: usd(10_000),
      },
      write(),
    );
    const memo = {
      externalId: 'cn_bc_cm_1',
      customerExternalId: externalId,
      invoiceExternalId: 'in_bc_cm_1',
      currency: 'USD',
      tranDate: day(4),
      lines: [{ description: 'Service credit', quantity: 1, amount: usd(2_500) }],
      total: usd(2_500),
    };
    const { id } = await erp.upsertCreditMemo(memo, write());
    expect(await erp.getCreditMemo(memo.externalId)).toEqual({
      id,
      externalId: memo.externalId,
      total: usd(2_500),
      status: 'applied',
    });
    expect((await erp.getInvoice('in_bc_cm_1'))?.amountRemaining).toEqual(usd(7_500));
  });

  it('applies a customer credit (a credit memo) to a later invoice, once', async () => {
    const externalId = 'cus_01JBCTESTAPPLY0000000000001';
    await erp.upsertCustomer(
      { externalId, name: 'Apply Co', subsidiary: UK, currency: 'GBP' },
      write(),
    );
    await erp.upsertCreditMemo(
      {
        externalId: 'in_bc_downgrade_1',
        customerExternalId: externalId,
        currency: 'GBP',
        tranDate: day(2),
        lines: [{ description: 'Downgrade credit', quantity: 1, amount: gbp(2_000) }],
        total: gbp(2_000),
      },
      write(),
    );
    await erp.upsertInvoice(
      {
        externalId: 'in_bc_after_1',
        customerExternalId: externalId,
        subsidiary: UK,
        currency: 'GBP',
        tranDate: day(3),
        lines: [{ description: 'Plan', quantity: 1, amount: gbp(10_000) }],
        tax: gbp(0),
        total: gbp(10_000),
      },
      write(),
    );
    const application = {
      creditMemoExternalId: 'in_bc_downgrade_1',
      invoiceExternalId: 'in_bc_after_1',
      amount: gbp(2_000),
    };
    await erp.applyCreditMemo!(application, write());
    expect((await erp.getInvoice('in_bc_after_1'))?.amountRemaining).toEqual(gbp(8_000));
    const seen = intercept();
    await erp.applyCreditMemo!(application, write());
    expect(seen.filter((r) => r.method !== 'GET')).toEqual([]);
    globalThis.fetch = realFetch;
    await expect(
      erp.applyCreditMemo!({ ...application, amount: gbp(1_000) }, write()),
    ).rejects.toBeInstanceOf(ValidationError);
    await erp.upsertPayment(
      {
        externalId: 'py_bc_after_1',
        customerExternalId: externalId,
        invoiceExternalId: 'in_bc_after_1',
        amount: gbp(8_000),
        date: day(4),
      },
      write(),
    );
    expect((await erp.getInvoice('in_bc_after_1'))?.status).toBe('paid');
    const payments = [];
    for await (const page of erp.pageDocuments!('payment', {
      from: `${thisMonth()}01T00:00:00Z`,
      to: '2999-01-01T00:00:00Z',
    }))
      payments.push(...page);
    const forInvoice = payments.filter((p) =>
      p.appliedTo?.some((a) => a.invoiceExternalId === 'in_bc_after_1'),
    );
    expect(forInvoice.map((p) => [p.externalId, p.total])).toEqual([['py_bc_after_1', gbp(8_000)]]);
    await expect(
      erp.applyCreditMemo!({ ...application, creditMemoExternalId: 'in_bc_no_such' }, write()),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('posts a payment through its own journal batch, applied to the invoice, and records it', async () => {
    const payment = {
      externalId: 'py_bc_jpy_1',
      customerExternalId: jpCustomer.externalId,
      invoiceExternalId: 'in_bc_jpy_1',
      amount: jpy(176_000),
      date: day(5),
    };
    const seen = intercept();
    const { id } = await erp.upsertPayment(payment, write());
    const batch = seen.filter((r) => r.url.endsWith('/$batch'));
    expect(batch).toHaveLength(1);
    expect((await erp.getInvoice('in_bc_jpy_1'))?.amountRemaining).toEqual(jpy(0));
    expect((await erp.getInvoice('in_bc_jpy_1'))?.status).toBe('paid');
    expect(await erp.getPayment(payment.externalId)).toEqual({
      id,
      externalId: payment.externalId,
      amount: jpy(176_000),
      appliedTo: [{ invoiceExternalId: 'in_bc_jpy_1', amount: jpy(176_000) }],
    });
    const posted = company(JP).postedPayments.filter(
      (p) => p.externalDocumentNumber === 'py_bc_jpy_1',
    );
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({
      amount: -176_000,
      appliedAmount: 176_000,
      currencyCode: 'JPY',
    });
    const journal = Object.values(company(JP).journals).find(
      (j) => j.code === paymentJournalCodeFor(payment.externalId),
    );
    expect(journal?.displayName).toMatch(/^rs:py_bc_jpy_1\|/);
  });

  it('creates nothing twice when every post is replayed under new keys', async () => {
    const count = () => ({
      customers: Object.values(company(JP).customers).length,
      invoices: Object.values(company(JP).salesInvoices).length,
      journals: Object.values(company(JP).journals).length,
      payments: company(JP).postedPayments.length,
    });
    const before = count();
    const seen = intercept();
    await erp.upsertCustomer({ ...jpCustomer, subsidiary: JP }, write());
    const inv = await erp.upsertInvoice(
      {
        externalId: 'in_bc_jpy_1',
        customerExternalId: jpCustomer.externalId,
        subsidiary: JP,
        currency: 'JPY',
        tranDate: day(1),
        lines: [
          { description: 'Platform × 3', quantity: 3, amount: jpy(120_001) },
          { description: 'Seats × 4', quantity: 4, amount: jpy(40_000) },
          { description: 'Proration credit', quantity: 1, amount: jpy(-1) },
        ],
        tax: jpy(16_000),
        total: jpy(176_000),
      },
      write(),
    );
    await erp.upsertPayment(
      {
        externalId: 'py_bc_jpy_1',
        customerExternalId: jpCustomer.externalId,
        invoiceExternalId: 'in_bc_jpy_1',
        amount: jpy(176_000),
        date: day(5),
      },
      write(),
    );
    expect(count()).toEqual(before);
    expect(seen.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await erp.getInvoice('in_bc_jpy_1'))?.id).toBe(inv.id);
  });

  it('refuses an invoice for an unknown customer before writing anything', async () => {
    const seen = intercept();
    await expect(
      erp.upsertInvoice(
        {
          externalId: 'in_bc_orphan',
          customerExternalId: 'cus_01JBCTESTNOBODY0000000000001',
          subsidiary: US,
          currency: 'USD',
          tranDate: day(1),
          lines: [{ description: 'x', quantity: 1, amount: usd(100) }],
          tax: usd(0),
          total: usd(100),
        },
        write(),
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(seen.filter((r) => r.method !== 'GET')).toEqual([]);
    await expect(
      erp.upsertCustomer(
        {
          externalId: 'cus_x',
          name: 'X',
          subsidiary: '00000000-0000-0000-0000-000000000000',
          currency: 'USD',
        },
        write(),
      ),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('leaves no posted half of an invoice a locked period refused, and posts it once unlocked', async () => {
    const externalId = 'cus_01JBCTESTLOCK00000000000001';
    await erp.upsertCustomer(
      { externalId, name: 'Lock Co', subsidiary: US, currency: 'USD' },
      write(),
    );
    const year = new Date().getUTCFullYear() - 1;
    await admin('PUT', `/companies/${US}/accounting-periods/lock`, { date: `${year}-03-01` });
    expect(await erp.lockedPeriods?.({ fresh: true })).toEqual([`${year}-03`]);
    const invoice = {
      externalId: 'in_bc_locked',
      customerExternalId: externalId,
      subsidiary: US,
      currency: 'USD',
      tranDate: `${year}-03-15`,
      lines: [
        { description: 'a', quantity: 1, amount: usd(1_000) },
        { description: 'b', quantity: 2, amount: usd(2_000) },
      ],
      tax: usd(0),
      total: usd(3_000),
    };
    await expect(erp.upsertInvoice(invoice, write())).rejects.toBeInstanceOf(ValidationError);
    expect(await erp.getInvoice(invoice.externalId)).toBeUndefined();
    const drafts = Object.values(company(US).salesInvoices).filter(
      (d) => d.externalDocumentNumber === documentNumberFor(invoice.externalId),
    );
    expect(drafts.map((d) => [d.status, d.lines.length])).toEqual([['Draft', 0]]);
    await admin('PUT', `/companies/${US}/accounting-periods/lock`, {
      date: `${year}-03-01`,
      locked: false,
    });
    const { id } = await erp.upsertInvoice(invoice, write());
    expect(id).toBe(`${US}:${drafts[0]!.id}`); // the draft header was reused
    expect((await erp.getInvoice(invoice.externalId))?.total).toEqual(usd(3_000));
    expect(await erp.lockedPeriods?.({ fresh: true })).toEqual([]);
  });

  it('lists the documents of a window for reconciliation', async () => {
    const window = { from: `${thisMonth()}01T00:00:00Z`, to: '2999-01-01T00:00:00Z' };
    const all = async (kind: 'invoice' | 'credit_memo' | 'payment') => {
      const out = [];
      for await (const page of erp.pageDocuments!(kind, window)) out.push(...page);
      return out;
    };
    const invoices = await all('invoice');
    expect(invoices.find((d) => d.externalId === 'in_bc_jpy_1')).toMatchObject({
      subsidiary: JP,
      customerExternalId: jpCustomer.externalId,
      total: jpy(176_000),
      tax: jpy(16_000),
      status: 'paid',
    });
    expect((await all('credit_memo')).map((d) => d.externalId)).toContain('cn_bc_cm_1');
    const payments = await all('payment');
    expect(payments.find((d) => d.externalId === 'py_bc_jpy_1')).toMatchObject({
      total: jpy(176_000),
      tranDate: day(5),
      appliedTo: [{ invoiceExternalId: 'in_bc_jpy_1', amount: jpy(176_000) }],
    });
  });
});

describe('a lost answer', () => {
  it('posts an invoice and a payment once when the $batch answer never came back', async () => {
    const impatient = await createBusinessCentralConnector({
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      baseUrl: emu.url,
      loginUrl: emu.url,
      timeoutMs: 150,
      connection: new OutboundConnection('business-central', { system: 'business-central' }),
    });
    const port = impatient.port;
    const externalId = 'cus_01JBCTESTLOST00000000000001';
    await port.upsertCustomer(
      { externalId, name: 'Lost Co', subsidiary: US, currency: 'USD' },
      write(),
    );
    const invoice = {
      externalId: 'in_bc_lost_1',
      customerExternalId: externalId,
      subsidiary: US,
      currency: 'USD',
      tranDate: day(6),
      lines: [
        { description: 'a', quantity: 2, amount: usd(4_000) },
        { description: 'b', quantity: 1, amount: usd(1_000) },
      ],
      tax: usd(400),
      total: usd(5_400),
    };
    const payment = {
      externalId: 'py_bc_lost_1',
      customerExternalId: externalId,
      invoiceExternalId: invoice.externalId,
      amount: usd(5_400),
      date: day(7),
    };
    // The emulator handles each $batch 400 ms late: the client gives up at 150 ms.
    const hang = async (on: boolean) => {
      const res = await admin(
        'PUT',
        '/faults',
        on ? { rules: [{ match: 'POST /v2.0/*/$batch', hang: { p: 1, ms: 400 } }] } : { rules: [] },
      );
      expect(res.status).toBe(200);
    };
    const settle = () => new Promise((r) => setTimeout(r, 600));
    try {
      await hang(true);
      await expect(port.upsertInvoice(invoice, write())).rejects.toMatchObject({ retryable: true });
      await settle();
      await hang(false);
      const { id } = await port.upsertInvoice(invoice, write());
      await hang(true);
      await expect(port.upsertPayment(payment, write())).rejects.toMatchObject({ retryable: true });
      await settle();
      await hang(false);
      const paid = await port.upsertPayment(payment, write());
      const ours = Object.values(company(US).salesInvoices).filter(
        (d) => d.externalDocumentNumber === invoice.externalId,
      );
      expect(ours.map((d) => [`${US}:${d.id}`, d.status])).toEqual([[id, 'Paid']]);
      expect(
        company(US).postedPayments.filter((p) => p.externalDocumentNumber === payment.externalId),
      ).toHaveLength(1);
      expect((await port.getPayment(payment.externalId))?.id).toBe(paid.id);
    } finally {
      await hang(false);
    }
  });
});

describe('throttling', () => {
  it('waits out a short Retry-After inside the call, and throws a long one as RateLimitedError', async () => {
    const small = await startBusinessCentralEmulator({
      port: 0,
      rateLimit: 3,
      rateWindowMs: 1_000,
    });
    try {
      const c = await connect(small); // reads the companies: one request
      const seen = intercept();
      for (let i = 0; i < 4; i++) await c.port.getCustomer(`cus_nobody_${i}`);
      expect(seen.some((r) => r.status === 429)).toBe(true);
      expect(seen.at(-1)?.status).toBe(200);
    } finally {
      await small.close();
    }
    const slow = await startBusinessCentralEmulator({
      port: 0,
      rateLimit: 2,
      rateWindowMs: 600_000,
    });
    try {
      const c = await connect(slow);
      const error = await (async () => {
        for (let i = 0; i < 5; i++) await c.port.getCustomer(`cus_nobody_${i}`);
      })().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(RateLimitedError);
      expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(1_000);
    } finally {
      await slow.close();
    }
  });

  it('builds without reaching Business Central, and says so when checked', async () => {
    const offline = await createBusinessCentralConnector({
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      baseUrl: 'http://127.0.0.1:9',
      loginUrl: 'http://127.0.0.1:9',
      connection: new OutboundConnection('business-central', { system: 'business-central' }),
    });
    expect(offline.pollers.map((p) => p.cursorName)).toEqual(['business-central:delta']);
    await expect(offline.check()).rejects.toBeInstanceOf(RetryableError);
  });

  it('gets a fresh token after a 401', async () => {
    await admin('POST', '/oauth/expire-access-tokens');
    const seen = intercept();
    expect(await erp.getCustomer('cus_01JBCTESTJPY000000000000001')).toBeDefined();
    expect(seen.map((r) => r.status)).toContain(401);
  });
});

describe('webhooks', () => {
  let hook: Server;
  let url = '';
  const received: string[] = [];
  const source = new BusinessCentralWebhooks({
    clientState: defaultClientState('emulator-client-secret'),
  });

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const answer = source.handshake(new URL(req.url ?? '/', 'http://x').searchParams);
        if (answer) {
          res.writeHead(answer.status, { 'content-type': answer.contentType });
          res.end(answer.body);
          return;
        }
        received.push(text);
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/webhooks/business-central`;
  });
  afterAll(() => new Promise<void>((r) => hook.close(() => r())));

  it('subscribes through the handshake, verifies notifications by clientState, renews before expiry', async () => {
    expect(emu.clientSecret).toBe('emulator-client-secret');
    let skew = 0;
    const client = new BusinessCentralClient({
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      baseUrl: emu.url,
      loginUrl: emu.url,
      connection: new OutboundConnection('business-central', { system: 'business-central' }),
    });
    const subs = new BusinessCentralSubscriptions(client, {
      notificationUrl: url,
      clientState: defaultClientState(emu.clientSecret),
      companyIds: async () => [US],
      now: () => Date.now() + skew, // the emulator's clock, which the test moves
    });
    expect(await subs.ensure()).toEqual({ created: 4, renewed: 0 });
    expect(await subs.ensure()).toEqual({ created: 0, renewed: 0 });
    const { id } = await erp.upsertCustomer(
      {
        externalId: 'cus_01JBCTESTHOOK00000000000001',
        name: 'Hook Co',
        subsidiary: US,
        currency: 'USD',
      },
      write(),
    );
    await emu.notificationsIdle();
    const events = received.flatMap((body) => source.verify(body, {}));
    expect(events.find((e) => e.subject === id)).toMatchObject({
      source: 'business-central',
      type: 'business-central.customer.created',
      data: { companyId: US, entitySet: 'customers' },
    });
    const tampered = received[0]!.replace(/"clientState":"[^"]*"/, '"clientState":"guess"');
    expect(() => source.verify(tampered, {})).toThrow(AuthError);
    // Two and a half days on, every subscription is renewed, not recreated.
    await admin('POST', '/clock/advance', { ms: 2.5 * 86_400_000 });
    skew += 2.5 * 86_400_000;
    expect(await subs.ensure()).toEqual({ created: 0, renewed: 4 });
    // Left to lapse, they are replaced, not piled up.
    await admin('POST', '/clock/advance', { ms: 4 * 86_400_000 });
    skew += 4 * 86_400_000;
    expect(await subs.ensure()).toEqual({ created: 4, renewed: 0 });
    expect(emu.notifier.subscriptions.size).toBe(4);
  });
});
