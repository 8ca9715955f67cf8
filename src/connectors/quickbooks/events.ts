/**
 * What QuickBooks' changes mean to revsync. The CDC poller and the webhook source emit a vendor
 * event per changed object (`quickbooks.<entity>.<created|updated>`, subject the revsync id
 * `<realmId>:<Id>`, data a {@link QuickbooksChange}).
 */
import type { CanonicalEventInput } from '../../model/canonical-events.ts';
import type { EntityKeyHint } from '../definition.ts';
import type { VendorEvent } from '../ports.ts';
import { erpCanonicalEvents, taggedCustomerKey } from '../erp-events.ts';

/** The data of a QuickBooks vendor event. */
export interface QuickbooksChange {
  realmId: string;
  entity: string;
  id: string;
  syncToken?: string;
  lastUpdated: string;
  /** revsync's external id of the object (from its note), when revsync wrote it. */
  externalId?: string;
  /** Transactions: the customer, with revsync's external id when known. */
  customer?: { id: string; externalId?: string };
  /** The object as QuickBooks answered it (CDC), absent for a webhook notification. */
  object?: Record<string, unknown>;
}

/** The canonical event of a changed customer or transaction. */
export function toCanonicalEvents(event: VendorEvent): CanonicalEventInput[] {
  return erpCanonicalEvents(event, {
    customer: 'customer',
    invoice: 'invoice',
    creditmemo: 'credit_memo',
    refundreceipt: 'credit_memo',
    payment: 'payment',
  });
}

/**
 * The customer a change is about: revsync's canonical id when revsync created the customer
 * (its note), else the QuickBooks customer.
 */
export function quickbooksEntityKey(event: VendorEvent): EntityKeyHint {
  return taggedCustomerKey(event, 'quickbooks');
}
