import * as kit from '../kit/index.ts';

/** A stored Chargebee object: the JSON the API returns, plus its fields the emulator reads. */
export type Json = Record<string, unknown>;

export interface CustomerObject extends Json {
  id: string;
  object: 'customer';
  email?: string;
  company?: string;
  auto_collection: 'on' | 'off';
  preferred_currency_code?: string;
  primary_payment_source_id?: string;
  billing_address?: Record<string, string>;
  meta_data?: Json;
  created_at: number;
  updated_at: number;
  resource_version: number;
  deleted: boolean;
}

export interface ItemFamilyObject extends Json {
  id: string;
  object: 'item_family';
  name: string;
  status: 'active';
}

export interface ItemObject extends Json {
  id: string;
  object: 'item';
  name: string;
  type: 'plan' | 'addon' | 'charge';
  item_family_id: string;
  status: 'active' | 'archived';
  metadata?: Json;
}

export interface ItemPriceObject extends Json {
  id: string;
  object: 'item_price';
  name: string;
  item_id: string;
  item_type: 'plan' | 'addon' | 'charge';
  item_family_id: string;
  status: 'active' | 'archived';
  pricing_model: 'per_unit' | 'flat_fee';
  price: number;
  currency_code: string;
  period: number;
  period_unit: 'day' | 'week' | 'month' | 'year';
  metadata?: Json;
}

export interface SubscriptionItem extends Json {
  item_price_id: string;
  item_type: 'plan' | 'addon' | 'charge';
  quantity: number;
  unit_price: number;
  amount: number;
  free_quantity: number;
  object: 'subscription_item';
}

export interface SubscriptionObject extends Json {
  id: string;
  object: 'subscription';
  customer_id: string;
  status: 'active' | 'non_renewing' | 'cancelled';
  currency_code: string;
  billing_period: number;
  billing_period_unit: 'day' | 'week' | 'month' | 'year';
  current_term_start: number;
  current_term_end: number;
  next_billing_at?: number;
  started_at: number;
  activated_at: number;
  created_at: number;
  updated_at: number;
  cancelled_at?: number;
  cancel_reason_code?: string;
  resource_version: number;
  subscription_items: SubscriptionItem[];
  meta_data?: Json;
  mrr: number;
  due_invoices_count: number;
  deleted: boolean;
}

export interface LineItem extends Json {
  id: string;
  object: 'line_item';
  date_from: number;
  date_to: number;
  unit_amount: number;
  quantity: number;
  amount: number;
  pricing_model: 'per_unit' | 'flat_fee';
  is_taxed: boolean;
  tax_amount: number;
  tax_rate?: number;
  discount_amount: number;
  item_level_discount_amount: number;
  description: string;
  entity_type: 'plan_item_price' | 'addon_item_price' | 'charge_item_price' | 'adhoc';
  entity_id?: string;
  subscription_id?: string;
  customer_id: string;
  proration_mode?: 'delta';
}

export interface InvoiceObject extends Json {
  id: string;
  object: 'invoice';
  customer_id: string;
  subscription_id?: string;
  recurring: boolean;
  status: 'paid' | 'payment_due' | 'posted' | 'not_paid' | 'voided';
  price_type: 'tax_exclusive';
  date: number;
  due_date: number;
  currency_code: string;
  sub_total: number;
  tax: number;
  total: number;
  amount_paid: number;
  amount_adjusted: number;
  credits_applied: number;
  amount_due: number;
  write_off_amount: number;
  paid_at?: number;
  dunning_status?: 'in_progress' | 'success';
  first_invoice: boolean;
  generated_at: number;
  updated_at: number;
  resource_version: number;
  line_items: LineItem[];
  taxes: { name: string; amount: number; description: string }[];
  line_item_taxes: Json[];
  linked_payments: Json[];
  applied_credits: Json[];
  adjustment_credit_notes: Json[];
  issued_credit_notes: Json[];
  deleted: boolean;
}

export interface CreditNoteObject extends Json {
  id: string;
  object: 'credit_note';
  customer_id: string;
  subscription_id?: string;
  reference_invoice_id: string;
  type: 'adjustment' | 'refundable';
  reason_code?: string;
  create_reason_code: string;
  status: 'adjusted' | 'refunded' | 'refund_due' | 'voided';
  date: number;
  price_type: 'tax_exclusive';
  currency_code: string;
  sub_total: number;
  total: number;
  amount_allocated: number;
  amount_refunded: number;
  amount_available: number;
  refunded_at?: number;
  generated_at: number;
  updated_at: number;
  resource_version: number;
  line_items: LineItem[];
  taxes: { name: string; amount: number; description: string }[];
  linked_refunds: Json[];
  allocations: Json[];
  deleted: boolean;
}

export interface TransactionObject extends Json {
  id: string;
  object: 'transaction';
  customer_id: string;
  subscription_id?: string;
  payment_source_id?: string;
  payment_method: 'card';
  gateway: 'chargebee';
  gateway_account_id: string;
  type: 'payment' | 'refund';
  date: number;
  amount: number;
  currency_code: string;
  status: 'success' | 'failure' | 'in_progress';
  error_code?: string;
  error_text?: string;
  amount_unused: number;
  reference_transaction_id?: string;
  linked_invoices: Json[];
  linked_credit_notes: Json[];
  linked_refunds: Json[];
  updated_at: number;
  resource_version: number;
  deleted: boolean;
}

export interface PaymentSourceObject extends Json {
  id: string;
  object: 'payment_source';
  customer_id: string;
  type: 'card';
  status: 'valid';
  reference_id: string;
  gateway: 'chargebee';
  card: {
    first_name?: string;
    last4: string;
    brand: string;
    funding_type: 'credit';
    object: 'card';
  };
  /** Not Chargebee's: whether charges on this test card decline. */
  declines: boolean;
}

export interface UnbilledChargeObject extends Json {
  id: string;
  object: 'unbilled_charge';
  customer_id: string;
  subscription_id: string;
  date_from: number;
  date_to: number;
  unit_amount: number;
  quantity: number;
  amount: number;
  currency_code: string;
  pricing_model: 'flat_fee';
  description: string;
  entity_type: 'adhoc';
  is_voided: boolean;
  updated_at: number;
  deleted: boolean;
}

export interface EventObject extends Json {
  id: string;
  object: 'event';
  occurred_at: number;
  source: 'api' | 'scheduled_job' | 'admin_console';
  api_version: 'v2';
  event_type: string;
  webhook_status: 'not_configured' | 'scheduled' | 'succeeded' | 'failed';
  content: Json;
}

export interface SavedResponse {
  fingerprint: string;
  method: string;
  path: string;
  status: number;
  body: unknown;
  at: number;
}

/** The whole site. Maps keep insertion order, which is creation order. */
export interface ChargebeeState {
  customers: Map<string, CustomerObject>;
  itemFamilies: Map<string, ItemFamilyObject>;
  items: Map<string, ItemObject>;
  itemPrices: Map<string, ItemPriceObject>;
  subscriptions: Map<string, SubscriptionObject>;
  invoices: Map<string, InvoiceObject>;
  creditNotes: Map<string, CreditNoteObject>;
  transactions: Map<string, TransactionObject>;
  paymentSources: Map<string, PaymentSourceObject>;
  unbilledCharges: Map<string, UnbilledChargeObject>;
  events: EventObject[];
  idempotency: Map<string, SavedResponse>;
  /** The time machine's genesis (site creation) time, Unix seconds. */
  genesisTime: number;
  invoiceSeq: number;
  creditNoteSeq: number;
}

export function createChargebeeState(now: number): ChargebeeState {
  return {
    customers: new Map(),
    itemFamilies: new Map(),
    items: new Map(),
    itemPrices: new Map(),
    subscriptions: new Map(),
    invoices: new Map(),
    creditNotes: new Map(),
    transactions: new Map(),
    paymentSources: new Map(),
    unbilledCharges: new Map(),
    events: [],
    idempotency: new Map(),
    genesisTime: now,
    invoiceSeq: 0,
    creditNoteSeq: 0,
  };
}

export function clearChargebeeState(state: ChargebeeState, now: number): void {
  Object.assign(state, createChargebeeState(now));
}

export function dumpChargebeeState(state: ChargebeeState): Json {
  return {
    customers: [...state.customers.values()],
    item_families: [...state.itemFamilies.values()],
    items: [...state.items.values()],
    item_prices: [...state.itemPrices.values()],
    subscriptions: [...state.subscriptions.values()],
    invoices: [...state.invoices.values()],
    credit_notes: [...state.creditNotes.values()],
    transactions: [...state.transactions.values()],
    payment_sources: [...state.paymentSources.values()],
    unbilled_charges: [...state.unbilledCharges.values()],
    events: state.events.length,
    time_machine: { genesis_time: state.genesisTime },
  };
}

/** Seeded ids in Chargebee's style: 16 base62 characters, optionally prefixed. */
export interface IdSource {
  next(prefix?: string): string;
  reseed(seed: number): void;
}

export function createIdSource(seed: number): IdSource {
  let rng = kit.createRng(seed).fork('ids');
  return {
    next: (prefix) => `${prefix ? `${prefix}_` : ''}${rng.base62(16)}`,
    reseed(s) {
      rng = kit.createRng(s).fork('ids');
    },
  };
}
