/**
 * The ports flows use to reach outside systems, in canonical terms (Money, ISO dates, canonical
 * ids). Each connector implements one of them for its vendor; flows import only these types.
 * A capability a system lacks is an optional member, never a method that throws.
 *
 * Conventions every implementation keeps:
 * - every write takes {@link WriteOptions}; its `idempotencyKey` (or the business external id the
 *   method documents) makes a repeated call converge instead of duplicating;
 * - failures are revsync errors (`RetryableError`, `RateLimitedError` with `retryAfterMs`,
 *   `ValidationError`, `AuthError`, `NotFoundError`, `ConflictError`), classified from the
 *   vendor's status and error codes;
 * - every call passes the connection's governor and circuit breaker (see `src/gateway/`), in the
 *   lane the caller asks for, and sends `traceparent` when given.
 */
import type { EventEnvelope } from '../model/event-envelope.ts';
import type { BillingReason } from '../model/entities/invoice.ts';
import type { Money } from '../model/money.ts';
import type { Lane } from '../gateway/lanes.ts';
import type { OutboundConnection } from '../gateway/outbound-gateway.ts';

/** Options of every read. */
export interface ReadOptions {
  signal?: AbortSignal;
  lane?: Lane;
  traceparent?: string;
}

/** Options of every write. */
export interface WriteOptions extends ReadOptions {
  /** Deterministic per (run, step): sent as the vendor's idempotency key where it has one. */
  idempotencyKey: string;
}

/** Options of a CRM billing write-back. */
export interface CrmBillingWriteOptions extends WriteOptions {
  /**
   * `true` (the default): read the fields first and send only those that differ, nothing when
   * all match, so a repeat bumps no modification stamp. `false`: send every given field without
   * reading — for a caller that already knows the values differ, or accepts a repeat (flows
   * decide with revsync's write-back ledger).
   */
  readBeforeWrite?: boolean;
}

/**
 * A time window for reconciliation's reads, `[from, to)` as ISO 8601 date-times: billing
 * documents created in it, ERP documents whose transaction date falls in it.
 */
export interface DocumentWindow {
  from: string;
  to: string;
}

/** A stream of pages: each page is one API call's worth, so memory stays bounded. */
export type DocumentPages<T> = AsyncIterable<readonly T[]>;

/** A postal address (ISO 3166-1 alpha-2 country). */
export interface PostalAddress {
  line1?: string;
  line2?: string;
  city?: string;
  postalCode?: string;
  state?: string;
  country: string;
}

// ---------------------------------------------------------------------------------------------
// Sources: how events come in
// ---------------------------------------------------------------------------------------------

/**
 * Envelope conventions for vendor events: `source` is the registered system name, `id` the
 * vendor's event id (or a stable id built from object id and modification stamp for polled
 * changes), `type` is `<system>.<object>.<action>` in lowercase, `subject` the vendor object's
 * id, `time` when it happened, `data` the vendor object as the vendor sent it. The inbox keeps
 * them as received; the connector's `normalise` says what they mean as canonical events.
 */
export type VendorEvent = EventEnvelope<Record<string, unknown>>;

/** The answer to a vendor's endpoint-validation request (no events, nothing stored). */
export interface WebhookHandshake {
  status: number;
  contentType: string;
  body: string;
}

/** Push: verifies a webhook delivery and turns it into events. */
export interface WebhookSource {
  /**
   * Vendors that validate an endpoint before delivering to it (Business Central's
   * `?validationToken=`, answered 200 `text/plain` with the token) ask this first: an answer is
   * sent as is, `undefined` means the request is a delivery for {@link verify}. Optional.
   */
  handshake?(query: URLSearchParams): WebhookHandshake | undefined;
  /**
   * Checks the signature against the raw body exactly as received and returns the events it
   * carries. A bad or stale signature throws `AuthError`; a body that is not the vendor's event
   * shape throws `ValidationError`.
   */
  verify(
    rawBody: string | Buffer,
    headers: Record<string, string | string[] | undefined>,
  ): VendorEvent[];
}

/** What one poll read. */
export interface PollResult {
  events: VendorEvent[];
  /** Where the next poll starts; saved in the same transaction as `events`. */
  cursor: string;
  /** More is waiting right now (poll again without delay). */
  hasMore: boolean;
}

/** Pull: reads what changed after a cursor (event list, change events, or a modstamp query). */
export interface PollSource {
  /** A stable name for the cursor row, e.g. `stripe:events`. */
  readonly cursorName: string;
  /**
   * Only a catch-up for webhook deliveries that were missed (the connector's webhooks carry the
   * same events). When the connection receives webhooks, it is polled at the connection's
   * `catchUpPollIntervalMs` instead of its `pollIntervalMs`.
   */
  readonly catchUp?: boolean;
  poll(cursor: string | undefined, options?: ReadOptions & { limit?: number }): Promise<PollResult>;
}

// ---------------------------------------------------------------------------------------------
// CRM
// ---------------------------------------------------------------------------------------------

export interface CrmAccount {
  id: string;
  name: string;
  /** Lowercase web domain, from the website field. */
  domain?: string;
  taxId?: { type: string; value: string };
  email?: string;
  billingAddress?: PostalAddress;
  /** ISO 4217, when the CRM has multi-currency. */
  currency?: string;
  /** Sales region, e.g. `NA`, `UK`, `EU`. */
  region?: string;
  /** The canonical customer id revsync stored on the account, if any. */
  revsyncId?: string;
  modifiedAt: string;
}

export interface CrmOpportunityLine {
  id: string;
  productCode: string;
  productName: string;
  quantity: number;
  /** Price per unit per billing interval. */
  unitAmount: Money;
  interval: 'month' | 'year';
}

export interface CrmOpportunity {
  id: string;
  accountId: string;
  name: string;
  stage: string;
  isWon: boolean;
  isClosed: boolean;
  closeDate: string;
  currency: string;
  /** `New Business`, `Amendment`, `Renewal`… */
  type?: string;
  /** For amendments: the billing subscription this opportunity changes. */
  subscriptionId?: string;
  lines: CrmOpportunityLine[];
  modifiedAt: string;
  /**
   * The opportunity's account, when the CRM read it in the same call (a flow can use it instead
   * of reading the account again). Absent when the CRM did not, or its fields did not map.
   */
  account?: CrmAccount;
}

/** What revsync writes back to the CRM so sales sees the true billing state. */
export interface CrmBillingStatus {
  revsyncId?: string;
  billingCustomerId?: string;
  subscriptionId?: string;
  subscriptionStatus?: string;
  /** Monthly recurring revenue in the subscription currency. */
  mrr?: Money;
  paymentStatus?: string;
  lastPaymentAt?: string;
  churned?: boolean;
}

/** An opportunity's billing fields as the CRM shows them (reconciliation's CRM side). */
export interface CrmOpportunityBilling {
  opportunityId: string;
  subscriptionId?: string;
  subscriptionStatus?: string;
  /** MRR in the currency written with it. */
  mrr?: Money;
}

export interface CrmSystem {
  /** The registered system name (`connections.crm.system`). */
  readonly system: string;
  getAccount(id: string, options?: ReadOptions): Promise<CrmAccount>;
  getOpportunity(id: string, options?: ReadOptions): Promise<CrmOpportunity>;
  /** Updates the account's billing fields (a partial update). */
  updateAccountBilling(
    accountId: string,
    status: CrmBillingStatus,
    options: CrmBillingWriteOptions,
  ): Promise<void>;
  /** Updates the opportunity's billing fields (subscription id, status). */
  updateOpportunityBilling(
    opportunityId: string,
    status: CrmBillingStatus,
    options: CrmBillingWriteOptions,
  ): Promise<void>;
  /** Reads the billing fields back (reconciliation and the simulator's invariants). */
  getAccountBilling(accountId: string, options?: ReadOptions): Promise<CrmBillingStatus>;
  /**
   * Every opportunity that carries a billing subscription, with its billing fields, one page per
   * call (reconciliation's `crm_status_mismatch` and `mrr_mismatch`).
   */
  pageOpportunityBilling?(options?: ReadOptions): DocumentPages<CrmOpportunityBilling>;
}

// ---------------------------------------------------------------------------------------------
// Billing
// ---------------------------------------------------------------------------------------------

export interface BillingCustomerInput {
  /** The canonical customer id; stored in the billing customer's metadata and used to find it. */
  revsyncId: string;
  name: string;
  email?: string;
  address?: PostalAddress;
  taxId?: { type: string; value: string };
  currency: string;
  /** Test payment method or saved method to attach as default (e.g. `pm_card_visa`). */
  paymentMethod?: string;
  metadata?: Record<string, string>;
}

export interface BillingPriceInput {
  productCode: string;
  productName: string;
  unitAmount: Money;
  interval: 'month' | 'year';
}

export interface BillingSubscriptionItem {
  id: string;
  priceId: string;
  productCode?: string;
  quantity: number;
  unitAmount: Money;
  interval: 'month' | 'year';
}

export interface BillingSubscription {
  id: string;
  customerId: string;
  status: string;
  currency: string;
  items: BillingSubscriptionItem[];
  currentPeriodStart: string;
  currentPeriodEnd: string;
  cancelAtPeriodEnd: boolean;
  canceledAt?: string;
  latestInvoiceId?: string;
  /**
   * The latest invoice as the platform answered it with the write that made it (Stripe's
   * `subscriptions.create` with `latest_invoice` expanded), so the caller need not read it
   * again. Optional: absent when the platform did not return it (and on reads). It can still be
   * a draft, which changes until it is finalized: a caller that needs the final invoice reads it.
   */
  latestInvoice?: BillingInvoice;
  metadata: Record<string, string>;
}

export interface BillingInvoiceLine {
  id: string;
  description: string;
  quantity: number;
  unitAmount?: Money;
  amount: Money;
  tax: Money;
  periodStart: string;
  periodEnd: string;
  proration: boolean;
  productCode?: string;
  priceId?: string;
  subscriptionItemId?: string;
}

export interface BillingInvoice {
  id: string;
  number?: string;
  customerId: string;
  subscriptionId?: string;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  /** Why it was billed, in the canonical model's words (the vendor's are mapped). */
  billingReason: BillingReason;
  currency: string;
  lines: BillingInvoiceLine[];
  subtotal: Money;
  tax: Money;
  total: Money;
  amountPaid: Money;
  amountDue: Money;
  createdAt: string;
  finalizedAt?: string;
  paidAt?: string;
  periodStart?: string;
  periodEnd?: string;
  /** The payment (intent) that paid or tries to pay it. */
  paymentId?: string;
  /** Canonical customer id from the invoice's or subscription's metadata. */
  revsyncId?: string;
}

export interface BillingPayment {
  id: string;
  invoiceId?: string;
  customerId: string;
  status: 'pending' | 'succeeded' | 'failed' | 'refunded' | 'partially_refunded';
  amount: Money;
  amountRefunded: Money;
  createdAt: string;
  failureReason?: string;
}

export interface BillingRefund {
  id: string;
  paymentId: string;
  /** The customer of the refunded payment, when the vendor's refund carries it. */
  customerId?: string;
  invoiceId?: string;
  amount: Money;
  status: string;
  createdAt: string;
}

export interface BillingCreditNote {
  id: string;
  invoiceId: string;
  customerId: string;
  number?: string;
  status: string;
  total: Money;
  lines: { description: string; amount: Money; quantity: number }[];
  reason?: string;
  createdAt: string;
}

/** A balance transaction a payout settles, in canonical terms. */
export interface BillingPayoutTransaction {
  id: string;
  type: 'charge' | 'refund' | 'adjustment' | 'fee';
  /** Gross, signed: charges positive, refunds negative. */
  amount: Money;
  /** Processing fee withheld on it (positive or zero). */
  fee: Money;
  /** What it settles: the billing payment (for a charge) or the refund, when it has one. */
  sourceId?: string;
  createdAt: string;
}

/** A payout to the bank with every balance transaction it settles. */
export interface BillingPayout {
  id: string;
  status: 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';
  /** Net amount paid to the bank. */
  amount: Money;
  createdAt: string;
  /** `YYYY-MM-DD` the money reaches the bank. */
  arrivalDate: string;
  transactions: BillingPayoutTransaction[];
}

export interface BillingSystem {
  /** The registered system name (`connections.billing.system`). */
  readonly system: string;
  /** Finds the customer by `revsyncId` (metadata) or creates it (idempotently). */
  upsertCustomer(
    input: BillingCustomerInput,
    options: WriteOptions,
  ): Promise<{ id: string; created: boolean }>;
  /** Finds the recurring price by a stable lookup key (product code, amount, currency, interval) or creates it. */
  ensurePrice(
    input: BillingPriceInput,
    options: WriteOptions,
  ): Promise<{ priceId: string; productId: string }>;
  createSubscription(
    input: {
      customerId: string;
      items: { priceId: string; quantity: number }[];
      metadata: Record<string, string>;
    },
    options: WriteOptions,
  ): Promise<BillingSubscription>;
  /**
   * Changes items (price and/or quantity) mid-cycle and invoices the proration at once
   * (Stripe `proration_behavior=always_invoice`). Items not named are kept.
   */
  amendSubscription(
    subscriptionId: string,
    /** `metadata` keys are merged into the subscription's (revsync sets its correlation id). */
    change: {
      items: { itemId?: string; priceId: string; quantity: number }[];
      metadata?: Record<string, string>;
    },
    options: WriteOptions,
  ): Promise<BillingSubscription>;
  cancelSubscription(
    subscriptionId: string,
    mode: { atPeriodEnd: boolean },
    options: WriteOptions,
  ): Promise<BillingSubscription>;
  getSubscription(id: string, options?: ReadOptions): Promise<BillingSubscription>;
  getInvoice(id: string, options?: ReadOptions): Promise<BillingInvoice>;
  listInvoices(
    filter: { customerId?: string; subscriptionId?: string; createdAfter?: string },
    options?: ReadOptions,
  ): Promise<BillingInvoice[]>;
  /**
   * A payment. `options.invoiceId` is what the caller already knows about it (the invoice it
   * paid, e.g. the invoice the payment id was read from): an implementation may use it as the
   * payment's `invoiceId` instead of asking the platform, and ignore it otherwise.
   */
  getPayment(id: string, options?: ReadOptions & { invoiceId?: string }): Promise<BillingPayment>;
  getRefund(id: string, options?: ReadOptions): Promise<BillingRefund>;
  getCreditNote(id: string, options?: ReadOptions): Promise<BillingCreditNote>;
  /**
   * Reconciliation's reads: every document of a kind created in the window, one page per API
   * call. Optional; a system without them is reconciled on what it offers.
   */
  pageInvoices?(window: DocumentWindow, options?: ReadOptions): DocumentPages<BillingInvoice>;
  pagePayments?(window: DocumentWindow, options?: ReadOptions): DocumentPages<BillingPayment>;
  pageRefunds?(window: DocumentWindow, options?: ReadOptions): DocumentPages<BillingRefund>;
  pageCreditNotes?(window: DocumentWindow, options?: ReadOptions): DocumentPages<BillingCreditNote>;
  /** Every subscription, whatever its status (reconciliation against the CRM). */
  pageSubscriptions?(options?: ReadOptions): DocumentPages<BillingSubscription>;
  /** A payout with its balance transactions. Optional (systems that settle no payouts). */
  getPayout?(id: string, options?: ReadOptions): Promise<BillingPayout>;
  /** Every payout arriving in the window, with its transactions, one page per API call. */
  pagePayouts?(window: DocumentWindow, options?: ReadOptions): DocumentPages<BillingPayout>;
  /**
   * Bills metered usage for one subscription item and period as a pending invoice item
   * (quantity × the item's unit amount), picked up by the next invoice. Idempotent per
   * `options.idempotencyKey`.
   */
  reportUsage?(
    input: {
      subscriptionItemId: string;
      quantity: number;
      periodStart: string;
      periodEnd: string;
      description: string;
    },
    options: WriteOptions,
  ): Promise<{ id: string }>;
}

// ---------------------------------------------------------------------------------------------
// ERP
// ---------------------------------------------------------------------------------------------

export interface ErpCustomerInput {
  /** The canonical customer id, used as the ERP external id. */
  externalId: string;
  name: string;
  email?: string;
  subsidiary: string;
  currency: string;
  address?: PostalAddress;
  taxId?: string;
}

/** A customer as the ERP holds it (the fields the ERP owns by default, and its name). */
export interface ErpCustomer {
  id: string;
  externalId: string;
  name: string;
  currency: string;
  subsidiary: string;
  email?: string;
}

export interface ErpInvoiceLineInput {
  description: string;
  /** ERP item reference (external id or code); a default service item is used when absent. */
  item?: string;
  quantity: number;
  /** Net amount of the line (tax excluded); may be negative for proration credits. */
  amount: Money;
  revRecStart?: string;
  revRecEnd?: string;
}

export interface ErpInvoiceInput {
  /** The billing invoice's id (e.g. the Stripe invoice id): one ERP invoice per billing invoice. */
  externalId: string;
  customerExternalId: string;
  subsidiary: string;
  currency: string;
  tranDate: string;
  /** The billing invoice number, for people. */
  memo?: string;
  lines: ErpInvoiceLineInput[];
  tax: Money;
  total: Money;
}

export interface ErpInvoice {
  id: string;
  externalId: string;
  customerExternalId?: string;
  subsidiary: string;
  currency: string;
  subtotal: Money;
  tax: Money;
  total: Money;
  amountRemaining: Money;
  status: string;
  lineCount: number;
}

export interface ErpPaymentInput {
  /** The billing payment's id: one ERP payment per billing payment. */
  externalId: string;
  customerExternalId: string;
  invoiceExternalId: string;
  amount: Money;
  date: string;
  memo?: string;
}

export interface ErpPayment {
  id: string;
  externalId: string;
  amount: Money;
  appliedTo: { invoiceExternalId: string; amount: Money }[];
}

export interface ErpCreditMemoInput {
  /** The billing credit note's (or refund's) id. */
  externalId: string;
  customerExternalId: string;
  invoiceExternalId?: string;
  currency: string;
  tranDate: string;
  memo?: string;
  lines: ErpInvoiceLineInput[];
  total: Money;
}

export interface ErpCreditMemo {
  id: string;
  externalId: string;
  total: Money;
  status: string;
}

/** What one credit memo pays of one invoice (a customer credit billing used). */
export interface ErpCreditApplication {
  /** The credit memo's external id. */
  creditMemoExternalId: string;
  invoiceExternalId: string;
  /** The amount applied; applying again with the same amount changes nothing. */
  amount: Money;
}

/** A line of a bank deposit: one settled billing transaction at its gross amount. */
export interface ErpDepositLineInput {
  /** `payment`: the ERP customer payment whose external id is `reference` is deposited. */
  kind: 'payment' | 'refund' | 'adjustment';
  /** The billing payment, refund or balance transaction id. */
  reference: string;
  /** Signed: refunds negative. */
  amount: Money;
  memo?: string;
}

export interface ErpDepositInput {
  /** The payout's id: one ERP deposit per payout. */
  externalId: string;
  subsidiary: string;
  currency: string;
  tranDate: string;
  memo?: string;
  lines: ErpDepositLineInput[];
  /** All fees withheld (positive), booked on one line to `feeAccount`. */
  fee: Money;
  /** The ERP's fee account (NetSuite: account internal id); the connector's default when absent. */
  feeAccount?: string;
  /** Lines minus fee: the payout's amount. */
  total: Money;
}

/** A bank deposit as the ERP holds it. */
export interface ErpDeposit {
  id: string;
  externalId?: string;
  subsidiary: string;
  currency: string;
  tranDate: string;
  total: Money;
  /** Fees booked (positive). */
  fee: Money;
  /** Each line's reference: the deposited payment's external id, or the line's reference number. */
  lines: { reference: string; amount: Money }[];
  memo?: string;
}

/** An ERP document kind reconciliation reads. */
export type ErpDocumentKind = 'invoice' | 'credit_memo' | 'payment';

/** An ERP document as reconciliation reads it, in the ERP's own books. */
export interface ErpListedDocument {
  kind: ErpDocumentKind;
  /** The ERP's internal id. */
  id: string;
  /** The external id it was posted with (revsync posts the billing document's id), if any. */
  externalId?: string;
  /** The customer's external id (the canonical customer id), if it has one. */
  customerExternalId?: string;
  /** The customer's internal id. */
  customerId: string;
  /** The subsidiary (legal entity, company, realm) it is booked in. */
  subsidiary: string;
  /** Positive for every kind (a credit memo's total is the credit). */
  total: Money;
  tax?: Money;
  /** Transaction date, `YYYY-MM-DD`. */
  tranDate: string;
  /** The accounting period it is posted in, `YYYY-MM`, when the ERP says. */
  postingPeriod?: string;
  memo?: string;
  /** `open` (amount remaining), `paid` (nothing remaining) or `void`. */
  status: 'open' | 'paid' | 'void';
  /** Customer payments: the invoices they are applied to. */
  appliedTo?: { invoiceExternalId?: string; invoiceId?: string; amount: Money }[];
}

export interface ErpSystem {
  /** The registered system name (`connections.erp.system`). */
  readonly system: string;
  /** Creates or updates the customer with `externalId` (NetSuite: `PUT customer/eid:…`). */
  upsertCustomer(input: ErpCustomerInput, options: WriteOptions): Promise<{ id: string }>;
  /** Creates or updates the invoice with `externalId`. */
  upsertInvoice(input: ErpInvoiceInput, options: WriteOptions): Promise<{ id: string }>;
  /** Creates or updates the customer payment with `externalId`, applied to the invoice. */
  upsertPayment(input: ErpPaymentInput, options: WriteOptions): Promise<{ id: string }>;
  /** Creates or updates the credit memo with `externalId` (credit notes and refunds). */
  upsertCreditMemo(input: ErpCreditMemoInput, options: WriteOptions): Promise<{ id: string }>;
  /** The customer with this external id (the canonical customer id), if any. */
  getCustomer(externalId: string, options?: ReadOptions): Promise<ErpCustomer | undefined>;
  getInvoice(externalId: string, options?: ReadOptions): Promise<ErpInvoice | undefined>;
  getPayment(externalId: string, options?: ReadOptions): Promise<ErpPayment | undefined>;
  getCreditMemo(externalId: string, options?: ReadOptions): Promise<ErpCreditMemo | undefined>;
  /**
   * The accounting periods (`YYYY-MM`) the ERP refuses receivables postings in (closed, or
   * locked for A/R), oldest first. Connectors may cache it briefly; `fresh` reads it again.
   * Optional.
   */
  lockedPeriods?(options?: ReadOptions & { fresh?: boolean }): Promise<string[]>;
  /**
   * Applies a credit memo to an invoice for `amount` (set, not added: a repeat converges),
   * keeping what the memo already applies elsewhere. Optional.
   */
  applyCreditMemo?(input: ErpCreditApplication, options: WriteOptions): Promise<void>;
  /**
   * Reconciliation's read: every document of a kind dated in the window, one page per API
   * call, whoever posted it (revsync, a person, an earlier script). Optional.
   */
  pageDocuments?(
    kind: ErpDocumentKind,
    window: DocumentWindow,
    options?: ReadOptions,
  ): DocumentPages<ErpListedDocument>;
  /**
   * Creates or updates the bank deposit with `externalId` (payment lines need the customer
   * payments in the ERP: `NotFoundError` otherwise). Optional.
   */
  upsertDeposit?(input: ErpDepositInput, options: WriteOptions): Promise<{ id: string }>;
  /** Every bank deposit dated in the window, one page per API call. Optional. */
  pageDeposits?(window: DocumentWindow, options?: ReadOptions): DocumentPages<ErpDeposit>;
  /** Every customer with this external id (more than one is a duplicate). */
  findCustomers(
    filter: { externalId?: string; name?: string },
    options?: ReadOptions,
  ): Promise<{ id: string; externalId?: string; name: string }[]>;
}

// ---------------------------------------------------------------------------------------------
// What every connector's index.ts returns
// ---------------------------------------------------------------------------------------------

/**
 * A connector: the port it implements for flows, its outbound connection (governor + circuit),
 * and how its events come in. `webhooks` and `pollers` are absent when the system lacks them.
 */
export interface Connector<Port> {
  /** The registered system name, e.g. the one in `connections.<role>.system`. */
  readonly system: string;
  readonly port: Port;
  readonly connection: OutboundConnection;
  /** Push: verifies and converts webhook deliveries. */
  readonly webhooks?: WebhookSource;
  /** Pull: change feeds read on an interval (event lists, change events, modstamp queries). */
  readonly pollers: PollSource[];
  /** Cheap authenticated call proving credentials and reachability. */
  check(options?: ReadOptions): Promise<void>;
  close?(): Promise<void>;
}
