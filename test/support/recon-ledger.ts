/**
 * An in-process pair of books for reconciliation tests that are about what happens around the
 * matcher (storage, schedule, API, metrics, alerts): billing invoices and ERP invoices held in
 * memory, reconciled by the real matcher (`src/recon/reconcile.ts`) through the same
 * {@link Reconcile} seam the runner uses for the connectors. Tests edit the books between runs.
 */
import type { Reconcile } from '../../src/app/recon-runs.ts';
import { reconcile, type BillingDocument, type ErpDocument } from '../../src/recon/index.ts';

export interface ReconLedger {
  billing: BillingDocument[];
  erp: ErpDocument[];
  /** How many reconciliations are reading now, and the most that ever overlapped. */
  readonly reading: { now: number; max: number; calls: number };
  /** Milliseconds each read takes (default 0). */
  delayMs: number;
  /** When set, the next read throws it (once). */
  failNext?: Error;
  reconcile: Reconcile;
}

/** An invoice in both books, equal; `erp: false` leaves it out of the ERP. */
export function bookInvoice(
  ledger: Pick<ReconLedger, 'billing' | 'erp'>,
  id: string,
  amount: number,
  options: { period?: string; erpAmount?: number; erp?: boolean; subsidiary?: string } = {},
): void {
  const period = options.period ?? '2026-11';
  const date = `${period}-05`;
  ledger.billing.push({
    kind: 'invoice',
    id,
    customer: `cus_${id}`,
    currency: 'usd',
    amount,
    tax: 0,
    period,
    date,
    reference: `REF-${id}`,
    status: 'open',
  });
  if (options.erp === false) return;
  ledger.erp.push({
    kind: 'invoice',
    id: `ns_${id}`,
    externalId: id,
    customer: `cus_${id}`,
    subsidiary: options.subsidiary ?? 'SUB-1',
    currency: 'USD',
    amount: options.erpAmount ?? amount,
    tax: 0,
    period,
    date,
    memo: `REF-${id}`,
    status: 'open',
  });
}

async function* pages<T>(docs: readonly T[]): AsyncIterable<readonly T[]> {
  for (let i = 0; i < docs.length; i += 2) yield docs.slice(i, i + 2);
}

export function createReconLedger(): ReconLedger {
  const ledger: ReconLedger = {
    billing: [],
    erp: [],
    reading: { now: 0, max: 0, calls: 0 },
    delayMs: 0,
    async reconcile(_deps, options) {
      ledger.reading.calls += 1;
      ledger.reading.now += 1;
      ledger.reading.max = Math.max(ledger.reading.max, ledger.reading.now);
      try {
        if (ledger.delayMs > 0) await new Promise((r) => setTimeout(r, ledger.delayMs));
        const failure = ledger.failNext;
        if (failure) {
          ledger.failNext = undefined;
          throw failure;
        }
        const periods =
          options.period !== undefined
            ? [options.period]
            : [...new Set([...ledger.billing, ...ledger.erp].map((d) => d.period))].sort();
        const reports = [];
        for (const period of periods) {
          reports.push(
            await reconcile(
              {
                billing: { invoices: pages(ledger.billing) },
                erp: { invoices: pages(ledger.erp) },
              },
              {
                period,
                ...(options.subsidiary !== undefined && { subsidiary: options.subsidiary }),
                ...(options.tolerance !== undefined && { tolerance: options.tolerance }),
                ...(options.syncStart !== undefined && { syncStart: options.syncStart }),
                ...(options.onMatch && { onMatch: (m) => options.onMatch!(period, m) }),
              },
            ),
          );
        }
        return { reports, billingDocuments: new Map(ledger.billing.map((d) => [d.id, d])) };
      } finally {
        ledger.reading.now -= 1;
      }
    },
  };
  return ledger;
}

/**
 * The runner's `systems` when the ledger reads the books instead: never called (the ledger's
 * `reconcile` ignores them).
 */
export const LEDGER_SYSTEMS = { billing: {}, erp: {} } as unknown as Parameters<Reconcile>[0];
