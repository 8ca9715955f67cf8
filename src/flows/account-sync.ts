import { defineFlow } from '../engine/flow.ts';
import type { FlowDeps } from './deps.ts';
import { syncCustomerFromCrm, type CustomerSyncResult } from './customer-sync.ts';

/**
 * Account sync: a CRM account created or changed becomes the canonical customer and reaches the
 * ERP and the billing platform. Match rules (normalised name, domain, tax id) stop duplicates;
 * field ownership decides what applies; conflicting edits are queued as sync conflicts.
 */
export function accountSyncFlow(deps: FlowDeps) {
  return defineFlow<{ accountId: string }, CustomerSyncResult>({
    name: 'account-sync',
    triggers: ['salesforce.account.created', 'salesforce.account.updated'],
    input: (event) => ({ accountId: requireSubject(event.subject) }),
    run: (ctx, input) => syncCustomerFromCrm(ctx, deps, input.accountId),
  });
}

/** The vendor object id an event is about; events without one are refused as poison. */
export function requireSubject(subject: string | undefined): string {
  if (!subject) throw new Error('the event has no subject (the vendor object id)');
  return subject;
}
