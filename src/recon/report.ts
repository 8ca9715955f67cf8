/**
 * What reconciliation reports: the discrepancy classes (names shared by the API, CLI and tests),
 * the match rules, and the report shape of issue 10 §8.
 */

/** Every discrepancy class, in the order the report's summary lists them. */
export const DISCREPANCY_CLASSES = [
  'missing_in_erp',
  'missing_in_billing',
  'amount_mismatch',
  'tax_mismatch',
  'currency_mismatch',
  'duplicate_in_erp',
  'payment_missing_in_erp',
  'payment_unapplied',
  'refund_missing_in_erp',
  'status_mismatch',
  'period_mismatch',
  'crm_status_mismatch',
  'mrr_mismatch',
  'payout_residual',
] as const;

export type DiscrepancyClass = (typeof DISCREPANCY_CLASSES)[number];

/** The classes that compare money and so take a tolerance. */
export type ToleranceClass = 'amount_mismatch' | 'tax_mismatch' | 'mrr_mismatch';

/** Per-class tolerance in minor units (absent: 0, exact). */
export type Tolerances = Partial<Record<ToleranceClass, number>>;

/** The rules that pair a billing document with an ERP document, tried in this order. */
export const MATCH_RULES = ['external_id', 'cross_reference', 'fallback'] as const;
export type MatchRule = (typeof MATCH_RULES)[number];

/** Why two documents were paired: the rule and the tolerances it was compared with. */
export interface MatchRecord {
  billingId: string;
  erpId: string;
  rule: MatchRule;
  /** Tolerances applied when comparing the pair (minor units; 0 = exact). */
  tolerance: { amount: number; tax: number };
}

/** One difference between the systems, with its lineage. */
export interface Discrepancy {
  class: DiscrepancyClass;
  billingId: string | null;
  erpId: string | null;
  crmId: string | null;
  subsidiary: string | null;
  currency: string | null;
  /** The compared amount on the billing side, minor units (tax for `tax_mismatch`, MRR for `mrr_mismatch`). */
  billingAmount: number | null;
  /** The compared amount on the ERP side, minor units (the CRM's MRR for `mrr_mismatch`). */
  erpAmount: number | null;
  correlationId?: string;
  runIds?: string[];
  /** How the pair was matched, when it was. */
  match?: { rule: MatchRule; tolerance: number };
  /** `payout_residual`: what the deposit does not account for (minor units). */
  payout?: {
    /** Payout minus deposit. */
    residual: number;
    missingTransactions: { id: string; type: string; amount: number; sourceId?: string }[];
    unexpectedLines: { reference: string; amount: number }[];
    /** Fees withheld minus fees booked. */
    feeDifference: number;
  };
  /** One line for a person. */
  message: string;
}

/** Reconciliation of one period. */
export interface ReconReport {
  period: string;
  discrepancies: Discrepancy[];
  /** Would-be discrepancies of documents whose run is still in flight (not counted in summary). */
  inFlight: Discrepancy[];
  /** How many in-scope billing documents each rule matched. */
  matches: Record<MatchRule, number>;
  summary: Record<DiscrepancyClass, number>;
  /** Documents left out of scope: dated before the sync start. */
  outOfScope: { before_sync_start: number };
  /** Subscriptions compared with the CRM (absent when the CRM was not read). */
  subscriptionsCompared?: number;
  /**
   * Payouts arriving in the period checked against their ERP deposits (absent when payouts
   * were not reconciled); `unsupported` says why when a connector cannot list them.
   */
  payouts?: { checked: number; matched: number; unsupported?: string };
}

/** Lineage revsync knows for a billing document (from its runs and cross-reference map). */
export interface Lineage {
  correlationId?: string;
  runIds?: string[];
}

/** How many document pairs the report matched, whatever the rule. */
export function matchedCount(report: Pick<ReconReport, 'matches'>): number {
  return Object.values(report.matches).reduce((a, b) => a + b, 0);
}
