/**
 * What Business Central's changes mean to revsync. The delta poller and the webhook source emit a
 * vendor event per changed record (`business-central.<entity>.<created|updated|deleted>`, subject
 * the revsync id `<companyId>:<id>`, data a {@link BusinessCentralChange}).
 */
import type { CanonicalEventInput } from '../../model/canonical-events.ts';
import type { EntityKeyHint } from '../definition.ts';
import type { VendorEvent } from '../ports.ts';
import { erpCanonicalEvents, taggedCustomerKey } from '../erp-events.ts';

/** The entity sets revsync follows, and the entity name of each in event types. */
export const ENTITY_OF_SET = {
  customers: 'customer',
  salesInvoices: 'salesinvoice',
  salesCreditMemos: 'salescreditmemo',
  customerPaymentJournals: 'payment',
} as const;

/** The data of a Business Central vendor event. */
export interface BusinessCentralChange {
  companyId: string;
  /** The entity set, e.g. `salesInvoices`. */
  entitySet: string;
  id: string;
  lastModifiedDateTime: string;
  /** revsync's external id of the record, when revsync wrote it (and the change says it). */
  externalId?: string;
  /** Documents: the customer, with revsync's external id when known. */
  customer?: { id: string; externalId?: string };
  /** The record as Business Central answered it (poller); absent for a notification. */
  object?: Record<string, unknown>;
}

/** The canonical event of a changed customer, document or payment. */
export function toCanonicalEvents(event: VendorEvent): CanonicalEventInput[] {
  return erpCanonicalEvents(
    event,
    {
      customer: 'customer',
      salesinvoice: 'invoice',
      salescreditmemo: 'credit_memo',
      payment: 'payment',
    },
    { ignoreDeleted: true },
  );
}

/**
 * The customer a change is about: revsync's canonical id when revsync created the customer (its
 * display-name tag), else the Business Central customer.
 */
export function businessCentralEntityKey(event: VendorEvent): EntityKeyHint {
  return taggedCustomerKey(event, 'business-central');
}
