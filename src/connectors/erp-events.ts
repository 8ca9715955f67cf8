/**
 * What an ERP's changed records mean to revsync, for connectors whose vendor events are named
 * `<system>.<record>.<created|updated|deleted>` with the record's id as subject and, in the
 * data, revsync's external id when revsync wrote the record.
 */
import type { CanonicalEventInput } from '../model/canonical-events.ts';
import type { EntityKeyHint } from './definition.ts';
import type { VendorEvent } from './ports.ts';

/** Which canonical record a vendor record name stands for. */
export type ErpRecordKind = 'customer' | 'invoice' | 'credit_memo' | 'payment';

/**
 * The canonical `erp.*.changed` event of a changed record, by `kinds` (vendor record name →
 * kind); nothing for a record revsync does not follow, or — with `ignoreDeleted` — a deletion.
 */
export function erpCanonicalEvents(
  event: VendorEvent,
  kinds: Readonly<Record<string, ErpRecordKind>>,
  options: { ignoreDeleted?: boolean } = {},
): CanonicalEventInput[] {
  const subject = event.subject;
  if (!subject) return [];
  const [, record, action] = event.type.split('.');
  if (options.ignoreDeleted && action === 'deleted') return [];
  const externalId = (event.data as { externalId?: string } | undefined)?.externalId;
  const ext = externalId ? { externalId } : {};
  switch (record === undefined ? undefined : kinds[record]) {
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
    case 'credit_memo':
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
 * The customer a change is about, for events whose data carries revsync's external id of the
 * customer (`externalId` on a customer, `customer.externalId` on a document): revsync's
 * canonical id when revsync created the customer, else the vendor's customer.
 */
export function taggedCustomerKey(event: VendorEvent, system: string): EntityKeyHint {
  const data = event.data as
    { externalId?: string; customer?: { id: string; externalId?: string } } | undefined;
  if (event.type.startsWith(`${system}.customer.`)) {
    if (data?.externalId?.startsWith('cus_')) return { canonicalId: data.externalId };
    return event.subject ? { objectType: 'customer', id: event.subject } : undefined;
  }
  const customer = data?.customer;
  if (customer?.externalId?.startsWith('cus_')) return { canonicalId: customer.externalId };
  return customer?.id ? { objectType: 'customer', id: customer.id } : undefined;
}
