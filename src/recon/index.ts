/** Reconciliation: the three-way matcher, the payout check and their report types. */
export * from './documents.ts';
export { checkPayout } from './payout.ts';
export type {
  BillingPayout,
  ErpDeposit,
  ErpDepositLine,
  PayoutCheck,
  PayoutTransaction,
} from './payout.ts';
export { reconcile, type ReconOptions } from './reconcile.ts';
export * from './report.ts';
