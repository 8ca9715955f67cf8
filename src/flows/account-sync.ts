import { defineFlow } from '../engine/flow.ts';
import { canonicalData } from '../model/canonical-events.ts';
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
  return defineFlow<AccountSyncInput>({
    name: 'account-sync',
    triggers: ['crm.account.changed', 'erp.customer.changed'],
    // ERP customers revsync did not create (no canonical external id) are not synced back.
    filter: (event) =>
      event.type !== 'erp.customer.changed' ||
      /^cus_/.test(canonicalData(event, 'erp.customer.changed').externalId ?? ''),
    input: (event) =>
      event.type === 'erp.customer.changed'
        ? { side: 'erp', customerId: canonicalData(event, 'erp.customer.changed').externalId! }
        : { side: 'crm', accountId: canonicalData(event, 'crm.account.changed').accountId },
    run: (ctx, input) =>
      input.side === 'crm'
        ? syncCustomerFromCrm(ctx, deps, input.accountId)
        : syncCustomerFromErp(ctx, deps, input.customerId),
  });
}
