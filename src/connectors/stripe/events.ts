/**
 * What Stripe's events mean to revsync: the canonical events each one becomes, and the
 * canonical customer it is about (for ordering). Pure functions of the event as the webhook or
 * the `/v1/events` poller delivered it ({@link toVendorEvent}: type `stripe.<Stripe type>`,
 * subject the object's id, data the object).
 */
import type { CanonicalEventInput } from '../../model/canonical-events.ts';
import type { EntityKeyHint } from '../definition.ts';
import type { VendorEvent } from '../ports.ts';
import { REVSYNC_CUSTOMER_KEY, toBillingReason } from './mapper.ts';

/** Metadata key holding the correlation id of the business change that made the object. */
export const REVSYNC_CORRELATION_KEY = 'revsync_correlation_id';

type Data = Record<string, unknown>;

/** The canonical events of one Stripe event (none for types revsync does not act on). */
export function toCanonicalEvents(event: VendorEvent): CanonicalEventInput[] {
  const subject = event.subject;
  if (!subject) return [];
  const data = (event.data ?? {}) as Data;
  switch (event.type.replace(/^stripe\./, '')) {
    case 'customer.created':
    case 'customer.updated':
      return [
        {
          type: 'billing.customer.changed',
          subject,
          data: { customerId: subject, change: changeOf(event.type) },
        },
      ];
    case 'customer.subscription.created':
      return [{ type: 'billing.subscription.created', subject, data: { subscriptionId: subject } }];
    case 'customer.subscription.updated':
      return [{ type: 'billing.subscription.updated', subject, data: { subscriptionId: subject } }];
    case 'customer.subscription.deleted':
      return [
        { type: 'billing.subscription.canceled', subject, data: { subscriptionId: subject } },
      ];
    case 'invoice.created':
      return [{ type: 'billing.invoice.created', subject, data: { invoiceId: subject } }];
    case 'invoice.finalized':
      return [
        {
          type: 'billing.invoice.finalized',
          subject,
          data: { invoiceId: subject, reason: toBillingReason(str(data.billing_reason)) },
        },
      ];
    case 'invoice.paid':
      return [{ type: 'billing.invoice.paid', subject, data: { invoiceId: subject } }];
    case 'invoice.voided':
      return [{ type: 'billing.invoice.voided', subject, data: { invoiceId: subject } }];
    case 'invoice.payment_failed':
      return [{ type: 'billing.payment.failed', subject, data: { invoiceId: subject } }];
    case 'refund.created': {
      const paymentId = str(data.payment_intent) ?? str(obj(data.payment_intent)?.id);
      return [
        {
          type: 'billing.refund.created',
          subject,
          data: { refundId: subject, ...(paymentId && { paymentId }) },
        },
      ];
    }
    case 'credit_note.created': {
      const invoiceId = str(data.invoice) ?? str(obj(data.invoice)?.id);
      return [
        {
          type: 'billing.credit_note.created',
          subject,
          data: { creditNoteId: subject, ...(invoiceId && { invoiceId }) },
        },
      ];
    }
    case 'payout.paid':
      return [{ type: 'billing.payout.paid', subject, data: { payoutId: subject } }];
    default:
      return [];
  }
}

/**
 * The customer a Stripe event is about: the canonical id revsync keeps in metadata
 * (subscriptions; their invoices under `parent.subscription_details`), else the Stripe customer.
 */
export function stripeEntityKey(event: VendorEvent): EntityKeyHint {
  const data = (event.data ?? {}) as Data;
  const canonicalId = fromMetadata(data, REVSYNC_CUSTOMER_KEY);
  if (canonicalId) return { canonicalId };
  const customer =
    data.object === 'customer' ? str(data.id) : (str(data.customer) ?? str(obj(data.customer)?.id));
  return customer ? { objectType: 'customer', id: customer } : undefined;
}

/** The correlation id revsync stored in the object's (or its subscription's) metadata. */
export function stripeCorrelationId(event: VendorEvent): string | undefined {
  return fromMetadata((event.data ?? {}) as Data, REVSYNC_CORRELATION_KEY);
}

function fromMetadata(data: Data, key: string): string | undefined {
  return (
    str(obj(data.metadata)?.[key]) ??
    str(obj(obj(obj(data.parent)?.subscription_details)?.metadata)?.[key])
  );
}

function changeOf(type: string): 'created' | 'updated' {
  return type.endsWith('.created') ? 'created' : 'updated';
}

function obj(value: unknown): Data | undefined {
  return typeof value === 'object' && value !== null ? (value as Data) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
