/**
 * What NetSuite's changes mean to revsync. NetSuite pushes nothing: the SuiteQL pollers emit a
 * vendor event per changed record (`netsuite.<record type>.<created|updated>`, subject the
 * internal id, data a {@link NetsuiteCustomerChange} or {@link NetsuiteTransactionChange}).
 */
import type { CanonicalEventInput } from '../../model/canonical-events.ts';
import type { EntityKeyHint } from '../definition.ts';
import type { VendorEvent } from '../ports.ts';
import { erpCanonicalEvents } from '../erp-events.ts';
import type { NetsuiteCustomerChange, NetsuiteTransactionChange } from './mapper.ts';

/** The canonical event of a changed NetSuite customer or customer transaction. */
export function toCanonicalEvents(event: VendorEvent): CanonicalEventInput[] {
  return erpCanonicalEvents(event, {
    customer: 'customer',
    invoice: 'invoice',
    creditmemo: 'credit_memo',
    customerpayment: 'payment',
  });
}

/**
 * The customer a change is about: revsync's canonical id when it created the customer (its
 * external id), else the NetSuite customer (the record itself, or a transaction's entity).
 */
export function netsuiteEntityKey(event: VendorEvent): EntityKeyHint {
  if (event.type.startsWith('netsuite.customer.')) {
    const customer = event.data as Partial<NetsuiteCustomerChange> | undefined;
    if (customer?.externalId?.startsWith('cus_')) return { canonicalId: customer.externalId };
    return event.subject ? { objectType: 'customer', id: event.subject } : undefined;
  }
  const entity = (event.data as Partial<NetsuiteTransactionChange> | undefined)?.entity;
  if (entity?.externalId?.startsWith('cus_')) return { canonicalId: entity.externalId };
  return entity?.id ? { objectType: 'customer', id: entity.id } : undefined;
}
