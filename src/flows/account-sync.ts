import { defineFlow } from '../engine/flow.ts';
import type { FlowDeps } from './deps.ts';
import { syncCustomerFromCrm, syncCustomerFromErp } from './customer-sync.ts';

type AccountSyncInput = { side: 'crm'; accountId: string } | { side: 'erp'; customerId: string };

/**
 * Account sync: a CRM account created or changed becomes the canonical customer and reaches the
 * ERP and the billing platform — match rules (normalised name, domain, tax id) stop duplicates,
 * field ownership decides what applies, conflicting edits are queued as sync conflicts. An ERP
 * customer changed in the ERP brings the fields the ERP owns back to the canonical customer.
 */
export function accountSyncFlow(deps: FlowDeps) {
  const erp = deps.erp.system;
  return defineFlow<AccountSyncInput>({
    name: 'account-sync',
    triggers: [
      'salesforce.account.created',
      'salesforce.account.updated',
      `${erp}.customer.created`,
      `${erp}.customer.updated`,
    ],
    // ERP customers revsync did not create (no canonical external id) are not synced back.
    filter: (event) =>
      event.source !== erp ||
      /^cus_/.test(String((event.data as { externalId?: unknown })?.externalId ?? '')),
    input: (event) =>
      event.source === erp
        ? { side: 'erp', customerId: String((event.data as { externalId: string }).externalId) }
        : { side: 'crm', accountId: requireSubject(event.subject) },
    run: (ctx, input) =>
      input.side === 'crm'
        ? syncCustomerFromCrm(ctx, deps, input.accountId)
        : syncCustomerFromErp(ctx, deps, input.customerId),
  });
}

/** The vendor object id an event is about; events without one are refused as poison. */
export function requireSubject(subject: string | undefined): string {
  if (!subject) throw new Error('the event has no subject (the vendor object id)');
  return subject;
}
