/**
 * Payouts against bank deposits: reads the billing payouts arriving in a window and the ERP
 * deposits dated in it through the ports, pairs each payout with its deposit (external id =
 * the payout id, else the payout id in the deposit's memo), and checks every pair with the
 * vendor-free {@link checkPayout}. A paid payout without a deposit, or a deposit that does not
 * tie, is a `payout_residual` discrepancy with the residual named, never hidden.
 */
import type {
  BillingPayout as PortPayout,
  BillingSystem,
  DocumentWindow,
  ErpDeposit as PortDeposit,
  ErpSystem,
  ReadOptions,
} from '../connectors/ports.ts';
import {
  checkPayout,
  DISCREPANCY_CLASSES,
  type ReconReport,
  type BillingPayout,
  type Discrepancy,
  type ErpDeposit,
  type Lineage,
} from '../recon/index.ts';

/** One period's payout results. */
export interface PayoutPeriodResult {
  checked: number;
  matched: number;
  discrepancies: Discrepancy[];
  inFlight: Discrepancy[];
}

/** What {@link reconcilePayouts} found, by period (`YYYY-MM` of the arrival date). */
export interface PayoutReconciliation {
  /** Set when a connector cannot list payouts or deposits: nothing was checked. */
  unsupported?: string;
  periods: Map<string, PayoutPeriodResult>;
}

export interface PayoutReconciliationOptions {
  subsidiary?: string;
  /** Residual tolerated, minor units (default 0). */
  tolerance?: number;
  lineage?: (payoutId: string) => Lineage | undefined;
  isInFlight?: (payoutId: string) => boolean;
  read?: ReadOptions;
}

/** The matcher's view of a port payout. */
export function fromBillingPayout(p: PortPayout): BillingPayout {
  return {
    id: p.id,
    currency: p.amount.currency,
    amount: p.amount.amount,
    transactions: p.transactions.map((t) => ({
      id: t.id,
      type: t.type,
      amount: t.amount.amount,
      fee: t.fee.amount,
      ...(t.sourceId !== undefined && { sourceId: t.sourceId }),
    })),
  };
}

/** The matcher's view of a port deposit (the fee line signed as booked: negative). */
export function fromErpDeposit(d: PortDeposit): ErpDeposit {
  return {
    id: d.id,
    currency: d.currency,
    total: d.total.amount,
    lines: d.lines.map((l) => ({ reference: l.reference, amount: l.amount.amount })),
    fee: -d.fee.amount,
  };
}

/** Reconciles the payouts arriving in `window` against the ERP's deposits. */
export async function reconcilePayouts(
  deps: { billing: BillingSystem; erp: ErpSystem },
  window: DocumentWindow,
  options: PayoutReconciliationOptions = {},
): Promise<PayoutReconciliation> {
  const { billing, erp } = deps;
  const periods = new Map<string, PayoutPeriodResult>();
  if (!billing.pagePayouts || !erp.pageDeposits) {
    return {
      unsupported: `payouts are not reconciled: ${
        billing.pagePayouts ? '' : `${billing.system} (billing) lists no payouts; `
      }${erp.pageDeposits ? '' : `${erp.system} (erp) lists no deposits`}`
        .trim()
        .replace(/;$/, ''),
      periods,
    };
  }
  const deposits: PortDeposit[] = [];
  for await (const page of erp.pageDeposits(window, options.read)) deposits.push(...page);
  const byExternal = new Map<string, PortDeposit>();
  for (const d of deposits) if (d.externalId) byExternal.set(d.externalId, d);
  const used = new Set<string>();
  const find = (payoutId: string): PortDeposit | undefined => {
    const own = byExternal.get(payoutId);
    if (own && !used.has(own.id)) return own;
    return deposits.find(
      (d) =>
        !used.has(d.id) && d.memo !== undefined && new RegExp(`\\b${payoutId}\\b`).test(d.memo),
    );
  };
  const tolerance = options.tolerance ?? 0;

  for await (const page of billing.pagePayouts(window, options.read)) {
    for (const payout of page) {
      if (payout.status !== 'paid') continue;
      const period = payout.arrivalDate.slice(0, 7);
      const result = periods.get(period) ?? {
        checked: 0,
        matched: 0,
        discrepancies: [],
        inFlight: [],
      };
      periods.set(period, result);
      const deposit = find(payout.id);
      if (deposit) used.add(deposit.id);
      if (
        options.subsidiary !== undefined &&
        deposit !== undefined &&
        deposit.subsidiary !== options.subsidiary
      )
        continue;
      result.checked += 1;
      const lineage = options.lineage?.(payout.id);
      const base = {
        class: 'payout_residual' as const,
        billingId: payout.id,
        crmId: null,
        currency: payout.amount.currency.toUpperCase(),
        billingAmount: payout.amount.amount,
        ...(lineage?.correlationId !== undefined && { correlationId: lineage.correlationId }),
        ...(lineage?.runIds !== undefined && { runIds: lineage.runIds }),
      };
      const sources = new Map(payout.transactions.map((t) => [t.id, t.sourceId]));
      let d: Discrepancy | undefined;
      if (!deposit) {
        d = {
          ...base,
          erpId: null,
          subsidiary: null,
          erpAmount: null,
          payout: {
            residual: payout.amount.amount,
            missingTransactions: payout.transactions.map((t) => ({
              id: t.id,
              type: t.type,
              amount: t.amount.amount,
              ...(t.sourceId !== undefined && { sourceId: t.sourceId }),
            })),
            unexpectedLines: [],
            feeDifference: payout.transactions.reduce((s, t) => s + t.fee.amount, 0),
          },
          message: `no ERP deposit for payout ${payout.id} of ${payout.amount.amount} (minor units)`,
        };
      } else {
        const check = checkPayout(fromBillingPayout(payout), fromErpDeposit(deposit), {
          tolerance,
        });
        if (check.status === 'matched') {
          result.matched += 1;
          continue;
        }
        const missing = check.missingTransactions.map((t) => ({
          ...t,
          ...(sources.get(t.id) !== undefined && { sourceId: sources.get(t.id)! }),
        }));
        d = {
          ...base,
          erpId: deposit.id,
          subsidiary: deposit.subsidiary,
          erpAmount: deposit.total.amount,
          payout: {
            residual: check.residual,
            missingTransactions: missing,
            unexpectedLines: check.unexpectedLines,
            feeDifference: check.feeDifference,
          },
          message: `payout ${payout.id} against deposit ${deposit.id}: ${check.message}${
            missing.length > 0
              ? ` (${missing.map((t) => `${t.sourceId ?? t.id} ${t.amount}`).join(', ')})`
              : ''
          }`,
        };
      }
      if (options.isInFlight?.(payout.id)) result.inFlight.push(d);
      else result.discrepancies.push(d);
    }
  }
  return { periods };
}

/**
 * Adds the payout results to the reports of a reconciliation: each period's `payouts` counts,
 * its `payout_residual` discrepancies and in-flight ones. With `onlyPeriods`, other periods are
 * left out; otherwise a period with payouts but no documents gets a report of its own.
 */
export async function addPayoutResults(
  reports: ReconReport[],
  deps: { billing: BillingSystem; erp: ErpSystem },
  window: DocumentWindow,
  options: PayoutReconciliationOptions & { onlyPeriods?: readonly string[] },
): Promise<void> {
  const result = await reconcilePayouts(deps, window, options);
  if (result.unsupported !== undefined) {
    for (const r of reports)
      r.payouts = { checked: 0, matched: 0, unsupported: result.unsupported };
    return;
  }
  for (const r of reports) r.payouts = { checked: 0, matched: 0 };
  for (const [period, p] of result.periods) {
    if (options.onlyPeriods && !options.onlyPeriods.includes(period)) continue;
    let report = reports.find((r) => r.period === period);
    if (!report) {
      report = {
        period,
        discrepancies: [],
        inFlight: [],
        matches: { external_id: 0, cross_reference: 0, fallback: 0 },
        summary: Object.fromEntries(
          DISCREPANCY_CLASSES.map((c) => [c, 0]),
        ) as ReconReport['summary'],
        outOfScope: { before_sync_start: 0 },
        payouts: { checked: 0, matched: 0 },
      };
      reports.push(report);
    }
    report.payouts = { checked: p.checked, matched: p.matched };
    report.discrepancies.push(...p.discrepancies);
    report.inFlight.push(...p.inFlight);
    report.summary.payout_residual += p.discrepancies.length;
  }
  reports.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
}
