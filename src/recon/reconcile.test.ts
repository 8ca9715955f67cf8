import { describe, expect, it } from 'vitest';
import type {
  BillingDocument,
  BillingSubscriptionState,
  CrmAccountState,
  ErpDocument,
  ReconSources,
} from './documents.ts';
import { reconcile, type ReconOptions } from './reconcile.ts';
import type { MatchRecord } from './report.ts';

/** Yields the documents two to a page, as a connector's list method would. */
async function* pages<T>(docs: readonly T[], size = 2): AsyncIterable<readonly T[]> {
  for (let i = 0; i < docs.length; i += size) yield docs.slice(i, i + size);
}

/** A clean, balanced period: every billing document has its ERP counterpart. */
function world() {
  const invoices: BillingDocument[] = [
    {
      kind: 'invoice',
      id: 'in_1',
      customer: 'cus_A',
      currency: 'usd',
      amount: 10_000,
      tax: 800,
      period: '2026-11',
      date: '2026-11-05',
      reference: 'INV-0001',
      status: 'paid',
    },
    {
      kind: 'invoice',
      id: 'in_2',
      customer: 'cus_B',
      currency: 'usd',
      amount: 5_000,
      tax: 0,
      period: '2026-11',
      date: '2026-11-10',
      reference: 'INV-0002',
      status: 'open',
    },
    {
      kind: 'invoice',
      id: 'in_3',
      customer: 'cus_A',
      currency: 'usd',
      amount: -1_200,
      tax: 0,
      period: '2026-11',
      date: '2026-11-12',
      reference: 'INV-0003',
      status: 'paid',
    },
  ];
  const creditNotes: BillingDocument[] = [
    {
      kind: 'credit_note',
      id: 'cn_1',
      customer: 'cus_B',
      currency: 'usd',
      amount: 1_000,
      period: '2026-11',
      date: '2026-11-15',
      reference: 'CN-0001',
      status: 'issued',
      invoiceId: 'in_2',
    },
  ];
  const payments: BillingDocument[] = [
    {
      kind: 'payment',
      id: 'py_1',
      customer: 'cus_A',
      currency: 'usd',
      amount: 10_000,
      period: '2026-11',
      date: '2026-11-05',
      status: 'succeeded',
      invoiceId: 'in_1',
    },
  ];
  const refunds: BillingDocument[] = [
    {
      kind: 'refund',
      id: 're_1',
      customer: 'cus_A',
      currency: 'usd',
      amount: 500,
      period: '2026-11',
      date: '2026-11-20',
      status: 'succeeded',
      invoiceId: 'in_1',
    },
  ];
  const subscriptions: BillingSubscriptionState[] = [
    {
      id: 'sub_A',
      customer: 'cus_A',
      crmId: '001A',
      status: 'active',
      mrr: 10_000,
      currency: 'usd',
    },
    {
      id: 'sub_B',
      customer: 'cus_B',
      crmId: '001B',
      status: 'active',
      mrr: 5_000,
      currency: 'usd',
    },
  ];
  const erp = (doc: Omit<ErpDocument, 'subsidiary' | 'currency' | 'period'>): ErpDocument => ({
    subsidiary: 'SUB-1',
    currency: 'USD',
    period: '2026-11',
    ...doc,
  });
  const erpInvoices: ErpDocument[] = [
    erp({
      kind: 'invoice',
      id: '101',
      externalId: 'in_1',
      customer: 'cus_A',
      amount: 10_000,
      tax: 800,
      date: '2026-11-05',
      memo: 'INV-0001 (subscription_cycle)',
      status: 'paid',
    }),
    erp({
      kind: 'invoice',
      id: '102',
      externalId: 'in_2',
      customer: 'cus_B',
      amount: 5_000,
      tax: 0,
      date: '2026-11-10',
      memo: 'INV-0002 (subscription_cycle)',
      status: 'open',
    }),
  ];
  const erpCreditMemos: ErpDocument[] = [
    erp({
      kind: 'credit_memo',
      id: '201',
      externalId: 'in_3',
      customer: 'cus_A',
      amount: 1_200,
      tax: 0,
      date: '2026-11-12',
      memo: 'INV-0003 (subscription_update)',
      status: 'open',
    }),
    erp({
      kind: 'credit_memo',
      id: '202',
      externalId: 'cn_1',
      customer: 'cus_B',
      amount: 1_000,
      date: '2026-11-15',
      memo: 'CN-0001',
      status: 'open',
    }),
    erp({
      kind: 'credit_memo',
      id: '203',
      externalId: 're_1',
      customer: 'cus_A',
      amount: 500,
      date: '2026-11-20',
      memo: 'refund re_1 of INV-0001',
      status: 'open',
    }),
  ];
  const erpPayments: ErpDocument[] = [
    erp({
      kind: 'payment',
      id: '301',
      externalId: 'py_1',
      customer: 'cus_A',
      amount: 10_000,
      date: '2026-11-05',
      memo: 'payment of INV-0001',
      status: 'paid',
      applications: [{ invoiceExternalId: 'in_1', amount: 10_000 }],
    }),
  ];
  const crm: CrmAccountState[] = [
    {
      id: '001A',
      customer: 'cus_A',
      subscriptionId: 'sub_A',
      status: 'active',
      mrr: 10_000,
      currency: 'USD',
    },
    {
      id: '001B',
      customer: 'cus_B',
      subscriptionId: 'sub_B',
      status: 'active',
      mrr: 5_000,
      currency: 'USD',
    },
  ];
  return {
    invoices,
    creditNotes,
    payments,
    refunds,
    subscriptions,
    erpInvoices,
    erpCreditMemos,
    erpPayments,
    crm,
  };
}

type World = ReturnType<typeof world>;

function sources(w: World): ReconSources {
  return {
    billing: {
      invoices: pages(w.invoices),
      creditNotes: pages(w.creditNotes),
      payments: pages(w.payments),
      refunds: pages(w.refunds),
      subscriptions: pages(w.subscriptions),
    },
    erp: {
      invoices: pages(w.erpInvoices),
      creditMemos: pages(w.erpCreditMemos),
      payments: pages(w.erpPayments),
    },
    crm: { accounts: pages(w.crm) },
  };
}

async function run(change: (w: World) => void, options: Partial<ReconOptions> = {}) {
  const w = world();
  change(w);
  const report = await reconcile(sources(w), { period: '2026-11', ...options });
  const found = report.discrepancies.map((d) => [d.class, d.billingId, d.erpId]);
  return { report, found };
}

const find = <T extends { id: string }>(list: T[], id: string) => list.find((d) => d.id === id)!;
const drop = <T extends { id: string }>(list: T[], id: string) =>
  list.splice(
    list.findIndex((d) => d.id === id),
    1,
  );

describe('reconcile', () => {
  it('a balanced period has no discrepancies; every pair is matched by external id', async () => {
    const { report } = await run(() => {});
    expect(report.discrepancies).toEqual([]);
    expect(report.inFlight).toEqual([]);
    expect(report.matches).toEqual({ external_id: 6, cross_reference: 0, fallback: 0 });
    expect(Object.values(report.summary).every((n) => n === 0)).toBe(true);
    expect(report.period).toBe('2026-11');
  });

  it('missing_in_erp: an invoice that was never posted, with its lineage', async () => {
    const { report, found } = await run((w) => drop(w.erpInvoices, '101'), {
      lineage: (id) => (id === 'in_1' ? { correlationId: 'corr-1', runIds: ['run-1'] } : undefined),
    });
    expect(found).toEqual([['missing_in_erp', 'in_1', null]]);
    expect(report.discrepancies[0]).toMatchObject({
      crmId: null,
      currency: 'USD',
      billingAmount: 10_000,
      erpAmount: null,
      correlationId: 'corr-1',
      runIds: ['run-1'],
    });
    expect(report.summary.missing_in_erp).toBe(1);
  });

  it('missing_in_erp: a credit note without its credit memo', async () => {
    const { found } = await run((w) => drop(w.erpCreditMemos, '202'));
    expect(found).toEqual([['missing_in_erp', 'cn_1', null]]);
  });

  it('missing_in_billing: an ERP invoice no billing document explains', async () => {
    const { report, found } = await run((w) =>
      w.erpInvoices.push({
        kind: 'invoice',
        id: '109',
        externalId: 'legacy-9',
        customer: 'cus_C',
        subsidiary: 'SUB-2',
        currency: 'EUR',
        amount: 777,
        period: '2026-11',
        date: '2026-11-09',
        memo: 'manual entry',
        status: 'open',
      }),
    );
    expect(found).toEqual([['missing_in_billing', null, '109']]);
    expect(report.discrepancies[0]).toMatchObject({ subsidiary: 'SUB-2', erpAmount: 777 });
  });

  it('amount_mismatch: an invoice edited by hand in the ERP', async () => {
    const { report, found } = await run((w) => (find(w.erpInvoices, '102').amount = 5_100));
    expect(found).toEqual([['amount_mismatch', 'in_2', '102']]);
    expect(report.discrepancies[0]).toMatchObject({
      billingAmount: 5_000,
      erpAmount: 5_100,
      match: { rule: 'external_id', tolerance: 0 },
    });
  });

  it('tax_mismatch compares tax on its own', async () => {
    const { report, found } = await run((w) => (find(w.erpInvoices, '101').tax = 900));
    expect(found).toEqual([['tax_mismatch', 'in_1', '101']]);
    expect(report.discrepancies[0]).toMatchObject({ billingAmount: 800, erpAmount: 900 });
  });

  it('currency_mismatch is reported instead of comparing amounts across currencies', async () => {
    const { found } = await run((w) => {
      const doc = find(w.erpInvoices, '102');
      doc.currency = 'EUR';
      doc.amount = 4_600;
    });
    expect(found).toEqual([['currency_mismatch', 'in_2', '102']]);
  });

  it('duplicate_in_erp: a second ERP invoice with the same external id', async () => {
    const { found } = await run((w) =>
      w.erpInvoices.push({ ...find(w.erpInvoices, '102'), id: '105' }),
    );
    expect(found).toEqual([['duplicate_in_erp', 'in_2', '105']]);
  });

  it('duplicate_in_erp via fallback: another external id, same customer, amount, date window and memo reference', async () => {
    const { found } = await run((w) =>
      w.erpInvoices.push({
        ...find(w.erpInvoices, '102'),
        id: '106',
        externalId: 'script-2',
        date: '2026-11-11',
        memo: 'Invoice INV-0002 posted by the old script',
      }),
    );
    expect(found).toEqual([['duplicate_in_erp', 'in_2', '106']]);
  });

  it('duplicate_in_erp via fallback also when the first posting was edited by hand', async () => {
    const { found } = await run((w) => {
      const first = find(w.erpInvoices, '102');
      w.erpInvoices.push({ ...first, id: '106', externalId: 'script-2', memo: 'INV-0002' });
      first.amount = 4_000;
    });
    expect(found).toEqual([
      ['amount_mismatch', 'in_2', '102'],
      ['duplicate_in_erp', 'in_2', '106'],
    ]);
  });

  it('a lookalike outside the date window or without the reference is not a duplicate', async () => {
    const { found } = await run((w) =>
      w.erpInvoices.push(
        { ...find(w.erpInvoices, '102'), id: '107', externalId: 'x-7', date: '2026-11-20' },
        { ...find(w.erpInvoices, '102'), id: '108', externalId: 'x-8', memo: 'INV-00021' },
      ),
    );
    expect(found).toEqual([
      ['missing_in_billing', null, '107'],
      ['missing_in_billing', null, '108'],
    ]);
  });

  it('fallback matches a posting that lost its external id, and records the rule', async () => {
    const matched: MatchRecord[] = [];
    const { report } = await run((w) => delete find(w.erpInvoices, '102').externalId, {
      onMatch: (m) => matched.push(m),
    });
    expect(report.discrepancies).toEqual([]);
    expect(report.matches).toEqual({ external_id: 5, cross_reference: 0, fallback: 1 });
    expect(matched.find((m) => m.billingId === 'in_2')).toEqual({
      billingId: 'in_2',
      erpId: '102',
      rule: 'fallback',
      tolerance: { amount: 0, tax: 0 },
    });
  });

  it('the memo reference is matched whole and regardless of case', async () => {
    const { report } = await run((w) => {
      const doc = find(w.erpInvoices, '102');
      delete doc.externalId;
      doc.memo = 'posted by hand: inv-0002';
    });
    expect(report.discrepancies).toEqual([]);
    expect(report.matches.fallback).toBe(1);
  });

  it("cross_reference matches through revsync's map before the fallback is tried", async () => {
    const { report } = await run((w) => {
      find(w.erpInvoices, '102').externalId = 'edited-by-hand';
      find(w.invoices, 'in_2').erpIds = ['102'];
    });
    expect(report.discrepancies).toEqual([]);
    expect(report.matches).toEqual({ external_id: 5, cross_reference: 1, fallback: 0 });
  });

  it('payment_missing_in_erp', async () => {
    const { found } = await run((w) => drop(w.erpPayments, '301'));
    expect(found).toEqual([['payment_missing_in_erp', 'py_1', null]]);
  });

  it('payment_unapplied: in the ERP but not applied to its invoice', async () => {
    const { found } = await run((w) => (find(w.erpPayments, '301').applications = []));
    expect(found).toEqual([['payment_unapplied', 'py_1', '301']]);
  });

  it('a payment applied by the ERP invoice internal id counts as applied', async () => {
    const { found } = await run(
      (w) => (find(w.erpPayments, '301').applications = [{ invoiceId: '101', amount: 10_000 }]),
    );
    expect(found).toEqual([]);
  });

  it('refund_missing_in_erp', async () => {
    const { found } = await run((w) => drop(w.erpCreditMemos, '203'));
    expect(found).toEqual([['refund_missing_in_erp', 're_1', null]]);
  });

  it('status_mismatch: paid in billing, open in the ERP', async () => {
    const { found } = await run((w) => (find(w.erpInvoices, '101').status = 'open'));
    expect(found).toEqual([['status_mismatch', 'in_1', '101']]);
  });

  it('a paid invoice whose ERP total was raised is one amount_mismatch, not also status_mismatch', async () => {
    const { found } = await run((w) => {
      const row = find(w.erpInvoices, '101');
      row.amount += 100;
      row.status = 'open';
    });
    expect(found).toEqual([['amount_mismatch', 'in_1', '101']]);
  });

  it('status_mismatch: open in billing, paid in the ERP', async () => {
    const { found } = await run((w) => (find(w.erpInvoices, '102').status = 'paid'));
    expect(found).toEqual([['status_mismatch', 'in_2', '102']]);
  });

  it('period_mismatch: posted in another accounting period', async () => {
    const { found } = await run((w) => (find(w.erpInvoices, '102').period = '2026-12'));
    expect(found).toEqual([['period_mismatch', 'in_2', '102']]);
  });

  it('crm_status_mismatch', async () => {
    const { report, found } = await run((w) => (find(w.crm, '001B').status = 'canceled'));
    expect(found).toEqual([['crm_status_mismatch', 'sub_B', null]]);
    expect(report.discrepancies[0]!.crmId).toBe('001B');
  });

  it('mrr_mismatch', async () => {
    const { report, found } = await run((w) => (find(w.crm, '001A').mrr = 9_000));
    expect(found).toEqual([['mrr_mismatch', 'sub_A', null]]);
    expect(report.discrepancies[0]).toMatchObject({
      crmId: '001A',
      billingAmount: 10_000,
      erpAmount: 9_000,
    });
  });

  it('tolerance: differences within the per-class tolerance are matches, beyond it discrepancies', async () => {
    const change = (w: World) => (find(w.erpInvoices, '102').amount = 5_002);
    const matched: MatchRecord[] = [];
    const within = await run(change, {
      tolerance: { amount_mismatch: 2 },
      onMatch: (m) => matched.push(m),
    });
    expect(within.found).toEqual([]);
    expect(matched.find((m) => m.billingId === 'in_2')!.tolerance).toEqual({ amount: 2, tax: 0 });
    const beyond = await run(change, { tolerance: { amount_mismatch: 1 } });
    expect(beyond.found).toEqual([['amount_mismatch', 'in_2', '102']]);
    expect(beyond.report.discrepancies[0]!.match).toEqual({ rule: 'external_id', tolerance: 1 });
    const exact = await run(change);
    expect(exact.found).toEqual([['amount_mismatch', 'in_2', '102']]);
  });

  it('before_sync_start: documents dated before the sync start are out of scope; the start day is in', async () => {
    const change = (w: World) => {
      drop(w.erpInvoices, '102'); // in_2 (2026-11-10) never posted
      w.erpInvoices.push({
        ...find(w.erpInvoices, '101'),
        id: '110',
        externalId: 'old-10',
        customer: 'cus_Z',
        memo: 'posted before revsync',
      });
    };
    const onTheDay = await run(change, { syncStart: '2026-11-10' });
    expect(onTheDay.found).toEqual([['missing_in_erp', 'in_2', null]]);
    expect(onTheDay.report.outOfScope.before_sync_start).toBe(3); // in_1, py_1, and ERP 110
    const after = await run(change, { syncStart: '2026-11-10T00:00:01Z' });
    expect(after.found).toEqual([]);
    expect(after.report.outOfScope.before_sync_start).toBe(4);
  });

  it('in_flight: a document whose run is still in flight is not a discrepancy', async () => {
    const { report } = await run((w) => drop(w.erpInvoices, '102'), {
      isInFlight: (id) => id === 'in_2',
    });
    expect(report.discrepancies).toEqual([]);
    expect(report.inFlight.map((d) => [d.class, d.billingId])).toEqual([
      ['missing_in_erp', 'in_2'],
    ]);
    expect(report.summary.missing_in_erp).toBe(0);
  });

  it('documents of another period are matched but not reported', async () => {
    const { found } = await run((w) => {
      find(w.invoices, 'in_2').period = '2026-10';
      find(w.erpInvoices, '102').period = '2026-10';
      drop(w.erpInvoices, '101');
      find(w.invoices, 'in_1').period = '2026-10';
    });
    expect(found).toEqual([]);
  });

  it('the subsidiary filter reports only that subsidiary', async () => {
    const change = (w: World) => {
      find(w.erpInvoices, '101').subsidiary = 'SUB-2';
      find(w.erpInvoices, '101').amount = 1;
      find(w.erpInvoices, '102').amount = 2;
    };
    expect((await run(change, { subsidiary: 'SUB-2' })).found).toEqual([
      ['amount_mismatch', 'in_1', '101'],
    ]);
    expect((await run(change, { subsidiary: 'SUB-1' })).found).toEqual([
      ['amount_mismatch', 'in_2', '102'],
    ]);
  });

  it('several injected differences at once: exactly those, no others', async () => {
    const { report } = await run((w) => {
      drop(w.erpInvoices, '101');
      find(w.erpInvoices, '102').tax = 50;
      find(w.erpPayments, '301').applications = [];
      find(w.crm, '001A').mrr = 1;
    });
    expect(report.summary).toMatchObject({
      missing_in_erp: 1,
      tax_mismatch: 1,
      payment_unapplied: 1,
      mrr_mismatch: 1,
    });
    expect(report.discrepancies).toHaveLength(4);
  });

  it('streams many pages: page boundaries change nothing, and exactly the injected differences are found', async () => {
    const n = 3_000;
    const billing = (i: number): BillingDocument => ({
      kind: 'invoice',
      id: `in_${i}`,
      customer: `cus_${i % 97}`,
      currency: 'eur',
      amount: 100 + (i % 500),
      tax: 19,
      period: '2026-11',
      date: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}`,
      reference: `R-${i}`,
      status: 'open',
    });
    const erp = (i: number): ErpDocument => ({
      kind: 'invoice',
      id: `e${i}`,
      externalId: `in_${i}`,
      customer: `cus_${i % 97}`,
      subsidiary: 'SUB-1',
      currency: 'EUR',
      amount: 100 + (i % 500),
      tax: 19,
      period: '2026-11',
      date: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}`,
      memo: `R-${i}`,
      status: 'open',
    });
    const erpDocs: ErpDocument[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 301 === 5) continue; // missing_in_erp
      const doc = erp(i);
      if (i % 401 === 7) doc.amount += 1; // amount_mismatch
      if (i % 503 === 9) delete doc.externalId; // found by the fallback rule
      erpDocs.push(doc);
      if (i % 601 === 11) erpDocs.push({ ...doc, id: `copy${i}`, externalId: `copy-${i}` });
    }
    const billingDocs = Array.from({ length: n }, (_, i) => billing(i));
    const posted = (i: number) => i % 301 !== 5;
    const expected = [
      ...billingDocs.filter((_, i) => !posted(i)).map((d) => `missing_in_erp ${d.id}`),
      ...billingDocs
        .filter((_, i) => posted(i) && i % 401 === 7)
        .map((d) => `amount_mismatch ${d.id}`),
      ...billingDocs
        .filter((_, i) => posted(i) && i % 601 === 11)
        .map((d) => `duplicate_in_erp ${d.id}`),
    ].sort();
    expect(expected.length).toBeGreaterThan(20);
    for (const [billingPage, erpPage] of [
      [1, 7],
      [250, 1],
      [1_000, 3_000],
    ] as const) {
      const report = await reconcile(
        {
          billing: { invoices: pages(billingDocs, billingPage) },
          erp: { invoices: pages(erpDocs, erpPage) },
        },
        { period: '2026-11' },
      );
      expect(report.discrepancies.map((d) => `${d.class} ${d.billingId}`).sort()).toEqual(expected);
      expect(report.matches.fallback).toBe(
        billingDocs.filter((_, i) => posted(i) && i % 503 === 9).length,
      );
    }
  });
});
