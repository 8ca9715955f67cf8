/**
 * What Chargebee's events mean to revsync: the vendor event each becomes (the same for a webhook
 * delivery and the events API, so one event arriving both ways is one inbox entry), the
 * canonical events it means, and the canonical customer it is about. Pure functions.
 */
import { z } from 'zod';
import type { CanonicalEventInput } from '../../model/canonical-events.ts';
import { makeEnvelope } from '../../model/event-envelope.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type { EntityKeyHint } from '../definition.ts';
import type { VendorEvent } from '../ports.ts';
import { isoTime, REVSYNC_CUSTOMER_KEY, toBillingReason } from './mapper.ts';

/** `meta_data` key of the correlation id of the business change that made the object. */
export const REVSYNC_CORRELATION_KEY = 'revsync_correlation_id';

type Data = Record<string, unknown>;

const ChargebeeEventSchema = z.looseObject({
  id: z.string().min(1),
  event_type: z.string().min(1),
  occurred_at: z.int().nonnegative(),
  content: z.record(z.string(), z.unknown()),
});

/** The object an event is about, by its type's prefix. */
const SUBJECT_OF: readonly [prefix: string, key: string][] = [
  ['customer_', 'customer'],
  ['subscription_', 'subscription'],
  ['invoice_', 'invoice'],
  ['payment_source_', 'payment_source'],
  ['payment_', 'transaction'],
  ['credit_note_', 'credit_note'],
  ['item_price_', 'item_price'],
  ['item_family_', 'item_family'],
  ['item_', 'item'],
  ['unbilled_charges_', 'unbilled_charge'],
];

/**
 * A Chargebee event (webhook body or events-list element) → one {@link VendorEvent}: id the
 * `ev_…` id, type `chargebee.<event_type>`, subject the id of the object the type names, time
 * `occurred_at`, data the event's `content` (every object it carries).
 *
 * @throws ValidationError when `event` is not a Chargebee event.
 */
export function toVendorEvent(event: unknown): VendorEvent {
  const parsed = ChargebeeEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new ValidationError('not a Chargebee event', {
      system: 'chargebee',
      details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const e = parsed.data;
  const subject = subjectOf(e.event_type, e.content);
  return makeEnvelope<Record<string, unknown>>({
    source: 'chargebee',
    id: e.id,
    type: `chargebee.${e.event_type.toLowerCase()}`,
    ...(subject !== undefined && { subject }),
    time: isoTime(e.occurred_at),
    data: e.content,
  });
}

function subjectOf(eventType: string, content: Data): string | undefined {
  for (const [prefix, key] of SUBJECT_OF) {
    if (eventType.startsWith(prefix)) return str(obj(content[key])?.id);
  }
  for (const value of Object.values(content)) {
    const id = str(obj(value)?.id);
    if (id) return id;
  }
  return undefined;
}

/** The canonical events of one Chargebee event (none for types revsync does not act on). */
export function toCanonicalEvents(event: VendorEvent): CanonicalEventInput[] {
  const subject = event.subject;
  if (!subject) return [];
  const content = (event.data ?? {}) as Data;
  const invoice = obj(content.invoice);
  const invoiceId = str(invoice?.id);
  switch (event.type.replace(/^chargebee\./, '')) {
    case 'customer_created':
    case 'customer_changed':
      return [
        {
          type: 'billing.customer.changed',
          subject,
          data: {
            customerId: subject,
            change: event.type.endsWith('_created') ? 'created' : 'updated',
          },
        },
      ];
    case 'subscription_created':
      return [{ type: 'billing.subscription.created', subject, data: { subscriptionId: subject } }];
    case 'subscription_changed':
    case 'subscription_renewed':
    case 'subscription_reactivated':
    case 'subscription_cancellation_scheduled':
    case 'subscription_scheduled_cancellation_removed':
      return [{ type: 'billing.subscription.updated', subject, data: { subscriptionId: subject } }];
    case 'subscription_cancelled':
      return [
        { type: 'billing.subscription.canceled', subject, data: { subscriptionId: subject } },
      ];
    case 'invoice_generated': {
      // Chargebee generates invoices closed (there is no draft to finalize).
      const out: CanonicalEventInput[] = [
        { type: 'billing.invoice.created', subject, data: { invoiceId: subject } },
        {
          type: 'billing.invoice.finalized',
          subject,
          data: { invoiceId: subject, reason: toBillingReason(invoiceFacts(invoice)) },
        },
      ];
      // Settled at once without a payment (credits covered it): no payment event follows.
      if (invoice?.status === 'paid' && (arr(invoice.linked_payments)?.length ?? 0) === 0) {
        out.push({ type: 'billing.invoice.paid', subject, data: { invoiceId: subject } });
      }
      return out;
    }
    case 'invoice_deleted':
    case 'invoice_voided':
      return [{ type: 'billing.invoice.voided', subject, data: { invoiceId: subject } }];
    case 'payment_succeeded':
      return invoiceId
        ? [{ type: 'billing.invoice.paid', subject: invoiceId, data: { invoiceId } }]
        : [];
    case 'payment_failed':
      return invoiceId
        ? [
            {
              type: 'billing.payment.failed',
              subject: invoiceId,
              data: { invoiceId, paymentId: subject },
            },
          ]
        : [];
    case 'payment_refunded': {
      const paymentId = str(obj(content.transaction)?.reference_transaction_id);
      return [
        {
          type: 'billing.refund.created',
          subject,
          data: { refundId: subject, ...(paymentId && { paymentId }) },
        },
      ];
    }
    case 'credit_note_created': {
      // A refund's credit note is booked with the refund (payment_refunded): once, not twice.
      const note = obj(content.credit_note);
      if ((arr(note?.linked_refunds)?.length ?? 0) > 0) return [];
      const noteInvoice = str(note?.reference_invoice_id) ?? invoiceId;
      return [
        {
          type: 'billing.credit_note.created',
          subject,
          data: { creditNoteId: subject, ...(noteInvoice && { invoiceId: noteInvoice }) },
        },
      ];
    }
    default:
      return [];
  }
}

function invoiceFacts(invoice: Data | undefined) {
  const lines = (arr(invoice?.line_items) ?? []).map((l) => ({
    proration_mode: str(obj(l)?.proration_mode) as 'delta' | undefined,
  }));
  return {
    first_invoice: invoice?.first_invoice === true,
    recurring: invoice?.recurring === true,
    ...(str(invoice?.subscription_id) !== undefined && {
      subscription_id: str(invoice?.subscription_id),
    }),
    line_items: lines as never,
  };
}

/**
 * The customer an event is about: the canonical id revsync keeps in the subscription's or the
 * customer's `meta_data`, else the Chargebee customer.
 */
export function chargebeeEntityKey(event: VendorEvent): EntityKeyHint {
  const content = (event.data ?? {}) as Data;
  const canonicalId =
    metaOf(content.subscription, REVSYNC_CUSTOMER_KEY) ??
    metaOf(content.customer, REVSYNC_CUSTOMER_KEY);
  if (canonicalId) return { canonicalId };
  const customer =
    str(obj(content.customer)?.id) ??
    str(obj(content.subscription)?.customer_id) ??
    str(obj(content.invoice)?.customer_id) ??
    str(obj(content.transaction)?.customer_id) ??
    str(obj(content.credit_note)?.customer_id);
  return customer ? { objectType: 'customer', id: customer } : undefined;
}

/** The correlation id revsync stored in the subscription's `meta_data`. */
export function chargebeeCorrelationId(event: VendorEvent): string | undefined {
  const content = (event.data ?? {}) as Data;
  return (
    metaOf(content.subscription, REVSYNC_CORRELATION_KEY) ??
    metaOf(content.customer, REVSYNC_CORRELATION_KEY)
  );
}

function metaOf(value: unknown, key: string): string | undefined {
  return str(obj(obj(value)?.meta_data)?.[key]);
}

function obj(value: unknown): Data | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Data)
    : undefined;
}

function arr(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
