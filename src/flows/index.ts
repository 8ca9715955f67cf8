import type { FlowName } from '../config/define-config.ts';
import type { Flow } from '../engine/flow.ts';
import { accountSyncFlow } from './account-sync.ts';
import { amendmentFlow } from './amendment.ts';
import { cancellationFlow } from './cancellation.ts';
import type { FlowDeps } from './deps.ts';
import { invoiceToErpFlow } from './invoice-to-erp.ts';
import { paymentStatusFlow } from './payment-status.ts';
import { payoutDepositFlow } from './payout-deposit.ts';
import { quoteToCashFlow } from './quote-to-cash.ts';
import { renewalFlow } from './renewal.ts';
import { subscriptionStatusFlow } from './subscription-status.ts';
import { usageToInvoiceFlow } from './usage-to-invoice.ts';

/** Each configurable flow and its factory. */
export const FLOW_FACTORIES: Record<FlowName, (deps: FlowDeps) => Flow<never, unknown>> = {
  accountSync: accountSyncFlow as (deps: FlowDeps) => Flow<never, unknown>,
  quoteToCash: quoteToCashFlow as (deps: FlowDeps) => Flow<never, unknown>,
  amendment: amendmentFlow as (deps: FlowDeps) => Flow<never, unknown>,
  invoiceToErp: invoiceToErpFlow as (deps: FlowDeps) => Flow<never, unknown>,
  renewal: renewalFlow as (deps: FlowDeps) => Flow<never, unknown>,
  usage: usageToInvoiceFlow as (deps: FlowDeps) => Flow<never, unknown>,
  paymentStatus: paymentStatusFlow as (deps: FlowDeps) => Flow<never, unknown>,
  subscriptionStatus: subscriptionStatusFlow as (deps: FlowDeps) => Flow<never, unknown>,
  cancellation: cancellationFlow as (deps: FlowDeps) => Flow<never, unknown>,
  payoutDeposit: ((deps: FlowDeps) => payoutDepositFlow(deps)) as (
    deps: FlowDeps,
  ) => Flow<never, unknown>,
};

/** The enabled flows, built on `deps`. */
export function createFlows(deps: FlowDeps, enabled: Iterable<FlowName>): Flow[] {
  return [...enabled].map((name) => FLOW_FACTORIES[name](deps) as unknown as Flow);
}

export type { FlowDeps } from './deps.ts';
