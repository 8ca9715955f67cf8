/**
 * The role-level documents reconciliation reads: what a billing, ERP or CRM connector's list
 * methods will yield for a period, already in canonical terms (integer minor units, ISO 4217,
 * `YYYY-MM` periods, role-level statuses). Reconciliation never sees a vendor's payload, so one
 * matcher serves every stack; the converters at the bottom build these from the port types.
 */
import type {
  BillingCreditNote,
  BillingInvoice,
  BillingPayment,
  BillingRefund,
  ErpListedDocument,
  ErpPayment,
} from '../connectors/ports.ts';

/** A billing document kind. Each has one expected ERP counterpart (see `expectedErpKind`). */
export type BillingDocumentKind = 'invoice' | 'credit_note' | 'payment' | 'refund';

/** A document of the billing system, as reconciliation reads it. */
export interface BillingDocument {
  kind: BillingDocumentKind;
  /** The billing id; revsync posts it as the ERP document's external id. */
  id: string;
  /** The canonical customer id (the ERP customer's external id). */
  customer: string;
  /** The ERP subsidiary the customer belongs to, when known on the billing side. */
  subsidiary?: string;
  /** ISO 4217. */
  currency: string;
  /** Total in integer minor units, signed as billed (a downgrade's proration invoice is negative). */
  amount: number;
  /** Tax in minor units (invoices and credit notes). */
  tax?: number;
  /** Accounting period the document belongs to, `YYYY-MM`. */
  period: string;
  /** ISO 8601 date or date-time the document counts from (finalized, paid, refunded). */
  date: string;
  /** The human reference (invoice number) that revsync writes into the ERP memo. */
  reference?: string;
  /**
   * Role-level status: invoices `draft | open | paid | void | uncollectible`; payments
   * `pending | succeeded | failed | refunded | partially_refunded`; refunds and credit notes
   * `succeeded | pending | failed | issued | void`.
   */
  status: string;
  /** Payments, refunds and credit notes: the billing invoice they belong to. */
  invoiceId?: string;
  /** Cross-references: ERP internal ids revsync recorded for this document. */
  erpIds?: readonly string[];
}

/** An ERP document kind. */
export type ErpDocumentKind = 'invoice' | 'credit_memo' | 'payment';

/** How an ERP customer payment is applied. */
export interface ErpApplication {
  /** The applied invoice's external id (the billing invoice id). */
  invoiceExternalId?: string;
  /** The applied invoice's ERP internal id. */
  invoiceId?: string;
  amount: number;
}

/** A document of the ERP, as reconciliation reads it. */
export interface ErpDocument {
  kind: ErpDocumentKind;
  /** The ERP's internal id. */
  id: string;
  /** The external id it was posted with (the billing id), if any. */
  externalId?: string;
  customer: string;
  subsidiary: string;
  currency: string;
  /** Total in minor units; credit memos are positive. */
  amount: number;
  tax?: number;
  /** The accounting period it is posted in, `YYYY-MM`. */
  period: string;
  /** Transaction date, ISO 8601. */
  date: string;
  memo?: string;
  /** Role-level status: `open | paid | void` (the connector maps its own names). */
  status: string;
  /** Customer payments: what they are applied to. */
  applications?: readonly ErpApplication[];
}

/** A subscription's true state, from the billing system. */
export interface BillingSubscriptionState {
  id: string;
  customer: string;
  /** The CRM record (account or deal) that should show it. */
  crmId?: string;
  subsidiary?: string;
  status: string;
  /** Monthly recurring revenue in minor units. */
  mrr: number;
  currency: string;
}

/** What the CRM shows about a customer's subscription. */
export interface CrmAccountState {
  id: string;
  customer?: string;
  subscriptionId?: string;
  status?: string;
  mrr?: number;
  currency?: string;
}

/** A stream of pages; a connector's list method yields one page per API call. */
export type Pages<T> = AsyncIterable<readonly T[]>;

/** What reconciliation reads. Every source is optional: an absent one is simply not compared. */
export interface ReconSources {
  billing: {
    invoices?: Pages<BillingDocument>;
    creditNotes?: Pages<BillingDocument>;
    payments?: Pages<BillingDocument>;
    refunds?: Pages<BillingDocument>;
    subscriptions?: Pages<BillingSubscriptionState>;
  };
  erp: {
    invoices?: Pages<ErpDocument>;
    creditMemos?: Pages<ErpDocument>;
    payments?: Pages<ErpDocument>;
  };
  crm?: { accounts?: Pages<CrmAccountState> };
}

/** Where the billing document is expected in the ERP. */
export function expectedErpKind(doc: Pick<BillingDocument, 'kind' | 'amount'>): ErpDocumentKind {
  if (doc.kind === 'payment') return 'payment';
  if (doc.kind === 'invoice') return doc.amount < 0 ? 'credit_memo' : 'invoice';
  return 'credit_memo';
}

const periodOf = (date: string) => date.slice(0, 7);

/** Whether `text` is an accounting period, `YYYY-MM`. */
export function isPeriod(text: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(text);
}

/** Context the billing port does not carry: the ERP subsidiary of the customer. */
export interface BillingContext {
  subsidiary?: string;
  /** Cross-references from revsync's map (billing id → ERP internal ids). */
  erpIds?: readonly string[];
}

/** A port invoice → a reconciliation document (period from the finalization date). */
export function fromBillingInvoice(
  invoice: BillingInvoice,
  ctx: BillingContext = {},
): BillingDocument {
  const date = invoice.finalizedAt ?? invoice.createdAt;
  return {
    kind: 'invoice',
    id: invoice.id,
    customer: invoice.revsyncId ?? invoice.customerId,
    ...(ctx.subsidiary !== undefined && { subsidiary: ctx.subsidiary }),
    currency: invoice.total.currency,
    amount: invoice.total.amount,
    tax: invoice.tax.amount,
    period: periodOf(date),
    date,
    ...(invoice.number !== undefined && { reference: invoice.number }),
    status: invoice.status,
    ...(ctx.erpIds && { erpIds: ctx.erpIds }),
  };
}

/** A port payment → a reconciliation document. */
export function fromBillingPayment(
  payment: BillingPayment,
  ctx: BillingContext & { customer?: string } = {},
): BillingDocument {
  return {
    kind: 'payment',
    id: payment.id,
    customer: ctx.customer ?? payment.customerId,
    ...(ctx.subsidiary !== undefined && { subsidiary: ctx.subsidiary }),
    currency: payment.amount.currency,
    amount: payment.amount.amount,
    period: periodOf(payment.createdAt),
    date: payment.createdAt,
    status: payment.status,
    ...(payment.invoiceId !== undefined && { invoiceId: payment.invoiceId }),
    ...(ctx.erpIds && { erpIds: ctx.erpIds }),
  };
}

/** A port refund → a reconciliation document (the port carries no customer: pass it). */
export function fromBillingRefund(
  refund: BillingRefund,
  ctx: BillingContext & { customer: string },
): BillingDocument {
  return {
    kind: 'refund',
    id: refund.id,
    customer: ctx.customer,
    ...(ctx.subsidiary !== undefined && { subsidiary: ctx.subsidiary }),
    currency: refund.amount.currency,
    amount: refund.amount.amount,
    period: periodOf(refund.createdAt),
    date: refund.createdAt,
    status: refund.status,
    ...(refund.invoiceId !== undefined && { invoiceId: refund.invoiceId }),
    ...(ctx.erpIds && { erpIds: ctx.erpIds }),
  };
}

/** A port credit note → a reconciliation document. */
export function fromBillingCreditNote(
  note: BillingCreditNote,
  ctx: BillingContext & { customer?: string } = {},
): BillingDocument {
  return {
    kind: 'credit_note',
    id: note.id,
    customer: ctx.customer ?? note.customerId,
    ...(ctx.subsidiary !== undefined && { subsidiary: ctx.subsidiary }),
    currency: note.total.currency,
    amount: note.total.amount,
    period: periodOf(note.createdAt),
    date: note.createdAt,
    ...(note.number !== undefined && { reference: note.number }),
    status: note.status,
    invoiceId: note.invoiceId,
    ...(ctx.erpIds && { erpIds: ctx.erpIds }),
  };
}

/**
 * A port ERP payment → a reconciliation document. The port's payment has no customer, date,
 * period or status (the list method that will feed reconciliation must add them): pass them.
 */
export function fromErpPayment(
  payment: ErpPayment,
  ctx: { customer: string; subsidiary: string; date: string; period?: string; memo?: string },
): ErpDocument {
  return {
    kind: 'payment',
    id: payment.id,
    externalId: payment.externalId,
    customer: ctx.customer,
    subsidiary: ctx.subsidiary,
    currency: payment.amount.currency,
    amount: payment.amount.amount,
    period: ctx.period ?? periodOf(ctx.date),
    date: ctx.date,
    ...(ctx.memo !== undefined && { memo: ctx.memo }),
    status: 'paid',
    applications: payment.appliedTo.map((a) => ({
      invoiceExternalId: a.invoiceExternalId,
      amount: a.amount.amount,
    })),
  };
}

/** An ERP port's listed document → a reconciliation document (period from the posting period, else the date). */
export function fromErpListed(doc: ErpListedDocument): ErpDocument {
  return {
    kind: doc.kind,
    id: doc.id,
    ...(doc.externalId !== undefined && { externalId: doc.externalId }),
    customer: doc.customerExternalId ?? doc.customerId,
    subsidiary: doc.subsidiary,
    currency: doc.total.currency,
    amount: doc.total.amount,
    ...(doc.tax !== undefined && { tax: doc.tax.amount }),
    period: doc.postingPeriod ?? periodOf(doc.tranDate),
    date: doc.tranDate,
    ...(doc.memo !== undefined && { memo: doc.memo }),
    status: doc.status,
    ...(doc.appliedTo && {
      applications: doc.appliedTo.map((a) => ({
        ...(a.invoiceExternalId !== undefined && { invoiceExternalId: a.invoiceExternalId }),
        ...(a.invoiceId !== undefined && { invoiceId: a.invoiceId }),
        amount: a.amount.amount,
      })),
    }),
  };
}
