/**
 * Reconciliation against the real systems: reads the billing and ERP documents of a window
 * through the role ports (`page*` methods), adds what only revsync knows (the canonical customer
 * of a billing customer, the runs that touched a document, what is still in flight), and hands
 * them to the vendor-free matcher in `src/recon/`, one report per accounting period.
 *
 * The documents of the window are held in memory (the matcher itself streams; see
 * docs/reconciliation.md for the bounds): a period is read with its neighbours, so a document
 * posted into the month before or after is found as `period_mismatch`, not as missing.
 */
import type {
  BillingInvoice,
  BillingSystem,
  CrmSystem,
  DocumentPages,
  DocumentWindow,
  ErpDocumentKind,
  ErpSystem,
  ReadOptions,
} from '../connectors/ports.ts';
import {
  fromBillingCreditNote,
  fromBillingInvoice,
  fromBillingPayment,
  fromBillingRefund,
  fromErpListed,
  isPeriod,
  reconcile,
  type BillingDocument,
  type BillingSubscriptionState,
  type CrmAccountState,
  type ErpDocument,
  type Lineage,
  type MatchRecord,
  type ReconReport,
  type Tolerances,
} from '../recon/index.ts';
import type { Store } from '../store/store.ts';
import { monthlyRecurringRevenue } from '../flows/mrr.ts';
import { addPayoutResults } from './payout-reconciliation.ts';

/** What to reconcile. */
export interface ReconciliationOptions {
  /** `YYYY-MM`; absent: every period that has documents. */
  period?: string;
  subsidiary?: string;
  /** Documents dated before it are out of scope (`before_sync_start`). */
  syncStart?: string;
  tolerance?: Tolerances;
  /** Called after each page read, for progress output. */
  onProgress?: (read: { role: 'billing' | 'erp' | 'crm'; kind: string; documents: number }) => void;
  read?: ReadOptions;
  /** Called for every match of a reported period, with the rule and tolerance that paired it. */
  onMatch?: (period: string, match: MatchRecord) => void;
  /** Called once with every document read (close readiness reuses the read). */
  onRead?: (read: {
    invoices: readonly BillingInvoice[];
    billing: readonly BillingDocument[];
    erp: readonly ErpDocument[];
  }) => void;
}

/** The systems and the store a reconciliation reads. */
export interface ReconciliationDeps {
  billing: BillingSystem;
  erp: ErpSystem;
  /**
   * The CRM, for `crm_status_mismatch` and `mrr_mismatch`: compared when it and the billing
   * system have the reads (`pageOpportunityBilling`, `pageSubscriptions`).
   */
  crm?: CrmSystem;
  /** revsync's store, for lineage and in-flight runs; absent, neither is reported. */
  store?: Store;
}

/** Raised when a connector lacks the reads reconciliation needs. */
export class ReconUnsupportedError extends Error {}

/** The widest window: every document a system holds (test clocks run years ahead). */
const ALL_TIME: DocumentWindow = { from: '1970-01-01T00:00:00Z', to: '2200-01-01T00:00:00Z' };

/** `[first day of the month before, first day of the month after next)`. */
export function windowAround(period: string): DocumentWindow {
  if (!isPeriod(period)) throw new RangeError(`period must be YYYY-MM, got ${period}`);
  const [y, m] = period.split('-').map(Number) as [number, number];
  const month = (offset: number) => new Date(Date.UTC(y, m - 1 + offset, 1)).toISOString();
  return { from: month(-1), to: month(2) };
}

async function collect<T, U>(
  pages: DocumentPages<T> | undefined,
  convert: (item: T) => U,
  progress: (n: number) => void,
): Promise<U[]> {
  const out: U[] = [];
  if (!pages) return out;
  for await (const page of pages) {
    for (const item of page) out.push(convert(item));
    progress(out.length);
  }
  return out;
}

/** Reconciles billing against the ERP: one report per period, oldest first. */
export async function runReconciliation(
  deps: ReconciliationDeps,
  options: ReconciliationOptions = {},
): Promise<ReconReport[]> {
  return (await reconcileSystems(deps, options)).reports;
}

/** The reports and the billing documents they were made from (by billing id), for repair. */
export interface ReconciliationResult {
  reports: ReconReport[];
  billingDocuments: ReadonlyMap<string, BillingDocument>;
}

/** {@link runReconciliation}, also answering the billing documents read (repair needs their kind). */
export async function reconcileSystems(
  deps: ReconciliationDeps,
  options: ReconciliationOptions = {},
): Promise<ReconciliationResult> {
  const { billing, erp } = deps;
  if (!billing.pageInvoices || !erp.pageDocuments) {
    throw new ReconUnsupportedError(
      `reconciliation needs document reads from both systems: ${
        billing.pageInvoices ? '' : `${billing.system} (billing) has no pageInvoices; `
      }${erp.pageDocuments ? '' : `${erp.system} (erp) has no pageDocuments`}`.trim(),
    );
  }
  const window = options.period !== undefined ? windowAround(options.period) : ALL_TIME;
  const read = options.read;
  const progress = (role: 'billing' | 'erp' | 'crm', kind: string) => (documents: number) =>
    options.onProgress?.({ role, kind, documents });

  const invoices = await collect(
    billing.pageInvoices(window, read),
    (i) => i,
    progress('billing', 'invoices'),
  );
  // The canonical customer of each billing customer, from the invoices that carry it.
  const canonical = new Map<string, string>();
  for (const i of invoices) if (i.revsyncId) canonical.set(i.customerId, i.revsyncId);
  const customerOf = (id: string | undefined) =>
    id === undefined ? undefined : (canonical.get(id) ?? id);
  const invoiceCustomer = new Map(invoices.map((i) => [i.id, customerOf(i.customerId)!]));

  const billingDocs: BillingDocument[] = invoices.map((i) => fromBillingInvoice(i));
  billingDocs.push(
    ...(await collect(
      billing.pagePayments?.(window, read),
      (p) => fromBillingPayment(p, { customer: customerOf(p.customerId)! }),
      progress('billing', 'payments'),
    )),
    ...(await collect(
      billing.pageRefunds?.(window, read),
      (r) =>
        fromBillingRefund(r, {
          customer:
            customerOf(r.customerId) ??
            (r.invoiceId !== undefined ? invoiceCustomer.get(r.invoiceId) : undefined) ??
            '',
        }),
      progress('billing', 'refunds'),
    )),
    ...(await collect(
      billing.pageCreditNotes?.(window, read),
      (n) => fromBillingCreditNote(n, { customer: customerOf(n.customerId)! }),
      progress('billing', 'credit notes'),
    )),
  );

  const erpDocs: ErpDocument[] = [];
  for (const kind of ['invoice', 'credit_memo', 'payment'] as ErpDocumentKind[]) {
    erpDocs.push(
      ...(await collect(
        erp.pageDocuments(kind, window, read),
        fromErpListed,
        progress('erp', kind),
      )),
    );
  }

  options.onRead?.({ invoices, billing: billingDocs, erp: erpDocs });
  const crmSide = await readCrmSide(deps, read, progress);

  const { lineage, inFlight } = deps.store
    ? await lineageOf(deps.store)
    : { lineage: new Map<string, Lineage>(), inFlight: new Set<string>() };

  const periods =
    options.period !== undefined
      ? [options.period]
      : [...new Set([...billingDocs, ...erpDocs].map((d) => d.period))].sort();
  const billingOf = (kind: BillingDocument['kind']) => billingDocs.filter((d) => d.kind === kind);
  const erpOf = (kind: ErpDocument['kind']) => erpDocs.filter((d) => d.kind === kind);
  const byKind = {
    invoices: billingOf('invoice'),
    payments: billingOf('payment'),
    refunds: billingOf('refund'),
    creditNotes: billingOf('credit_note'),
    erpInvoices: erpOf('invoice'),
    creditMemos: erpOf('credit_memo'),
    erpPayments: erpOf('payment'),
  };
  const reports: ReconReport[] = [];
  for (const period of periods) {
    // Subscriptions are compared with the CRM as they stand now: once, in the newest report.
    const crm = period === periods.at(-1) ? crmSide : undefined;
    reports.push(
      await reconcile(
        {
          billing: {
            invoices: pagesOf(byKind.invoices),
            payments: pagesOf(byKind.payments),
            refunds: pagesOf(byKind.refunds),
            creditNotes: pagesOf(byKind.creditNotes),
            ...(crm && { subscriptions: pagesOf(crm.subscriptions) }),
          },
          erp: {
            invoices: pagesOf(byKind.erpInvoices),
            creditMemos: pagesOf(byKind.creditMemos),
            payments: pagesOf(byKind.erpPayments),
          },
          ...(crm && { crm: { accounts: pagesOf(crm.accounts) } }),
        },
        {
          period,
          ...(options.subsidiary !== undefined && { subsidiary: options.subsidiary }),
          ...(options.syncStart !== undefined && { syncStart: options.syncStart }),
          ...(options.tolerance !== undefined && { tolerance: options.tolerance }),
          isInFlight: (id) => inFlight.has(id),
          lineage: (id) => lineage.get(id),
          ...(options.onMatch && { onMatch: (m: MatchRecord) => options.onMatch!(period, m) }),
        },
      ),
    );
  }
  // Payouts against bank deposits (payout_residual), in their own module.
  await addPayoutResults(reports, deps, window, {
    ...(options.subsidiary !== undefined && { subsidiary: options.subsidiary }),
    ...(options.period !== undefined && { onlyPeriods: [options.period] }),
    ...(read !== undefined && { read }),
    isInFlight: (id) => inFlight.has(id),
    lineage: (id) => lineage.get(id),
  });
  return { reports, billingDocuments: new Map(billingDocs.map((d) => [d.id, d])) };
}

/**
 * The subscriptions revsync linked to a CRM opportunity and what the CRM shows for each, or
 * `undefined` when either system lacks the read.
 */
async function readCrmSide(
  deps: ReconciliationDeps,
  read: ReadOptions | undefined,
  progress: (role: 'crm' | 'billing', kind: string) => (n: number) => void,
): Promise<{ subscriptions: BillingSubscriptionState[]; accounts: CrmAccountState[] } | undefined> {
  const { billing, crm } = deps;
  if (!crm?.pageOpportunityBilling || !billing.pageSubscriptions) return undefined;
  const subscriptions: BillingSubscriptionState[] = [];
  for (const sub of await collect(
    billing.pageSubscriptions(read),
    (x) => x,
    progress('billing', 'subscriptions'),
  )) {
    const crmId = sub.metadata[CRM_OPPORTUNITY_KEY];
    if (!crmId) continue;
    subscriptions.push({
      id: sub.id,
      customer: sub.customerId,
      crmId,
      status: sub.status,
      mrr: monthlyRecurringRevenue(sub).amount,
      currency: sub.currency.toUpperCase(),
    });
  }
  const accounts = await collect(
    crm.pageOpportunityBilling(read),
    (o): CrmAccountState => ({
      id: o.opportunityId,
      ...(o.subscriptionId !== undefined && { subscriptionId: o.subscriptionId }),
      ...(o.subscriptionStatus !== undefined && { status: o.subscriptionStatus }),
      ...(o.mrr !== undefined && { mrr: o.mrr.amount, currency: o.mrr.currency }),
    }),
    progress('crm', 'opportunities'),
  );
  return { subscriptions, accounts };
}

/** The subscription metadata key naming the CRM opportunity it came from (written by the flows). */
const CRM_OPPORTUNITY_KEY = 'revsync_crm_opportunity_id';

async function* pagesOf<T>(items: readonly T[]): AsyncGenerator<readonly T[]> {
  const size = 1000;
  for (let at = 0; at < items.length; at += size) yield items.slice(at, at + size);
}

const IN_FLIGHT_RUNS = ['queued', 'running', 'waiting'] as const;
const ID_LIKE = /^[A-Za-z0-9_-]{6,}$/;

/** Every id-like string in a run's input (a few levels deep). */
function idsIn(value: unknown, out: Set<string>, depth = 0): void {
  if (typeof value === 'string') {
    if (ID_LIKE.test(value)) out.add(value);
  } else if (depth < 4 && value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) idsIn(v, out, depth + 1);
  }
}

/**
 * revsync's side of each document: the correlation id and runs whose input names it, and which
 * documents are still in flight (a run queued, running or waiting on a retry, or a webhook not
 * yet routed).
 */
async function lineageOf(
  store: Store,
): Promise<{ lineage: Map<string, Lineage>; inFlight: Set<string> }> {
  const lineage = new Map<string, Lineage>();
  const inFlight = new Set<string>();
  for (let before: number | undefined; ;) {
    const runs = await store.runs.list(store.db, {
      limit: 1000,
      ...(before !== undefined && { beforeSeq: before }),
    });
    for (const run of runs) {
      const ids = new Set<string>();
      idsIn(run.input, ids);
      const active = (IN_FLIGHT_RUNS as readonly string[]).includes(run.status);
      for (const id of ids) {
        const entry = lineage.get(id) ?? { correlationId: run.correlationId, runIds: [] };
        entry.runIds!.push(run.id);
        lineage.set(id, entry);
        if (active) inFlight.add(id);
      }
    }
    if (runs.length < 1000) break;
    before = runs.at(-1)!.seq;
  }
  // Webhooks received but not routed yet (the oldest 10,000: a longer backlog is itself news).
  for (const event of await store.inbox.listUnrouted(store.db, 10_000)) {
    if (event.subject) inFlight.add(event.subject);
  }
  return { lineage, inFlight };
}
