import type { Connection } from 'jsforce';
import type Stripe from 'stripe';
import type { createNetsuiteTestClient } from '@revsync/emulators/netsuite';
import { toCurrencyCode } from '../model/currency.ts';
import { fromDecimalString, toDecimalString } from '../model/money.ts';
import type { Store } from '../store/store.ts';
import { everyPage, retry } from './actions.ts';

type NetsuiteClient = ReturnType<typeof createNetsuiteTestClient>;

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

const MONTHS_PER_YEAR = 12n;

/**
 * Checks the books by reading every system through its own API (not revsync's tables), except
 * the last check, which is about revsync's own runs:
 * 1. every finalized Stripe invoice has exactly one NetSuite invoice (a credit memo for a
 *    negative proration) with equal total, tax and currency;
 * 2. every Stripe invoice payment has one NetSuite customer payment applied to that invoice;
 * 3. no system holds duplicate customers;
 * 4. Salesforce shows each subscription's true status and MRR;
 * 5. every revsync run completed or waits in the exception queue with a reason.
 */
export async function checkInvariants(systems: {
  stripe: Stripe;
  netsuite: NetsuiteClient;
  salesforce: Connection;
  store: Store;
}): Promise<InvariantReport> {
  const { stripe, netsuite, salesforce, store } = systems;
  const violations: Violation[] = [];
  const checked: Record<string, number> = {};
  const fail = (invariant: string, subject: string, message: string) =>
    violations.push({ invariant, subject, message });

  // Read NetSuite once.
  const currencies = new Map(
    (
      await suiteql<{ id: string; symbol: string }>(netsuite, 'SELECT id, symbol FROM currency')
    ).map((c) => [c.id, c.symbol]),
  );
  const transactions = await suiteql<{
    id: string;
    externalid?: string;
    type: string;
    foreigntotal?: string;
    taxtotal?: string;
    currency: string;
    foreignamountremaining?: string;
  }>(
    netsuite,
    "SELECT id, externalid, type, foreigntotal, taxtotal, currency, foreignamountremaining FROM transaction WHERE type IN ('CustInvc', 'CustPymt', 'CustCred') ORDER BY id",
  );
  const byExternal = new Map<string, typeof transactions>();
  for (const t of transactions) {
    if (!t.externalid) continue;
    const key = `${t.type}:${t.externalid}`;
    byExternal.set(key, [...(byExternal.get(key) ?? []), t]);
  }

  // 1. Invoices.
  const invoices = await everyPage((after) =>
    stripe.invoices.list({ limit: 100, starting_after: after }),
  );
  const finalized = invoices.filter(
    (i) => i.status !== 'draft' && i.status_transitions?.finalized_at,
  );
  checked.invoices = finalized.length;
  for (const invoice of finalized) {
    const currency = toCurrencyCode(invoice.currency);
    const kind = invoice.total < 0 ? 'CustCred' : 'CustInvc';
    const matches = byExternal.get(`${kind}:${invoice.id}`) ?? [];
    if (matches.length !== 1) {
      fail(
        'invoice_posted_once',
        invoice.id!,
        `${matches.length} NetSuite ${kind === 'CustInvc' ? 'invoices' : 'credit memos'} carry this external id (expected 1)`,
      );
      continue;
    }
    const erp = matches[0]!;
    const erpCurrency = currencies.get(erp.currency);
    if (erpCurrency !== currency)
      fail(
        'invoice_amounts_equal',
        invoice.id!,
        `currency ${erpCurrency} in NetSuite, ${currency} in Stripe`,
      );
    const total = Math.abs(fromDecimalString(erp.foreigntotal ?? '0', currency).amount);
    if (total !== Math.abs(invoice.total)) {
      fail(
        'invoice_amounts_equal',
        invoice.id!,
        `total ${erp.foreigntotal} in NetSuite, ${toDecimalString({ amount: invoice.total, currency })} in Stripe`,
      );
    }
    const tax = (invoice.total_taxes ?? []).reduce((a, t) => a + t.amount, 0);
    const erpTax = Math.abs(fromDecimalString(erp.taxtotal ?? '0', currency).amount);
    if (erpTax !== Math.abs(tax))
      fail(
        'invoice_amounts_equal',
        invoice.id!,
        `tax ${erp.taxtotal ?? 0} in NetSuite, ${toDecimalString({ amount: tax, currency })} in Stripe`,
      );
  }

  // 2. Payments.
  let payments = 0;
  const invoicePayments = await everyPage((after) =>
    stripe.invoicePayments.list({ status: 'paid', limit: 100, starting_after: after }),
  );
  for (const payment of invoicePayments) {
    const pi =
      typeof payment.payment.payment_intent === 'string'
        ? payment.payment.payment_intent
        : payment.payment.payment_intent?.id;
    const invoiceId = typeof payment.invoice === 'string' ? payment.invoice : payment.invoice.id;
    if (!pi || payment.amount_paid === 0) continue;
    payments += 1;
    const matches = byExternal.get(`CustPymt:${pi}`) ?? [];
    if (matches.length !== 1) {
      fail(
        'payment_applied',
        pi,
        `${matches.length} NetSuite customer payments carry this external id (expected 1) for invoice ${invoiceId}`,
      );
      continue;
    }
    const record = await netsuite.get<{
      apply?: { items?: { doc?: { id?: string }; apply?: boolean; amount?: number }[] };
    }>(`/services/rest/record/v1/customerpayment/${matches[0]!.id}?expandSubResources=true`);
    const erpInvoice = byExternal.get(`CustInvc:${invoiceId}`)?.[0];
    const applied = record.body.apply?.items?.some(
      (line) => line.apply !== false && line.doc?.id === erpInvoice?.id,
    );
    if (!applied)
      fail('payment_applied', pi, `the NetSuite payment is not applied to invoice ${invoiceId}`);
  }
  checked.payments = payments;

  // 3. Duplicate customers.
  const stripeByRevsync = new Map<string, number>();
  const customers = await everyPage((after) =>
    stripe.customers.list({ limit: 100, starting_after: after }),
  );
  for (const c of customers) {
    const id = c.metadata?.revsync_customer_id;
    if (id) stripeByRevsync.set(id, (stripeByRevsync.get(id) ?? 0) + 1);
  }
  for (const [id, n] of stripeByRevsync)
    if (n > 1)
      fail('no_duplicate_customers', id, `${n} Stripe customers for one canonical customer`);
  const nsCustomers = await suiteql<{ id: string; externalid?: string; companyname?: string }>(
    netsuite,
    'SELECT id, externalid, companyname FROM customer',
  );
  const byName = new Map<string, number>();
  for (const c of nsCustomers) {
    const key = (c.companyname ?? '').toLowerCase();
    byName.set(key, (byName.get(key) ?? 0) + 1);
  }
  for (const [name, n] of byName)
    if (n > 1) fail('no_duplicate_customers', name, `${n} NetSuite customers with this name`);
  checked.customers = stripeByRevsync.size;
  if (nsCustomers.length !== stripeByRevsync.size) {
    fail(
      'no_duplicate_customers',
      'count',
      `${nsCustomers.length} NetSuite customers but ${stripeByRevsync.size} Stripe customers`,
    );
  }

  // 4. Salesforce shows each subscription's true status and MRR.
  const opportunities = new Map<string, Record<string, unknown>>();
  const soql = await retry(() =>
    salesforce
      .query<Record<string, unknown>>(
        'SELECT Id, Subscription_Id__c, Subscription_Status__c, MRR__c FROM Opportunity',
      )
      .run({ autoFetch: true, maxFetch: 1_000_000 }),
  );
  for (const r of soql.records) opportunities.set(r.Id as string, r);
  let subscriptions = 0;
  const stripeSubscriptions = await everyPage((after) =>
    stripe.subscriptions.list({
      status: 'all',
      limit: 100,
      starting_after: after,
      expand: ['data.items.data.price'],
    }),
  );
  for (const sub of stripeSubscriptions) {
    const oppId = sub.metadata?.salesforce_opportunity_id;
    if (!oppId) continue;
    subscriptions += 1;
    const opp = opportunities.get(oppId);
    if (!opp) {
      fail('crm_shows_subscription', sub.id, `opportunity ${oppId} not found`);
      continue;
    }
    if (opp.Subscription_Status__c !== sub.status)
      fail(
        'crm_shows_subscription',
        sub.id,
        `status ${String(opp.Subscription_Status__c)} in Salesforce, ${sub.status} in Stripe`,
      );
    const currency = toCurrencyCode(sub.currency);
    const expected = toDecimalString({ amount: mrrOf(sub), currency });
    const actual =
      opp.MRR__c === null || opp.MRR__c === undefined
        ? '(none)'
        : toDecimalString(fromDecimalString(String(opp.MRR__c), currency));
    if (actual !== expected)
      fail('crm_shows_subscription', sub.id, `MRR ${actual} in Salesforce, ${expected} in Stripe`);
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

/** MRR as Stripe's items imply it: monthly prices as they are, yearly ones / 12, half-even. */
function mrrOf(sub: Stripe.Subscription): number {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') return 0;
  let total = 0n;
  for (const item of sub.items.data) {
    const amount = BigInt(item.price.unit_amount ?? 0) * BigInt(item.quantity ?? 1);
    if (item.price.recurring?.interval === 'year') {
      const q = amount / MONTHS_PER_YEAR;
      const r = amount % MONTHS_PER_YEAR;
      total +=
        r * 2n > MONTHS_PER_YEAR || (r * 2n === MONTHS_PER_YEAR && q % 2n === 1n) ? q + 1n : q;
    } else {
      total += amount;
    }
  }
  return Number(total);
}

async function suiteql<T>(client: NetsuiteClient, q: string): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await retry(async () => {
      const answer = await client.suiteql<T>(q, { limit: 1000, offset });
      if (answer.status !== 200)
        throw Object.assign(
          new Error(`SuiteQL failed (${answer.status}): ${JSON.stringify(answer.body)}`),
          { status: answer.status },
        );
      return answer;
    });
    out.push(...page.body.items);
    if (!page.body.hasMore) return out;
  }
}
