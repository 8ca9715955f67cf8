import { z } from 'zod';
import { BillingReason } from './entities/invoice.ts';

/**
 * Canonical events: what a vendor event means, in role-level terms, after the normalise stage.
 * Flows trigger on these types only; each connector's mapper turns its vendor's events into
 * them (`billing_reason`, `StageName`, `CustInvc` never leave the connector). `data` names the
 * role system's object the event is about; flows re-read that object through their port
 * ("notify, then fetch"), so an event never has to carry the whole object.
 *
 * Every type has a versioned data schema: the envelope's `schemaversion` is the version of the
 * schema its `data` was written with. A change that is not backward compatible gets a new
 * version (and an upcaster), never an edit of a released one.
 */

const Id = z.string().min(1);

/** What kind of deal a won CRM opportunity is. */
export const DealType = z.enum(['new_business', 'amendment', 'renewal', 'other']);
/** @see DealType */
export type DealType = z.infer<typeof DealType>;

/** Whether a record appeared or changed. */
const Change = z.enum(['created', 'updated']);

/** The data schema of each canonical event type (version 1). */
export const CANONICAL_EVENT_SCHEMAS = {
  /** A CRM account (company) was created or changed. */
  'crm.account.changed': z.object({ accountId: Id, change: Change }),
  /** A CRM opportunity (deal) was closed won. */
  'crm.opportunity.won': z.object({
    opportunityId: Id,
    accountId: Id.optional(),
    dealType: DealType,
  }),
  /** A CRM opportunity changed without being won (lineage only). */
  'crm.opportunity.changed': z.object({ opportunityId: Id, change: Change }),

  /** A billing customer was created or changed. */
  'billing.customer.changed': z.object({ customerId: Id, change: Change }),
  /** A billing subscription began. */
  'billing.subscription.created': z.object({ subscriptionId: Id }),
  /** A billing subscription changed (items, status, period, scheduled cancellation). */
  'billing.subscription.updated': z.object({ subscriptionId: Id }),
  /** A billing subscription ended. */
  'billing.subscription.canceled': z.object({ subscriptionId: Id }),
  /** A billing invoice was created as a draft (lineage only). */
  'billing.invoice.created': z.object({ invoiceId: Id }),
  /** A billing invoice was finalized: its lines and amounts no longer change. */
  'billing.invoice.finalized': z.object({ invoiceId: Id, reason: BillingReason }),
  /** A billing invoice was paid in full. */
  'billing.invoice.paid': z.object({ invoiceId: Id }),
  /** A billing invoice was voided. */
  'billing.invoice.voided': z.object({ invoiceId: Id }),
  /** A payment attempt for an invoice failed. */
  'billing.payment.failed': z.object({ invoiceId: Id, paymentId: Id.optional() }),
  /** Money was returned to the customer. */
  'billing.refund.created': z.object({ refundId: Id, paymentId: Id.optional() }),
  /** A payout reached the bank (its balance transactions are settled). */
  'billing.payout.paid': z.object({ payoutId: Id }),
  /** A credit note was issued against an invoice. */
  'billing.credit_note.created': z.object({ creditNoteId: Id, invoiceId: Id.optional() }),

  /** An ERP customer was created or changed (`externalId`: revsync's canonical id, if set). */
  'erp.customer.changed': z.object({
    customerId: Id,
    externalId: Id.optional(),
    change: Change,
  }),
  /** An ERP invoice changed (`externalId`: the billing invoice it posts, if revsync posted it). */
  'erp.invoice.changed': z.object({ invoiceId: Id, externalId: Id.optional() }),
  /** An ERP credit memo changed. */
  'erp.credit_memo.changed': z.object({ creditMemoId: Id, externalId: Id.optional() }),
  /** An ERP customer payment changed. */
  'erp.payment.changed': z.object({ paymentId: Id, externalId: Id.optional() }),

  /** revsync's own: a usage source closed a period (from the usage API). */
  'revsync.usage.period_closed': z.object({
    subscriptionItemId: Id,
    periodStart: z.string(),
    periodEnd: z.string(),
  }),
} as const;

/** A canonical event type, e.g. `billing.invoice.finalized`. */
export type CanonicalEventType = keyof typeof CANONICAL_EVENT_SCHEMAS;

/** Every canonical event type. */
export const CANONICAL_EVENT_TYPES = Object.keys(CANONICAL_EVENT_SCHEMAS) as CanonicalEventType[];

/** The data of a canonical event type. */
export type CanonicalEventData<T extends CanonicalEventType> = z.infer<
  (typeof CANONICAL_EVENT_SCHEMAS)[T]
>;

/** The current data schema version of every canonical event type. */
export const CANONICAL_SCHEMA_VERSION = 1;

/**
 * What a connector's `normalise` returns for one vendor event: the canonical type, the role
 * object it is about (`subject`, the vendor's id of it) and its data. The envelope around it —
 * ids, time, correlation, entity key, schema version, the vendor event it came from — is added
 * by the normalise stage.
 */
export type CanonicalEventInput = {
  [T in CanonicalEventType]: {
    type: T;
    subject: string;
    data: CanonicalEventData<T>;
    /** Overrides the vendor event's entity key (rarely needed). */
    entitykey?: string;
  };
}[CanonicalEventType];

/** True for a known canonical event type. */
export function isCanonicalEventType(type: string): type is CanonicalEventType {
  return Object.hasOwn(CANONICAL_EVENT_SCHEMAS, type);
}

/**
 * Validates a canonical event's data against its type's schema.
 *
 * @throws Error naming the type and the first problem, for an unknown type or bad data.
 */
export function parseCanonicalData<T extends CanonicalEventType>(
  type: T,
  data: unknown,
): CanonicalEventData<T> {
  const schema = (CANONICAL_EVENT_SCHEMAS as Record<string, z.ZodType | undefined>)[type];
  if (!schema) throw new Error(`unknown canonical event type ${type}`);
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${type} data: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data as CanonicalEventData<T>;
}

/** The data of a flow's trigger event, checked against the type's schema. */
export function canonicalData<T extends CanonicalEventType>(
  event: { type: string; data?: unknown },
  type: T,
): CanonicalEventData<T> {
  if (event.type !== type) throw new Error(`expected a ${type} event, got ${event.type}`);
  return parseCanonicalData(type, event.data);
}
