/**
 * What QuickBooks' changes mean to revsync. The CDC poller and the webhook source emit a vendor
 * event per changed object (`quickbooks.<entity>.<created|updated>`, subject the revsync id
 * `<realmId>:<Id>`, data a {@link QuickbooksChange}).
 */
import type { CanonicalEventInput } from '../../model/canonical-events.ts';
import type { EntityKeyHint } from '../definition.ts';
import type { VendorEvent } from '../ports.ts';

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
  const subject = event.subject;
  if (!subject) return [];
  const [, entity, action] = event.type.split('.');
  const externalId = (event.data as Partial<QuickbooksChange> | undefined)?.externalId;
  const ext = externalId ? { externalId } : {};
  switch (entity) {
    case 'customer':
      return [
        {
          type: 'erp.customer.changed',
          subject,
          data: {
            customerId: subject,
            ...ext,
            change: action === 'created' ? 'created' : 'updated',
          },
        },
      ];
    case 'invoice':
      return [{ type: 'erp.invoice.changed', subject, data: { invoiceId: subject, ...ext } }];
    case 'creditmemo':
    case 'refundreceipt':
      return [
        { type: 'erp.credit_memo.changed', subject, data: { creditMemoId: subject, ...ext } },
      ];
    case 'payment':
      return [{ type: 'erp.payment.changed', subject, data: { paymentId: subject, ...ext } }];
    default:
      return [];
  }
}

/**
 * The customer a change is about: revsync's canonical id when revsync created the customer
 * (its note), else the QuickBooks customer.
 */
export function quickbooksEntityKey(event: VendorEvent): EntityKeyHint {
  const data = event.data as Partial<QuickbooksChange> | undefined;
  if (event.type.startsWith('quickbooks.customer.')) {
    if (data?.externalId?.startsWith('cus_')) return { canonicalId: data.externalId };
    return event.subject ? { objectType: 'customer', id: event.subject } : undefined;
  }
  const customer = data?.customer;
  if (customer?.externalId?.startsWith('cus_')) return { canonicalId: customer.externalId };
  return customer?.id ? { objectType: 'customer', id: customer.id } : undefined;
}
