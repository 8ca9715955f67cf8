/**
 * Three-way reconciliation of one accounting period: billing ↔ ERP documents, billing
 * subscriptions ↔ CRM. Pure: it reads the pages it is given and returns a report; it writes
 * nothing and knows no vendor.
 *
 * Memory stays bounded by the ERP side's compact index ({@link ErpIndex}) plus the billing
 * documents no ERP document explains: the ERP pages are indexed and dropped first, then billing
 * pages stream past and are compared one by one.
 */
import {
  expectedErpKind,
  type BillingDocument,
  type CrmAccountState,
  type ReconSources,
} from './documents.ts';
import { DUPLICATE, ErpIndex, MATCHED, UNMATCHED } from './erp-index.ts';
import {
  DISCREPANCY_CLASSES,
  type Discrepancy,
  type DiscrepancyClass,
  type Lineage,
  type MatchRecord,
  type MatchRule,
  type ReconReport,
  type Tolerances,
} from './report.ts';

/** How to reconcile. */
export interface ReconOptions {
  /** The accounting period, `YYYY-MM`. Documents of other periods are matched but not reported. */
  period: string;
  /** Only report this subsidiary (documents whose subsidiary is unknown are reported). */
  subsidiary?: string;
  /** Per-class tolerance in minor units; default 0, exact. */
  tolerance?: Tolerances;
  /** Documents dated before it are out of scope (`before_sync_start`). ISO date or date-time. */
  syncStart?: string;
  /** How far apart (days) two documents' dates may be for the fallback rule. Default 3. */
  dateWindowDays?: number;
  /** True when the billing document's run is still in flight (inbox, running, waiting on retry). */
  isInFlight?: (billingId: string) => boolean;
  /** revsync's lineage of a billing document (correlation id, runs). */
  lineage?: (billingId: string) => Lineage | undefined;
  /** Called for every match, so an auditor can see why two documents were paired. */
  onMatch?: (match: MatchRecord) => void;
}

const DAY_MS = 86_400_000;

/** Whether the billing document should have an ERP counterpart at all. */
function expectedInErp(doc: BillingDocument): boolean {
  switch (doc.kind) {
    case 'invoice':
      return doc.status !== 'draft' && doc.status !== 'void';
    case 'payment':
      return doc.status === 'succeeded' || doc.status.endsWith('refunded');
    case 'refund':
      return doc.status === 'succeeded';
    case 'credit_note':
      return doc.status !== 'void' && doc.status !== 'draft';
  }
}

const MISSING_CLASS: Record<BillingDocument['kind'], DiscrepancyClass> = {
  invoice: 'missing_in_erp',
  credit_note: 'missing_in_erp',
  payment: 'payment_missing_in_erp',
  refund: 'refund_missing_in_erp',
};

/** Memo contains the reference as a whole token (case-insensitive). */
function memoHasReference(memo: string | undefined, reference: string | undefined): boolean {
  if (!memo || !reference) return false;
  const m = memo.toLowerCase();
  const r = reference.toLowerCase();
  let at = m.indexOf(r);
  while (at >= 0) {
    const before = at === 0 ? '' : m[at - 1]!;
    const after = m[at + r.length] ?? '';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
    at = m.indexOf(r, at + 1);
  }
  return false;
}

/** Reconciles one period. See docs/reconciliation.md for the classes and rules. */
export async function reconcile(
  sources: ReconSources,
  options: ReconOptions,
): Promise<ReconReport> {
  const tolerance = {
    amount: options.tolerance?.amount_mismatch ?? 0,
    tax: options.tolerance?.tax_mismatch ?? 0,
    mrr: options.tolerance?.mrr_mismatch ?? 0,
  };
  const windowMs = (options.dateWindowDays ?? 3) * DAY_MS;
  const syncStartMs = options.syncStart ? Date.parse(options.syncStart) : Number.NEGATIVE_INFINITY;
  const discrepancies: Discrepancy[] = [];
  const inFlight: Discrepancy[] = [];
  const summary = Object.fromEntries(DISCREPANCY_CLASSES.map((c) => [c, 0])) as Record<
    DiscrepancyClass,
    number
  >;
  const matches: Record<MatchRule, number> = { external_id: 0, cross_reference: 0, fallback: 0 };
  let beforeSyncStart = 0;

  const subsidiaryOk = (subsidiary: string | null | undefined) =>
    options.subsidiary === undefined || subsidiary == null || subsidiary === options.subsidiary;

  // 1. The ERP side, indexed compactly.
  const erp = new ErpIndex();
  for (const source of [sources.erp.invoices, sources.erp.creditMemos, sources.erp.payments]) {
    if (!source) continue;
    for await (const page of source) for (const doc of page) erp.add(doc);
  }
  const periodId = erp.periods.find(options.period);
  /** The billing document each matched row belongs to, where it is not the row's external id. */
  const billingOf = new Map<number, string>();
  /** Where the matched billing document's reference sits in the row's memo (-1: none). */
  const refStart = new Int32Array(erp.size).fill(-1);
  const refLen = new Uint16Array(erp.size);
  const refElsewhere = new Map<number, string>();
  /** The billed amount of matched rows whose own amount differs (a posting edited by hand). */
  const billedAmount = new Map<number, number>();

  const erpSubsidiary = (row: number) => erp.subsidiaries.values[erp.subsidiary[row]!]!;
  const erpCurrency = (row: number) => erp.currencies.values[erp.currency[row]!]!;

  function emit(
    cls: DiscrepancyClass,
    doc: BillingDocument | undefined,
    row: number,
    fields: Partial<Discrepancy> & { message: string },
  ): void {
    const subsidiary = row >= 0 ? erpSubsidiary(row) : (doc?.subsidiary ?? null);
    const billingId = fields.billingId ?? doc?.id ?? null;
    if (!subsidiaryOk(subsidiary)) return;
    const lineage = billingId ? options.lineage?.(billingId) : undefined;
    const d: Discrepancy = {
      class: cls,
      billingId,
      erpId: row >= 0 ? erp.id[row]! : null,
      crmId: null,
      subsidiary,
      currency: doc?.currency.toUpperCase() ?? (row >= 0 ? erpCurrency(row) : null),
      billingAmount: doc?.amount ?? null,
      erpAmount: row >= 0 ? erp.amount[row]! : null,
      ...fields,
      ...(lineage?.correlationId !== undefined && { correlationId: lineage.correlationId }),
      ...(lineage?.runIds !== undefined && { runIds: lineage.runIds }),
    };
    if (billingId && options.isInFlight?.(billingId)) inFlight.push(d);
    else {
      discrepancies.push(d);
      summary[cls] += 1;
    }
  }

  /** Compares a matched pair and reports every difference. */
  function compare(doc: BillingDocument, row: number, rule: MatchRule, reported: boolean): void {
    erp.state[row] = MATCHED;
    if (rule !== 'external_id' || erp.externalId[row] !== doc.id) billingOf.set(row, doc.id);
    if (doc.reference) {
      // Keep where the reference sits in the memo rather than a second string per row.
      const memo = erp.memo[row];
      const ref = doc.reference;
      let at = memo ? memo.indexOf(ref) : -1;
      if (at < 0 && memo) {
        at = memo.toLowerCase().indexOf(ref.toLowerCase());
        if (at >= 0 && memo.slice(at, at + ref.length).toLowerCase() !== ref.toLowerCase()) at = -1;
      }
      if (at >= 0 && ref.length < 65_536) {
        refStart[row] = at;
        refLen[row] = ref.length;
      } else refElsewhere.set(row, ref);
    }
    if (!reported || !subsidiaryOk(erpSubsidiary(row))) return;
    matches[rule] += 1;
    options.onMatch?.({
      billingId: doc.id,
      erpId: erp.id[row]!,
      rule,
      tolerance: { amount: tolerance.amount, tax: tolerance.tax },
    });
    if (!expectedInErp(doc)) return;
    const match = (t: number) => ({ rule, tolerance: t });
    const currency = doc.currency.toUpperCase();
    // A paid invoice whose ERP total was raised is open in the ERP because of it: one difference,
    // reported once (amount_mismatch), not again as status_mismatch.
    let amountsDiffer = false;
    if (currency !== erpCurrency(row)) {
      amountsDiffer = true;
      emit('currency_mismatch', doc, row, {
        match: match(0),
        message: `currency ${erpCurrency(row)} in the ERP, ${currency} in billing`,
      });
    } else {
      // A negative invoice is booked as a positive credit memo.
      const sign = doc.kind === 'invoice' && doc.amount < 0 ? -1 : 1;
      const erpAmount = erp.amount[row]!;
      if (sign * doc.amount !== erpAmount) billedAmount.set(row, sign * doc.amount);
      if (Math.abs(sign * doc.amount - erpAmount) > tolerance.amount) {
        amountsDiffer = true;
        emit('amount_mismatch', doc, row, {
          match: match(tolerance.amount),
          message: `total ${erpAmount} in the ERP, ${doc.amount} in billing (minor units)`,
        });
      }
      const erpTax = erp.tax[row]!;
      if (doc.tax !== undefined && !Number.isNaN(erpTax)) {
        if (Math.abs(sign * doc.tax - erpTax) > tolerance.tax)
          emit('tax_mismatch', doc, row, {
            billingAmount: doc.tax,
            erpAmount: erpTax,
            match: match(tolerance.tax),
            message: `tax ${erpTax} in the ERP, ${doc.tax} in billing (minor units)`,
          });
      }
    }
    const erpPeriod = erp.periods.values[erp.period[row]!]!;
    if (erpPeriod !== doc.period)
      emit('period_mismatch', doc, row, {
        match: match(0),
        message: `posted in ${erpPeriod}, billed in ${doc.period}`,
      });
    // A negative invoice's credit memo has no paid state to compare.
    if (doc.kind === 'invoice' && erp.kindOf(row) === 'invoice') {
      const erpStatus = erp.statuses.values[erp.status[row]!]!;
      if (
        (doc.status === 'paid' && erpStatus === 'open' && !amountsDiffer) ||
        (doc.status === 'open' && erpStatus === 'paid')
      )
        emit('status_mismatch', doc, row, {
          match: match(0),
          message: `${erpStatus} in the ERP, ${doc.status} in billing`,
        });
    }
    if (doc.kind === 'payment' && doc.invoiceId !== undefined) {
      const invoiceRow = erp.findExternal('invoice', doc.invoiceId);
      const invoiceErpId = invoiceRow >= 0 ? erp.id[invoiceRow] : undefined;
      const applied = (erp.applications.get(row) ?? []).some(
        (a) =>
          a.amount !== 0 &&
          (a.invoiceExternalId === doc.invoiceId ||
            (invoiceErpId !== undefined && a.invoiceId === invoiceErpId)),
      );
      if (!applied)
        emit('payment_unapplied', doc, row, {
          match: match(0),
          message: `the ERP payment is not applied to invoice ${doc.invoiceId}`,
        });
    }
  }

  /** Whether a billing document's differences belong in this report. */
  function reportable(doc: BillingDocument, countOutOfScope: boolean): boolean {
    if (doc.period !== options.period || !subsidiaryOk(doc.subsidiary)) return false;
    if (Date.parse(doc.date) < syncStartMs) {
      if (countOutOfScope) beforeSyncStart += 1;
      return false;
    }
    return true;
  }

  // 2. The CRM side, indexed by what a subscription can be found by.
  const crmBy = new Map<string, CrmAccountState>();
  if (sources.crm?.accounts) {
    for await (const page of sources.crm.accounts)
      for (const account of page) {
        crmBy.set(`id:${account.id}`, account);
        if (account.subscriptionId) crmBy.set(`sub:${account.subscriptionId}`, account);
        if (account.customer && !crmBy.has(`cus:${account.customer}`))
          crmBy.set(`cus:${account.customer}`, account);
      }
  }

  // 3. Billing documents stream past: external id, then cross-reference; the rest wait for the
  //    fallback rule, which needs the whole ERP side to know what is left unexplained.
  const waiting: BillingDocument[] = [];
  const billingSources = [
    sources.billing.invoices,
    sources.billing.creditNotes,
    sources.billing.payments,
    sources.billing.refunds,
  ];
  for (const source of billingSources) {
    if (!source) continue;
    for await (const page of source) {
      for (const doc of page) {
        const kind = expectedErpKind(doc);
        const reported = reportable(doc, true);
        let row = erp.findExternal(kind, doc.id);
        let rule: MatchRule = 'external_id';
        if (row >= 0 && erp.state[row] !== UNMATCHED) row = -1;
        if (row < 0 && doc.erpIds) {
          rule = 'cross_reference';
          for (const id of doc.erpIds) {
            const r = erp.findId(kind, id);
            if (r >= 0 && erp.state[r] === UNMATCHED) {
              row = r;
              break;
            }
          }
        }
        if (row < 0) {
          waiting.push(doc);
          continue;
        }
        compare(doc, row, rule, reported);
        for (const extra of erp.sameExternal.get(row) ?? []) {
          if (erp.state[extra] !== UNMATCHED) continue;
          erp.state[extra] = DUPLICATE;
          if (reported)
            emit('duplicate_in_erp', doc, extra, {
              message: `a second ERP ${erp.kindOf(extra)} carries external id ${doc.id}`,
            });
        }
      }
    }
  }

  // 4. Fallback: customer + currency + amount, date within the window, reference in the memo.
  const unexplained = new Map<string, number[]>();
  for (let row = 0; row < erp.size; row++) {
    if (erp.state[row] !== UNMATCHED) continue;
    const key = erp.fallbackKey(row);
    const list = unexplained.get(key);
    if (list) list.push(row);
    else unexplained.set(key, [row]);
  }
  const kindCode = { invoice: 0, credit_memo: 1, payment: 2 } as const;
  for (const doc of waiting) {
    const reported = reportable(doc, false);
    const customer = erp.customers.find(doc.customer);
    const currency = erp.currencies.find(doc.currency.toUpperCase());
    const candidates =
      customer >= 0 && currency >= 0
        ? unexplained.get(
            `${kindCode[expectedErpKind(doc)]}|${customer}|${currency}|${Math.abs(doc.amount)}`,
          )
        : undefined;
    const date = Date.parse(doc.date);
    const row =
      candidates?.find(
        (r) =>
          erp.state[r] === UNMATCHED &&
          Math.abs(erp.date[r]! - date) <= windowMs &&
          memoHasReference(erp.memo[r], doc.reference),
      ) ?? -1;
    if (row >= 0) compare(doc, row, 'fallback', reported);
    else if (reported && expectedInErp(doc))
      emit(MISSING_CLASS[doc.kind], doc, -1, {
        message: `no ERP ${expectedErpKind(doc).replace('_', ' ')} for billing ${doc.kind.replace('_', ' ')} ${doc.id}`,
      });
  }

  // 5. What is still unexplained: a second posting of a matched document (same customer,
  //    amount, date window and memo reference), or a document billing knows nothing of.
  let left = 0;
  for (const list of unexplained.values())
    for (const r of list) if (erp.state[r] === UNMATCHED) left += 1;
  if (left > 0) {
    /** Marks and reports the candidates that are second postings of matched row `row`. */
    const duplicatesOf = (row: number, candidates: readonly number[]) => {
      const start = refStart[row]!;
      const reference =
        start >= 0 ? erp.memo[row]!.slice(start, start + refLen[row]!) : refElsewhere.get(row);
      if (!reference) return;
      const billingId = billingOf.get(row) ?? erp.externalId[row]!;
      for (const r of candidates) {
        if (erp.state[r] !== UNMATCHED) continue;
        if (Math.abs(erp.date[r]! - erp.date[row]!) > windowMs) continue;
        if (!memoHasReference(erp.memo[r], reference)) continue;
        erp.state[r] = DUPLICATE;
        if (erp.period[r] !== periodId || !subsidiaryOk(erpSubsidiary(r))) continue;
        if (erp.date[r]! < syncStartMs) {
          beforeSyncStart += 1;
          continue;
        }
        emit('duplicate_in_erp', undefined, r, {
          billingId,
          currency: erpCurrency(r),
          message: `same customer, amount, date and memo reference ${reference} as ERP ${erp.kindOf(row).replace('_', ' ')} ${erp.id[row]}`,
        });
      }
    };
    for (let row = 0; row < erp.size; row++) {
      if (erp.state[row] !== MATCHED) continue;
      const own = unexplained.get(erp.fallbackKey(row));
      if (own) duplicatesOf(row, own);
      // A second posting copies the billing document: look for the billed amount too.
      const billed = billedAmount.get(row);
      const copies =
        billed === undefined ? undefined : unexplained.get(erp.fallbackKey(row, billed));
      if (copies) duplicatesOf(row, copies);
    }
    for (const list of unexplained.values()) {
      for (const r of list) {
        if (erp.state[r] !== UNMATCHED) continue;
        if (erp.period[r] !== periodId || !subsidiaryOk(erpSubsidiary(r))) continue;
        if (erp.date[r]! < syncStartMs) {
          beforeSyncStart += 1;
          continue;
        }
        emit('missing_in_billing', undefined, r, {
          message: `ERP ${erp.kindOf(r).replace('_', ' ')} ${erp.id[r]}${erp.externalId[r] ? ` (external id ${erp.externalId[r]})` : ''} is explained by no billing document`,
        });
      }
    }
  }

  // 6. Subscriptions against what the CRM shows.
  let subscriptionsCompared: number | undefined;
  if (sources.billing.subscriptions) {
    subscriptionsCompared = 0;
    for await (const page of sources.billing.subscriptions) {
      for (const sub of page) {
        if (!subsidiaryOk(sub.subsidiary)) continue;
        subscriptionsCompared += 1;
        const crm =
          (sub.crmId !== undefined ? crmBy.get(`id:${sub.crmId}`) : undefined) ??
          crmBy.get(`sub:${sub.id}`) ??
          crmBy.get(`cus:${sub.customer}`);
        const base = {
          billingId: sub.id,
          crmId: crm?.id ?? sub.crmId ?? null,
          subsidiary: sub.subsidiary ?? null,
          currency: sub.currency.toUpperCase(),
          billingAmount: sub.mrr,
          erpAmount: null,
        };
        if (crm?.status !== sub.status)
          emit('crm_status_mismatch', undefined, -1, {
            ...base,
            message: `status ${crm?.status ?? '(none)'} in the CRM, ${sub.status} in billing`,
          });
        if (!crm) continue;
        const sameCurrency =
          crm.currency === undefined || crm.currency.toUpperCase() === sub.currency.toUpperCase();
        if (crm.mrr === undefined || !sameCurrency || Math.abs(crm.mrr - sub.mrr) > tolerance.mrr)
          emit('mrr_mismatch', undefined, -1, {
            ...base,
            erpAmount: crm.mrr ?? null,
            message: `MRR ${crm.mrr ?? '(none)'} ${crm.currency ?? ''} in the CRM, ${sub.mrr} ${sub.currency} in billing (minor units)`,
          });
      }
    }
  }

  return {
    period: options.period,
    discrepancies,
    inFlight,
    matches,
    summary,
    outOfScope: { before_sync_start: beforeSyncStart },
    ...(subscriptionsCompared !== undefined && { subscriptionsCompared }),
  };
}
