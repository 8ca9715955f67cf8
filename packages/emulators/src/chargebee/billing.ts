/**
 * Chargebee's billing as the emulator does it: invoices with tax per line, payment collection
 * from the customer's primary payment source, credit notes (applied or refunded), day-based
 * proration of mid-term changes, renewals when the site clock passes a term end.
 */
import { emit, now, touch, type ChargebeeContext } from './context.ts';
import type {
  CreditNoteObject,
  CustomerObject,
  InvoiceObject,
  ItemPriceObject,
  LineItem,
  SubscriptionItem,
  SubscriptionObject,
  TransactionObject,
} from './state.ts';

const DAY = 86_400;

/** `ts` moved `n` calendar units forward (UTC; a month end clamps, as Chargebee does). */
export function addPeriod(ts: number, unit: ItemPriceObject['period_unit'], n: number): number {
  if (unit === 'day') return ts + n * DAY;
  if (unit === 'week') return ts + 7 * n * DAY;
  const d = new Date(ts * 1000);
  const months = unit === 'year' ? 12 * n : n;
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ),
  );
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return Math.floor(target.getTime() / 1000);
}

/** `amount × num / den` rounded half away from zero, in integers. */
export function mulDivRound(amount: number, num: number, den: number): number {
  const a = BigInt(amount) * BigInt(num);
  const d = BigInt(den);
  const neg = a < 0n;
  const abs = neg ? -a : a;
  const q = (abs * 2n + d) / (2n * d);
  return Number(neg ? -q : q);
}

/**
 * The prorated part of a change of `delta` (minor units per term) made at `at` within the term
 * `[start, end)`: Chargebee counts days, so the share is the remaining days (partial days count
 * as whole) over the term's days, rounded half away from zero to the minor unit.
 */
export function prorate(delta: number, start: number, end: number, at: number): number {
  const totalDays = Math.max(1, Math.round((end - start) / DAY));
  const remaining = Math.min(totalDays, Math.max(0, Math.ceil((end - at) / DAY)));
  return mulDivRound(delta, remaining, totalDays);
}

export function taxRateOf(ctx: ChargebeeContext, customer: CustomerObject): number {
  const country = customer.billing_address?.country?.toUpperCase();
  return country !== undefined ? (ctx.taxRates[country] ?? 0) : 0;
}

/** Monthly recurring revenue of a subscription's items (yearly / 12, rounded). */
export function mrrOf(sub: SubscriptionObject): number {
  if (sub.status === 'cancelled') return 0;
  const total = sub.subscription_items.reduce((a, i) => a + i.amount, 0);
  if (sub.billing_period_unit === 'year') return mulDivRound(total, 1, 12 * sub.billing_period);
  return total;
}

export interface LineInput {
  description: string;
  unitAmount: number;
  quantity: number;
  amount: number;
  from: number;
  to: number;
  entityType: LineItem['entity_type'];
  entityId?: string;
  subscriptionId?: string;
  prorated?: boolean;
}

function toLine(
  ctx: ChargebeeContext,
  customer: CustomerObject,
  input: LineInput,
  rate: number,
): LineItem {
  const tax = rate > 0 ? mulDivRound(input.amount, Math.round(rate * 100), 10_000) : 0;
  return {
    id: ctx.ids.next('li'),
    object: 'line_item',
    date_from: input.from,
    date_to: input.to,
    unit_amount: input.unitAmount,
    quantity: input.quantity,
    amount: input.amount,
    pricing_model: input.entityType === 'adhoc' ? 'flat_fee' : 'per_unit',
    is_taxed: rate > 0,
    tax_amount: tax,
    ...(rate > 0 && { tax_rate: rate }),
    discount_amount: 0,
    item_level_discount_amount: 0,
    description: input.description,
    entity_type: input.entityType,
    ...(input.entityId !== undefined && { entity_id: input.entityId }),
    ...(input.subscriptionId !== undefined && { subscription_id: input.subscriptionId }),
    customer_id: customer.id,
    ...(input.prorated && { proration_mode: 'delta' as const }),
  };
}

function taxSummary(lines: LineItem[], rate: number) {
  const amount = lines.reduce((a, l) => a + l.tax_amount, 0);
  return rate > 0 && amount !== 0 ? [{ name: 'VAT', amount, description: `VAT @ ${rate}%` }] : [];
}

/** Creates an invoice (status `payment_due` until collected). No event: see {@link finishInvoice}. */
export function issueInvoice(
  ctx: ChargebeeContext,
  customer: CustomerObject,
  sub: SubscriptionObject | undefined,
  currency: string,
  inputs: LineInput[],
  options: { first: boolean },
): InvoiceObject {
  const rate = taxRateOf(ctx, customer);
  const lines = inputs.map((l) => toLine(ctx, customer, l, rate));
  const subTotal = lines.reduce((a, l) => a + l.amount, 0);
  const tax = lines.reduce((a, l) => a + l.tax_amount, 0);
  const t = now(ctx);
  ctx.state.invoiceSeq += 1;
  const invoice: InvoiceObject = {
    id: String(ctx.state.invoiceSeq),
    object: 'invoice',
    customer_id: customer.id,
    ...(sub && { subscription_id: sub.id }),
    recurring: sub !== undefined,
    status: 'payment_due',
    price_type: 'tax_exclusive',
    date: t,
    due_date: t,
    net_term_days: 0,
    exchange_rate: 1,
    currency_code: currency,
    base_currency_code: currency,
    sub_total: subTotal,
    tax,
    total: subTotal + tax,
    amount_paid: 0,
    amount_adjusted: 0,
    credits_applied: 0,
    amount_due: subTotal + tax,
    amount_to_collect: subTotal + tax,
    write_off_amount: 0,
    round_off_amount: 0,
    first_invoice: options.first,
    has_advance_charges: false,
    term_finalized: true,
    is_gifted: false,
    generated_at: t,
    updated_at: t,
    resource_version: t * 1000,
    line_items: lines,
    taxes: taxSummary(lines, rate),
    line_item_taxes: lines
      .filter((l) => l.tax_amount !== 0)
      .map((l) => ({
        line_item_id: l.id,
        tax_name: 'VAT',
        tax_rate: rate,
        tax_amount: l.tax_amount,
        taxable_amount: l.amount,
        tax_juris_type: 'country',
        tax_juris_name: customer.billing_address?.country ?? '',
        object: 'line_item_tax',
      })),
    linked_payments: [],
    applied_credits: [],
    adjustment_credit_notes: [],
    issued_credit_notes: [],
    deleted: false,
  };
  ctx.state.invoices.set(invoice.id, invoice);
  return invoice;
}

/** Applies a credit note's available credit to an invoice's amount due. */
export function applyCredit(
  ctx: ChargebeeContext,
  note: CreditNoteObject,
  invoice: InvoiceObject,
): void {
  const amount = Math.min(note.amount_available, invoice.amount_due);
  if (amount <= 0) return;
  const t = now(ctx);
  note.amount_available -= amount;
  note.amount_allocated += amount;
  note.allocations.push({
    invoice_id: invoice.id,
    allocated_amount: amount,
    allocated_at: t,
    invoice_date: invoice.date,
    invoice_status: invoice.status,
  });
  if (note.amount_available === 0) note.status = 'adjusted';
  invoice.credits_applied += amount;
  invoice.amount_due -= amount;
  invoice.amount_to_collect = invoice.amount_due;
  invoice.applied_credits.push({
    cn_id: note.id,
    applied_amount: amount,
    applied_at: t,
    cn_reason_code: note.reason_code ?? note.create_reason_code,
    cn_date: note.date,
    cn_status: note.status,
  });
  if (invoice.amount_due === 0) markPaid(ctx, invoice);
  touch(ctx, note);
  touch(ctx, invoice);
}

function markPaid(ctx: ChargebeeContext, invoice: InvoiceObject): void {
  invoice.status = 'paid';
  invoice.paid_at = now(ctx);
  invoice.amount_to_collect = 0;
  if (invoice.dunning_status === 'in_progress') invoice.dunning_status = 'success';
}

/**
 * Charges what the invoice still owes to the customer's primary payment source (or
 * `paymentSourceId`). Records a transaction either way and emits `payment_succeeded` or
 * `payment_failed`; without a payment source nothing is attempted.
 */
export function collect(
  ctx: ChargebeeContext,
  invoice: InvoiceObject,
  paymentSourceId?: string,
): TransactionObject | undefined {
  const customer = ctx.state.customers.get(invoice.customer_id)!;
  if (invoice.amount_due <= 0) {
    if (invoice.status !== 'paid') markPaid(ctx, invoice);
    return undefined;
  }
  const sourceId = paymentSourceId ?? customer.primary_payment_source_id;
  const source = sourceId !== undefined ? ctx.state.paymentSources.get(sourceId) : undefined;
  if (!source) return undefined;
  const t = now(ctx);
  const amount = invoice.amount_due;
  const txn: TransactionObject = {
    id: ctx.ids.next('txn'),
    object: 'transaction',
    customer_id: customer.id,
    ...(invoice.subscription_id !== undefined && { subscription_id: invoice.subscription_id }),
    payment_source_id: source.id,
    payment_method: 'card',
    gateway: 'chargebee',
    gateway_account_id: 'gw_chargebee_test',
    type: 'payment',
    date: t,
    amount,
    currency_code: invoice.currency_code,
    base_currency_code: invoice.currency_code,
    exchange_rate: 1,
    status: source.declines ? 'failure' : 'success',
    ...(source.declines && {
      error_code: 'card_declined',
      error_text: 'Your card was declined.',
    }),
    amount_unused: 0,
    masked_card_number: `************${source.card.last4}`,
    linked_invoices: [],
    linked_credit_notes: [],
    linked_refunds: [],
    updated_at: t,
    resource_version: t * 1000,
    deleted: false,
  };
  ctx.state.transactions.set(txn.id, txn);
  const subscription =
    invoice.subscription_id !== undefined
      ? ctx.state.subscriptions.get(invoice.subscription_id)
      : undefined;
  if (source.declines) {
    invoice.dunning_status = 'in_progress';
    invoice.linked_payments.push(linkedPayment(txn, 0));
    touch(ctx, invoice);
    if (subscription) subscription.due_invoices_count = dueCount(ctx, subscription.id);
    emit(ctx, 'payment_failed', {
      transaction: txn,
      invoice,
      customer,
      ...(subscription && { subscription }),
    });
    return txn;
  }
  txn.linked_invoices.push({
    invoice_id: invoice.id,
    applied_amount: amount,
    applied_at: t,
    invoice_date: invoice.date,
    invoice_total: invoice.total,
    invoice_status: 'paid',
  });
  invoice.amount_paid += amount;
  invoice.amount_due = 0;
  invoice.linked_payments.push(linkedPayment(txn, amount));
  markPaid(ctx, invoice);
  touch(ctx, invoice);
  if (subscription) subscription.due_invoices_count = dueCount(ctx, subscription.id);
  emit(ctx, 'payment_succeeded', {
    transaction: txn,
    invoice,
    customer,
    ...(subscription && { subscription }),
  });
  return txn;
}

function linkedPayment(txn: TransactionObject, applied: number) {
  return {
    txn_id: txn.id,
    applied_amount: applied,
    applied_at: txn.date,
    txn_status: txn.status,
    txn_date: txn.date,
    txn_amount: txn.amount,
  };
}

function dueCount(ctx: ChargebeeContext, subscriptionId: string): number {
  let n = 0;
  for (const i of ctx.state.invoices.values()) {
    if (i.subscription_id === subscriptionId && i.status === 'payment_due') n += 1;
  }
  return n;
}

/** Emits `invoice_generated` for a new invoice, then tries to collect it (when auto collection is on). */
export function finishInvoice(
  ctx: ChargebeeContext,
  invoice: InvoiceObject,
  collectNow: boolean,
): void {
  const customer = ctx.state.customers.get(invoice.customer_id)!;
  const subscription =
    invoice.subscription_id !== undefined
      ? ctx.state.subscriptions.get(invoice.subscription_id)
      : undefined;
  emit(ctx, 'invoice_generated', { invoice, customer, ...(subscription && { subscription }) });
  if (collectNow && customer.auto_collection === 'on') collect(ctx, invoice);
  if (subscription) subscription.due_invoices_count = dueCount(ctx, subscription.id);
}

/**
 * Creates a credit note against `invoice`: from explicit lines, or for `total` (tax included)
 * split into net and tax in the invoice's proportion. `adjustment` notes are applied to
 * `applyTo` when given; `refundable` notes on a paid invoice wait for a refund (`refund_due`).
 */
export function createCreditNote(
  ctx: ChargebeeContext,
  invoice: InvoiceObject,
  input: {
    type: CreditNoteObject['type'];
    reasonCode: string;
    lines?: LineInput[];
    total?: number;
  },
): CreditNoteObject {
  const customer = ctx.state.customers.get(invoice.customer_id)!;
  const rate = taxRateOf(ctx, customer);
  const t = now(ctx);
  let lines: LineItem[];
  if (input.lines) {
    lines = input.lines.map((l) => toLine(ctx, customer, l, rate));
  } else {
    const total = input.total ?? invoice.total;
    const net = invoice.total === 0 ? total : mulDivRound(total, invoice.sub_total, invoice.total);
    const line = toLine(
      ctx,
      customer,
      {
        description: `Credit for invoice ${invoice.id}`,
        unitAmount: net,
        quantity: 1,
        amount: net,
        from: invoice.date,
        to: t,
        entityType: 'adhoc',
        ...(invoice.subscription_id !== undefined && { subscriptionId: invoice.subscription_id }),
      },
      0,
    );
    line.tax_amount = total - net;
    line.is_taxed = line.tax_amount !== 0;
    if (line.is_taxed) line.tax_rate = rate;
    lines = [line];
  }
  const subTotal = lines.reduce((a, l) => a + l.amount, 0);
  const tax = lines.reduce((a, l) => a + l.tax_amount, 0);
  ctx.state.creditNoteSeq += 1;
  const note: CreditNoteObject = {
    id: `CN-${ctx.state.creditNoteSeq}`,
    object: 'credit_note',
    customer_id: customer.id,
    ...(invoice.subscription_id !== undefined && { subscription_id: invoice.subscription_id }),
    reference_invoice_id: invoice.id,
    type: input.type,
    reason_code: input.reasonCode,
    create_reason_code: input.reasonCode,
    status: input.type === 'adjustment' ? 'adjusted' : 'refund_due',
    date: t,
    price_type: 'tax_exclusive',
    currency_code: invoice.currency_code,
    sub_total: subTotal,
    total: subTotal + tax,
    amount_allocated: 0,
    amount_refunded: 0,
    amount_available: subTotal + tax,
    round_off_amount: 0,
    fractional_correction: 0,
    generated_at: t,
    updated_at: t,
    resource_version: t * 1000,
    line_items: lines,
    taxes: taxSummary(lines, rate),
    linked_refunds: [],
    allocations: [],
    deleted: false,
  };
  ctx.state.creditNotes.set(note.id, note);
  const link = {
    cn_id: note.id,
    cn_reason_code: input.reasonCode,
    cn_create_reason_code: input.reasonCode,
    cn_date: t,
    cn_total: note.total,
    cn_status: note.status,
  };
  if (input.type === 'adjustment') invoice.adjustment_credit_notes.push(link);
  else invoice.issued_credit_notes.push(link);
  touch(ctx, invoice);
  return note;
}

/**
 * Refunds `amount` of a paid invoice to the card that paid it: a refundable credit note, refunded
 * at once by a refund transaction. Emits `credit_note_created` and `payment_refunded`.
 */
export function refundInvoice(
  ctx: ChargebeeContext,
  invoice: InvoiceObject,
  amount: number,
  reasonCode: string,
): { transaction: TransactionObject; creditNote: CreditNoteObject } {
  const paid = invoice.linked_payments
    .map((p) => ctx.state.transactions.get(String(p.txn_id)))
    .find((txn) => txn?.status === 'success');
  const t = now(ctx);
  const note = createCreditNote(ctx, invoice, { type: 'refundable', reasonCode, total: amount });
  const txn: TransactionObject = {
    id: ctx.ids.next('txn'),
    object: 'transaction',
    customer_id: invoice.customer_id,
    ...(invoice.subscription_id !== undefined && { subscription_id: invoice.subscription_id }),
    ...(paid?.payment_source_id !== undefined && { payment_source_id: paid.payment_source_id }),
    payment_method: 'card',
    gateway: 'chargebee',
    gateway_account_id: 'gw_chargebee_test',
    type: 'refund',
    date: t,
    amount,
    currency_code: invoice.currency_code,
    base_currency_code: invoice.currency_code,
    exchange_rate: 1,
    status: 'success',
    amount_unused: 0,
    ...(paid && { reference_transaction_id: paid.id }),
    linked_invoices: [],
    linked_credit_notes: [
      {
        cn_id: note.id,
        applied_amount: amount,
        applied_at: t,
        cn_reason_code: reasonCode,
        cn_date: t,
        cn_total: note.total,
        cn_status: 'refunded',
        cn_reference_invoice_id: invoice.id,
      },
    ],
    linked_refunds: [],
    updated_at: t,
    resource_version: t * 1000,
    deleted: false,
  };
  ctx.state.transactions.set(txn.id, txn);
  if (paid) {
    paid.linked_refunds.push({
      txn_id: txn.id,
      txn_status: 'success',
      txn_date: t,
      txn_amount: amount,
    });
    touch(ctx, paid);
  }
  note.amount_refunded = amount;
  note.amount_available = 0;
  note.refunded_at = t;
  note.status = 'refunded';
  note.linked_refunds.push({
    txn_id: txn.id,
    applied_amount: amount,
    applied_at: t,
    txn_status: 'success',
    txn_date: t,
    txn_amount: amount,
    refund_reason_code: reasonCode,
  });
  for (const link of invoice.issued_credit_notes)
    if (link.cn_id === note.id) link.cn_status = 'refunded';
  const customer = ctx.state.customers.get(invoice.customer_id)!;
  emit(ctx, 'credit_note_created', { credit_note: note, invoice, customer });
  emit(ctx, 'payment_refunded', { transaction: txn, invoice, credit_note: note, customer });
  return { transaction: txn, creditNote: note };
}

/** Recomputes each item's amount and the subscription's MRR. */
export function refreshAmounts(sub: SubscriptionObject): void {
  for (const item of sub.subscription_items) item.amount = item.unit_price * item.quantity;
  sub.mrr = mrrOf(sub);
}

/** Lines of a full term of every item (the first invoice and renewals). */
export function termLines(ctx: ChargebeeContext, sub: SubscriptionObject): LineInput[] {
  return sub.subscription_items.map((item) => {
    const price = ctx.state.itemPrices.get(item.item_price_id);
    return {
      description: price?.name ?? item.item_price_id,
      unitAmount: item.unit_price,
      quantity: item.quantity,
      amount: item.unit_price * item.quantity,
      from: sub.current_term_start,
      to: sub.current_term_end,
      entityType: item.item_type === 'plan' ? 'plan_item_price' : 'addon_item_price',
      entityId: item.item_price_id,
      subscriptionId: sub.id,
    };
  });
}

/** Unbilled charges of the subscription become lines (and are marked billed). */
function takeUnbilled(ctx: ChargebeeContext, sub: SubscriptionObject): LineInput[] {
  const out: LineInput[] = [];
  for (const [id, charge] of ctx.state.unbilledCharges) {
    if (charge.subscription_id !== sub.id || charge.is_voided) continue;
    out.push({
      description: charge.description,
      unitAmount: charge.unit_amount,
      quantity: charge.quantity,
      amount: charge.amount,
      from: charge.date_from,
      to: charge.date_to,
      entityType: 'adhoc',
      subscriptionId: sub.id,
    });
    ctx.state.unbilledCharges.delete(id);
  }
  return out;
}

/** Renews every subscription whose term ended by now (repeatedly), or cancels the non-renewing. */
export function runDue(ctx: ChargebeeContext): number {
  const previous = ctx.source;
  ctx.source = 'scheduled_job';
  let ran = 0;
  try {
    for (;;) {
      const t = now(ctx);
      const due = [...ctx.state.subscriptions.values()]
        .filter((s) => s.status !== 'cancelled' && s.current_term_end <= t)
        .sort((a, b) => a.current_term_end - b.current_term_end);
      const sub = due[0];
      if (!sub) return ran;
      ran += 1;
      renew(ctx, sub);
    }
  } finally {
    ctx.source = previous;
  }
}

function renew(ctx: ChargebeeContext, sub: SubscriptionObject): void {
  const customer = ctx.state.customers.get(sub.customer_id)!;
  if (sub.status === 'non_renewing') {
    sub.status = 'cancelled';
    sub.cancelled_at = sub.current_term_end;
    delete sub.next_billing_at;
    refreshAmounts(sub);
    touch(ctx, sub);
    emit(ctx, 'subscription_cancelled', { subscription: sub, customer });
    return;
  }
  const unbilled = takeUnbilled(ctx, sub);
  sub.current_term_start = sub.current_term_end;
  sub.current_term_end = addPeriod(
    sub.current_term_start,
    sub.billing_period_unit,
    sub.billing_period,
  );
  sub.next_billing_at = sub.current_term_end;
  touch(ctx, sub);
  const invoice = issueInvoice(
    ctx,
    customer,
    sub,
    sub.currency_code,
    [...termLines(ctx, sub), ...unbilled],
    {
      first: false,
    },
  );
  emit(ctx, 'subscription_renewed', { subscription: sub, customer, invoice });
  finishInvoice(ctx, invoice, true);
}

/** A subscription item of `price` × `quantity` (unit price: the price's, unless given). */
export function subscriptionItem(
  price: ItemPriceObject,
  quantity: number,
  unitPrice?: number,
): SubscriptionItem {
  const unit = unitPrice ?? price.price;
  return {
    item_price_id: price.id,
    item_type: price.item_type,
    quantity: price.pricing_model === 'flat_fee' ? 1 : quantity,
    unit_price: unit,
    amount: unit * (price.pricing_model === 'flat_fee' ? 1 : quantity),
    free_quantity: 0,
    object: 'subscription_item',
  };
}
