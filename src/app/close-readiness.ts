/**
 * Month-end close readiness: for one accounting period and each subsidiary, READY or BLOCKED
 * with what blocks the close — billing documents not yet posted to the ERP, payments not
 * applied, open exceptions and sync conflicts touching the period, usage periods their
 * completeness checks have not closed, revenue schedules that do not sum to what was invoiced,
 * and the reconciliation's open discrepancies. Each blocker names the record a person opens to
 * clear it (an exception, a run, a customer) and its lineage where revsync knows it.
 *
 * It reads the systems through the same reconciliation (`runReconciliation`, one period with its
 * neighbours) and revsync's store; it writes nothing. A period the ERP reports closed is told as
 * information, not as a blocker: the controller closed it, and postings dated in it park (see
 * `src/flows/erp-period.ts`).
 */
import type { BillingInvoice, BillingSystem, ErpSystem, ReadOptions } from '../connectors/ports.ts';
import type { UsageCompleteness } from '../flows/deps.ts';
import type { RevenueScheduleV1 } from '../model/entities/revenue-schedule.ts';
import { stableId } from '../model/ids.ts';
import { ValidationError } from '../model/revsync-error.ts';
import type {
  BillingDocument,
  Discrepancy,
  DiscrepancyClass,
  ErpDocument,
} from '../recon/index.ts';
import { isPeriod } from '../recon/index.ts';
import type { Store } from '../store/store.ts';
import { usagePeriodsStartingBetween } from '../store/usage-repository.ts';
import { runReconciliation, type ReconciliationOptions } from './reconciliation.ts';

/** What can block a close, in the order a subsidiary's blockers are listed. */
export const BLOCKER_KINDS = [
  'unposted_document',
  'unapplied_payment',
  'open_exception',
  'sync_conflict',
  'usage_period_open',
  'revenue_schedule_mismatch',
  'discrepancy',
] as const;

export type BlockerKind = (typeof BLOCKER_KINDS)[number];

/** The dashboard page a blocker links to. */
export interface BlockerRecord {
  type: 'exception' | 'run' | 'entity';
  id: string;
}

/** One thing that blocks a subsidiary's close. */
export interface CloseBlocker {
  kind: BlockerKind;
  /** The blocking item: a billing or ERP document id, an exception, conflict or usage period id. */
  id: string;
  /** One line for a person: what it is and why it blocks. */
  message: string;
  /** Where to clear it. */
  record?: BlockerRecord;
  /** Lineage: the correlation id and runs that touched it, where known. */
  correlationId?: string;
  runIds?: string[];
  /** The discrepancy class behind `unposted_document`, `unapplied_payment` and `discrepancy`. */
  class?: DiscrepancyClass;
  /** Still being worked on by revsync (a run queued, running or waiting on a retry). */
  inFlight?: boolean;
}

/** One subsidiary's answer. */
export interface SubsidiaryClose {
  subsidiary: string;
  ready: boolean;
  blockers: CloseBlocker[];
}

/** The close status of a period. */
export interface CloseStatus {
  period: string;
  subsidiaries: SubsidiaryClose[];
  /**
   * The ERP reports the period closed (locked for receivables): information, not a blocker;
   * `null` when the ERP cannot say.
   */
  erpPeriodClosed: boolean | null;
  /** Notes for a person (the closed period, what could not be checked). */
  notes: string[];
}

export interface CloseReadinessDeps {
  billing: BillingSystem;
  erp: ErpSystem;
  store: Store;
  /** The usage ledger's completeness check (absent: usage periods are not checked). */
  usage?: { completeness(period: UsagePeriodRef): Promise<UsageCompleteness> };
  /** The subsidiaries the configuration books into (its regions), so a quiet one is listed too. */
  subsidiaries?: readonly string[];
}

interface UsagePeriodRef {
  subscriptionItemId: string;
  periodStart: string;
  periodEnd: string;
}

export interface CloseReadinessOptions {
  /** `YYYY-MM`. */
  period: string;
  /** Only this subsidiary. */
  subsidiary?: string;
  syncStart?: string;
  tolerance?: ReconciliationOptions['tolerance'];
  onProgress?: ReconciliationOptions['onProgress'];
  read?: ReadOptions;
}

/** Classes that mean the billing document is not (yet) in the ERP. */
const UNPOSTED: readonly DiscrepancyClass[] = [
  'missing_in_erp',
  'payment_missing_in_erp',
  'refund_missing_in_erp',
];
const ACTIVE_RUNS = ['queued', 'running', 'waiting'] as const;
const ID_LIKE = /^[A-Za-z0-9_-]{6,}$/;
const LIMIT = 100_000;

/** `[first instant of the month, first instant of the next)` in epoch ms. */
export function monthBounds(period: string): { from: number; to: number } {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { from: Date.UTC(y, m - 1, 1), to: Date.UTC(y, m, 1) };
}

/** Every id-like string in a value (a few levels deep). */
function idsIn(value: unknown, out: Set<string>, depth = 0): Set<string> {
  if (typeof value === 'string') {
    if (ID_LIKE.test(value)) out.add(value);
  } else if (depth < 4 && value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) idsIn(v, out, depth + 1);
  }
  return out;
}

const ALL = Symbol('every subsidiary');
type Scope = string | typeof ALL;

/** Is the period ready to close, per subsidiary, and what blocks it. */
export async function closeReadiness(
  deps: CloseReadinessDeps,
  options: CloseReadinessOptions,
): Promise<CloseStatus> {
  const { period } = options;
  if (!isPeriod(period)) throw new ValidationError(`period must be YYYY-MM, got ${period}`);
  const { store } = deps;
  const { from, to } = monthBounds(period);
  const inPeriod = (ms: number) => ms >= from && ms < to;

  let read: {
    invoices: readonly BillingInvoice[];
    billing: readonly BillingDocument[];
    erp: readonly ErpDocument[];
  } = {
    invoices: [],
    billing: [],
    erp: [],
  };
  const [report] = await runReconciliation(
    { billing: deps.billing, erp: deps.erp, store },
    {
      period,
      ...(options.syncStart !== undefined && { syncStart: options.syncStart }),
      ...(options.tolerance !== undefined && { tolerance: options.tolerance }),
      ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
      ...(options.read !== undefined && { read: options.read }),
      onRead: (r) => (read = r),
    },
  );

  // Where things belong: documents and customers to subsidiaries, from the ERP's books.
  const customerSubsidiary = new Map<string, string>();
  const documentSubsidiary = new Map<string, string>();
  for (const d of read.erp) {
    if (d.customer) customerSubsidiary.set(d.customer, d.subsidiary);
    if (d.externalId) documentSubsidiary.set(d.externalId, d.subsidiary);
    documentSubsidiary.set(d.id, d.subsidiary);
  }
  const subsidiaryOfCustomer = async (customer: string | null | undefined): Promise<Scope> => {
    if (!customer) return ALL;
    const known = customerSubsidiary.get(customer);
    if (known !== undefined) return known;
    const entity = await store.entities.get<{ subsidiary?: string }>(store.db, customer);
    const subsidiary = entity?.data.subsidiary;
    if (subsidiary) customerSubsidiary.set(customer, subsidiary);
    return subsidiary ?? ALL;
  };
  const billingById = new Map(read.billing.map((d) => [d.id, d]));
  const periodDocuments = new Set<string>();
  const periodCustomers = new Set<string>();
  const knownDocuments = new Set<string>();
  for (const d of read.billing) {
    knownDocuments.add(d.id);
    if (d.period === period) {
      periodDocuments.add(d.id);
      if (d.customer) periodCustomers.add(d.customer);
    }
  }
  for (const d of read.erp) {
    knownDocuments.add(d.id);
    if (d.externalId) knownDocuments.add(d.externalId);
    if (d.period === period) {
      periodDocuments.add(d.id);
      if (d.externalId) periodDocuments.add(d.externalId);
      if (d.customer) periodCustomers.add(d.customer);
    }
  }
  const subsidiaryOfDocument = async (id: string): Promise<Scope> =>
    documentSubsidiary.get(id) ?? (await subsidiaryOfCustomer(billingById.get(id)?.customer));

  const found: { scope: Scope; blocker: CloseBlocker }[] = [];
  const add = (scope: Scope, blocker: CloseBlocker) => found.push({ scope, blocker });

  // Open exceptions touching the period: their run names a document of the period, or their
  // message names the period, or — naming no document revsync can place — they opened in it.
  const exceptionOfDocument = new Map<string, string>();
  for (const e of await store.exceptions.list(store.db, { status: 'open', limit: LIMIT })) {
    const run = e.runId ? await store.runs.getById(store.db, e.runId) : undefined;
    const ids = idsIn(e.lastInput, new Set());
    idsIn(run?.input, ids);
    const documents = [...ids].filter((id) => knownDocuments.has(id));
    const ofPeriod = documents.filter((id) => periodDocuments.has(id));
    const touches =
      ofPeriod.length > 0 ||
      e.message.includes(period) ||
      (documents.length === 0 && inPeriod(e.createdAt));
    if (!touches) continue;
    for (const id of ofPeriod) exceptionOfDocument.set(id, e.id);
    const scope =
      ofPeriod.length > 0
        ? await subsidiaryOfDocument(ofPeriod[0]!)
        : await subsidiaryOfCustomer(run?.entityKey ?? e.entityKey);
    add(scope, {
      kind: 'open_exception',
      id: e.id,
      message: `${e.flow ?? e.kind} ${ofPeriod.length > 0 ? `on ${ofPeriod.join(', ')} ` : ''}waits for a person: ${e.message}`,
      record: { type: 'exception', id: e.id },
      ...(e.correlationId !== null && { correlationId: e.correlationId }),
      ...(e.runId !== null && { runIds: [e.runId] }),
    });
  }

  // The reconciliation's findings: unposted and unapplied documents, the other discrepancies.
  const fromDiscrepancy = async (d: Discrepancy, inFlight: boolean) => {
    const id = d.billingId ?? d.erpId ?? '';
    // A document an open exception names leads to that exception: a person clears it there.
    const exceptionId = d.billingId ? exceptionOfDocument.get(d.billingId) : undefined;
    const kind: BlockerKind = UNPOSTED.includes(d.class)
      ? 'unposted_document'
      : d.class === 'payment_unapplied'
        ? 'unapplied_payment'
        : 'discrepancy';
    const runId = d.runIds?.at(-1);
    const customer = d.billingId ? billingById.get(d.billingId)?.customer : undefined;
    const scope: Scope =
      d.subsidiary ?? (d.billingId ? await subsidiaryOfDocument(d.billingId) : ALL);
    add(scope, {
      kind,
      id,
      message: exceptionId
        ? `${d.message} (its run waits in the exception queue: ${exceptionId})`
        : inFlight
          ? `${d.message} (revsync is still working on it: run ${runId ?? 'not started'})`
          : d.message,
      ...(exceptionId !== undefined
        ? { record: { type: 'exception', id: exceptionId } }
        : runId !== undefined
          ? { record: { type: 'run', id: runId } }
          : customer
            ? { record: { type: 'entity', id: customer } }
            : {}),
      ...(d.correlationId !== undefined && { correlationId: d.correlationId }),
      ...(d.runIds !== undefined && { runIds: d.runIds }),
      class: d.class,
      ...(inFlight && { inFlight: true }),
    });
  };
  for (const d of report?.discrepancies ?? []) await fromDiscrepancy(d, false);
  for (const d of report?.inFlight ?? []) await fromDiscrepancy(d, true);

  // Sync conflicts on a customer with documents in the period, or opened in it.
  for (const c of await store.conflicts.list(store.db, { status: 'open', limit: LIMIT })) {
    if (!periodCustomers.has(c.entityId) && !inPeriod(c.createdAt)) continue;
    add(await subsidiaryOfCustomer(c.entityId), {
      kind: 'sync_conflict',
      id: c.id,
      message: `${c.kind === 'duplicate' ? 'possible duplicate' : `conflict on ${c.field}`} of ${c.entityType} ${c.entityId}: ${c.message}`,
      record: { type: 'entity', id: c.entityId },
      ...(c.correlationId !== null && { correlationId: c.correlationId }),
    });
  }

  // Usage periods starting in the period: complete by their checks and billed.
  const itemCustomer = new Map<string, string>();
  for (const i of read.invoices)
    for (const l of i.lines)
      if (l.subscriptionItemId) itemCustomer.set(l.subscriptionItemId, i.revsyncId ?? i.customerId);
  if (deps.usage) {
    for (const p of await usagePeriodsStartingBetween(store.db, from, to)) {
      const ref = {
        subscriptionItemId: p.subscriptionItemId,
        periodStart: new Date(p.periodStart).toISOString(),
        periodEnd: new Date(p.periodEnd).toISOString(),
      };
      const id = `${ref.subscriptionItemId}:${ref.periodStart}`;
      const [run] = await store.runs.list(store.db, { entityKey: `usage:${id}`, limit: 1 });
      const check = await deps.usage.completeness(ref);
      const billed = run?.status === 'completed';
      if (check.complete && (billed || !run)) continue;
      // A parked run is already listed as its exception.
      if (run?.status === 'parked') continue;
      add(await subsidiaryOfCustomer(itemCustomer.get(ref.subscriptionItemId)), {
        kind: 'usage_period_open',
        id,
        message: check.complete
          ? `usage of ${ref.subscriptionItemId} for ${ref.periodStart} – ${ref.periodEnd} is complete but not billed yet (run ${run?.status ?? 'not started'})`
          : `usage of ${ref.subscriptionItemId} for ${ref.periodStart} – ${ref.periodEnd} is held back: ${check.problems.join('; ')}`,
        ...(run && {
          record: { type: 'run', id: run.id },
          correlationId: run.correlationId,
          runIds: [run.id],
        }),
        ...(run && (ACTIVE_RUNS as readonly string[]).includes(run.status) && { inFlight: true }),
      });
    }
  }

  // Revenue schedules of the period's invoices: each sums to its total, and together to the
  // invoice lines they schedule.
  const schedulesByInvoice = new Map<string, RevenueScheduleV1[]>();
  for (let after: string | undefined; ;) {
    const page = await store.entities.list<RevenueScheduleV1>(
      store.db,
      'revenue_schedule',
      1000,
      after,
    );
    for (const s of page) {
      const list = schedulesByInvoice.get(s.data.sourceInvoiceId) ?? [];
      list.push(s.data);
      schedulesByInvoice.set(s.data.sourceInvoiceId, list);
    }
    if (page.length < 1000) break;
    after = page.at(-1)!.id;
  }
  for (const invoice of read.invoices) {
    const doc = billingById.get(invoice.id);
    if (doc?.period !== period) continue;
    const schedules = schedulesByInvoice.get(
      stableId('inv', `${deps.billing.system}:invoice:${invoice.id}`),
    );
    if (!schedules) continue;
    const scheduled = new Set(
      schedules
        .flatMap((s) => s.externalRefs.filter((r) => r.objectType === 'invoice_line'))
        .map((r) => r.id),
    );
    const invoiced = invoice.lines
      .filter((l) => scheduled.has(l.id))
      .reduce((n, l) => n + l.amount.amount, 0);
    const total = schedules.reduce((n, s) => n + s.total.amount, 0);
    const broken = schedules.filter(
      (s) => s.lines.reduce((n, l) => n + l.amount.amount, 0) !== s.total.amount,
    );
    const missingLines = [...scheduled].filter((id) => !invoice.lines.some((l) => l.id === id));
    if (total === invoiced && broken.length === 0 && missingLines.length === 0) continue;
    add(await subsidiaryOfDocument(invoice.id), {
      kind: 'revenue_schedule_mismatch',
      id: invoice.id,
      message:
        broken.length > 0
          ? `revenue schedule ${broken.map((s) => s.id).join(', ')} of invoice ${invoice.id}: its lines do not sum to its total`
          : `revenue schedules of invoice ${invoice.id} total ${total} ${invoice.currency}, the lines they schedule ${invoiced}${missingLines.length > 0 ? ` (lines ${missingLines.join(', ')} are no longer on the invoice)` : ''}`,
      record: { type: 'entity', id: (broken[0] ?? schedules[0]!).id },
    });
  }

  // The ERP's own view of the period: closed is information.
  const notes: string[] = [];
  let erpPeriodClosed: boolean | null = null;
  if (deps.erp.lockedPeriods) {
    const locked = await deps.erp.lockedPeriods({ ...options.read, fresh: true });
    erpPeriodClosed = locked.includes(period);
    if (erpPeriodClosed)
      notes.push(
        `${deps.erp.system} reports ${period} closed: postings dated in it park with a proposed fix instead of being back-dated`,
      );
  } else {
    notes.push(`${deps.erp.system} cannot say whether ${period} is closed`);
  }
  if (!deps.usage) notes.push('usage periods were not checked (no usage ledger)');

  // Subsidiaries: the configured ones, and every one a document or blocker names.
  const names = new Set<string>(deps.subsidiaries ?? []);
  for (const d of read.erp) if (d.period === period) names.add(d.subsidiary);
  for (const f of found) if (f.scope !== ALL) names.add(f.scope);
  const chosen =
    options.subsidiary !== undefined
      ? [options.subsidiary]
      : [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const order = (b: CloseBlocker) => BLOCKER_KINDS.indexOf(b.kind);
  const subsidiaries = chosen.map((subsidiary) => {
    // A blocker whose subsidiary revsync cannot place is listed in every subsidiary, not in none.
    const blockers = found
      .filter((f) => f.scope === ALL || f.scope === subsidiary)
      .map((f) => f.blocker)
      .sort((a, b) => order(a) - order(b) || a.id.localeCompare(b.id));
    return { subsidiary, ready: blockers.length === 0, blockers };
  });
  return { period, subsidiaries, erpPeriodClosed, notes };
}

/** The JSON of issue 10 §8 (`revsync close status --json`, `GET /v1/close`). */
export function closeJson(status: CloseStatus) {
  return {
    period: status.period,
    subsidiaries: status.subsidiaries,
    erpPeriodClosed: status.erpPeriodClosed,
    notes: status.notes,
  };
}
