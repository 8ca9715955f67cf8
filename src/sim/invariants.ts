import type { Store } from '../store/store.ts';
import { toCurrencyCode } from '../model/currency.ts';
import { fromDecimalString, toDecimalString } from '../model/money.ts';
import type { BillingActor, CrmActor, ErpActor, ErpDocumentFacts } from './drivers/driver.ts';

/** One broken promise, with what it is about. */
export interface Violation {
  invariant: string;
  subject: string;
  message: string;
}

/** What was checked and what failed. */
export interface InvariantReport {
  checked: Record<string, number>;
  violations: Violation[];
}

/**
 * Checks the books by reading every system through its own API (not revsync's tables), except
 * the last check, which is about revsync's own runs:
 * 1. every finalized billing invoice has exactly one ERP invoice (a credit memo for a negative
 *    proration) with equal total, tax and currency;
 * 2. every billing invoice payment has one ERP customer payment applied to that invoice;
 * 3. no system holds duplicate customers;
 * 4. the CRM shows each subscription's true status and MRR;
 * 5. every revsync run completed or waits in the exception queue with a reason.
 */
export async function checkInvariants(systems: {
  crm: CrmActor;
  billing: BillingActor;
  erp: ErpActor;
  store: Store;
}): Promise<InvariantReport> {
  const { crm, billing, erp, store } = systems;
  const violations: Violation[] = [];
  const checked: Record<string, number> = {};
  const fail = (invariant: string, subject: string, message: string) =>
    violations.push({ invariant, subject, message });

  const documents = await erp.documents();
  const byExternal = new Map<string, ErpDocumentFacts[]>();
  for (const d of documents) {
    if (!d.externalId) continue;
    const key = `${d.kind}:${d.externalId}`;
    byExternal.set(key, [...(byExternal.get(key) ?? []), d]);
  }
  const show = (amount: number, currency: string) =>
    toDecimalString({ amount, currency: toCurrencyCode(currency) });

  // 1. Invoices.
  const invoices = await billing.finalizedInvoices();
  checked.invoices = invoices.length;
  for (const invoice of invoices) {
    const kind = invoice.total < 0 ? 'credit_memo' : 'invoice';
    const matches = byExternal.get(`${kind}:${invoice.id}`) ?? [];
    if (matches.length !== 1) {
      fail(
        'invoice_posted_once',
        invoice.id,
        `${matches.length} ERP ${kind === 'invoice' ? 'invoices' : 'credit memos'} carry this external id (expected 1)`,
      );
      continue;
    }
    const posted = matches[0]!;
    if (posted.currency !== invoice.currency)
      fail(
        'invoice_amounts_equal',
        invoice.id,
        `currency ${posted.currency} in the ERP, ${invoice.currency} in billing`,
      );
    if (posted.total !== Math.abs(invoice.total))
      fail(
        'invoice_amounts_equal',
        invoice.id,
        `total ${show(posted.total, posted.currency)} in the ERP, ${show(invoice.total, invoice.currency)} in billing`,
      );
    if (posted.tax !== Math.abs(invoice.tax))
      fail(
        'invoice_amounts_equal',
        invoice.id,
        `tax ${show(posted.tax, posted.currency)} in the ERP, ${show(invoice.tax, invoice.currency)} in billing`,
      );
  }

  // 2. Payments.
  const payments = await billing.invoicePayments();
  checked.payments = payments.length;
  for (const payment of payments) {
    const matches = byExternal.get(`payment:${payment.paymentId}`) ?? [];
    if (matches.length !== 1) {
      fail(
        'payment_applied',
        payment.paymentId,
        `${matches.length} ERP customer payments carry this external id (expected 1) for invoice ${payment.invoiceId}`,
      );
      continue;
    }
    const erpInvoice = byExternal.get(`invoice:${payment.invoiceId}`)?.[0];
    if (!erpInvoice || !(matches[0]!.appliedTo ?? []).includes(erpInvoice.id))
      fail(
        'payment_applied',
        payment.paymentId,
        `the ERP payment is not applied to invoice ${payment.invoiceId}`,
      );
  }

  // 3. Duplicate customers.
  const billingByRevsync = new Map<string, number>();
  for (const c of await billing.customers()) {
    if (c.revsyncId)
      billingByRevsync.set(c.revsyncId, (billingByRevsync.get(c.revsyncId) ?? 0) + 1);
  }
  for (const [id, n] of billingByRevsync)
    if (n > 1)
      fail('no_duplicate_customers', id, `${n} billing customers for one canonical customer`);
  const erpCustomers = await erp.customers();
  const byName = new Map<string, number>();
  for (const c of erpCustomers) {
    const key = c.name.toLowerCase();
    byName.set(key, (byName.get(key) ?? 0) + 1);
  }
  for (const [name, n] of byName)
    if (n > 1) fail('no_duplicate_customers', name, `${n} ERP customers with this name`);
  checked.customers = billingByRevsync.size;
  if (erpCustomers.length !== billingByRevsync.size) {
    fail(
      'no_duplicate_customers',
      'count',
      `${erpCustomers.length} ERP customers but ${billingByRevsync.size} billing customers`,
    );
  }

  // 4. The CRM shows each subscription's true status and MRR.
  const deals = await crm.allDealBilling();
  let subscriptions = 0;
  for (const sub of await billing.subscriptions()) {
    if (!sub.crmDealId) continue;
    subscriptions += 1;
    const deal = deals.get(sub.crmDealId);
    if (!deal) {
      fail('crm_shows_subscription', sub.id, `deal ${sub.crmDealId} not found in the CRM`);
      continue;
    }
    if (deal.subscriptionStatus !== sub.status)
      fail(
        'crm_shows_subscription',
        sub.id,
        `status ${deal.subscriptionStatus ?? '(none)'} in the CRM, ${sub.status} in billing`,
      );
    const currency = toCurrencyCode(sub.currency);
    const expected = toDecimalString({ amount: sub.mrr, currency });
    const actual =
      deal.mrr === undefined ? '(none)' : toDecimalString(fromDecimalString(deal.mrr, currency));
    if (actual !== expected)
      fail('crm_shows_subscription', sub.id, `MRR ${actual} in the CRM, ${expected} in billing`);
  }
  checked.subscriptions = subscriptions;

  // 5. revsync's runs.
  const counts = await store.runs.countByStatus(store.db);
  checked.runs = Object.values(counts).reduce((a, b) => a + b, 0);
  const parkedKeys = new Set(
    (await store.runs.list(store.db, { status: 'parked', limit: 100_000 })).map((r) => r.entityKey),
  );
  for (const run of await store.runs.list(store.db, {
    status: ['queued', 'running', 'waiting'],
    limit: 100_000,
  })) {
    // A run queued behind a parked run of its customer waits on the exception queue: allowed.
    if (run.status !== 'running' && parkedKeys.has(run.entityKey)) continue;
    fail(
      'runs_settled',
      run.id,
      `${run.flow} is still ${run.status}${run.error ? ` (${run.error.message})` : ''}`,
    );
  }
  for (const run of await store.runs.list(store.db, { status: 'parked', limit: 1000 })) {
    const exception = await store.exceptions.openForRun(store.db, run.id);
    if (!exception?.message)
      fail('runs_settled', run.id, `${run.flow} is parked without an open exception and reason`);
  }
  return { checked, violations };
}
