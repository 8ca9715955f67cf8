import type { BodyReader } from './body-reader.ts';
import {
  decimalFromInteger,
  divideDecimal,
  formatDecimal,
  fromMinorUnits,
  minorUnitsToJson,
  multiplyDecimal,
  roundDecimal,
  toMinorUnits,
} from './decimal.ts';
import { invalidContent, userError } from './errors.ts';
import { ITEM_TYPES } from './items.ts';
import {
  formatDateTime,
  keep,
  refNameOf,
  refView,
  resolveRef,
  type ViewContext,
  type WriteContext,
} from './record-type.ts';
import { currencyOf } from './reference-data.ts';
import type {
  Application,
  Currency,
  Customer,
  Invoice,
  ItemLine,
  JsonObject,
  NetsuiteState,
  Transaction,
} from './state.ts';

/** The header fields every customer transaction shares. */
export interface CustomerTransactionHeader {
  customer: Customer;
  subsidiary: string;
  currency: Currency;
  /** Sent or kept; a new record gets the next number only once it is valid. */
  tranId?: string;
  tranDate: string;
  memo?: string;
}

/**
 * Reads the customer, subsidiary, currency, number, date and memo of a customer transaction.
 * Rules: the customer must exist; the subsidiary defaults to the customer's and must equal it;
 * the currency defaults to the customer's and must be the customer's currency or its
 * subsidiary's base currency.
 */
export function readCustomerHeader(
  r: BodyReader,
  customerField: 'entity' | 'customer',
  existing: (Transaction & { subsidiary: string; currency: string }) | undefined,
  existingCustomer: string | undefined,
  ctx: WriteContext,
): CustomerTransactionHeader {
  r.ignore('createdDate', 'lastModifiedDate', 'status');
  const { state } = ctx;
  const customerRef = r.ref(customerField);
  const customerId =
    customerRef === undefined || customerRef === null
      ? existingCustomer
      : resolveRef(state, ['customer'], customerRef, customerField, r.at(customerField));
  if (customerId === undefined) {
    throw userError('Please enter value(s) for: Customer', r.at(customerField));
  }
  const customer = state.get('customer', customerId) as Customer;

  const subsidiaryRef = r.ref('subsidiary');
  const subsidiary =
    subsidiaryRef === undefined || subsidiaryRef === null
      ? customer.subsidiary
      : resolveRef(state, ['subsidiary'], subsidiaryRef, 'subsidiary', r.at('subsidiary'));
  if (subsidiary !== customer.subsidiary) {
    throw userError(
      `The subsidiary ${refNameOf(state.get('subsidiary', subsidiary)!)} is not the customer's subsidiary (${refNameOf(state.get('subsidiary', customer.subsidiary)!)}).`,
      r.at('subsidiary'),
    );
  }

  const currencyRef = r.ref('currency');
  const currencyId =
    currencyRef === undefined || currencyRef === null
      ? (existing?.currency ?? customer.currency)
      : resolveRef(state, ['currency'], currencyRef, 'currency', r.at('currency'));
  const baseCurrency = state.get('subsidiary', subsidiary)?.currency;
  if (currencyId !== customer.currency && currencyId !== baseCurrency) {
    throw userError(
      `The currency ${currencyOf(state, currencyId).symbol} is not available for this customer. Use the customer's currency or the subsidiary's base currency.`,
      r.at('currency'),
    );
  }

  const tranDate = keep(r.date('tranDate'), existing?.tranDate) ?? ctx.today;
  const locked = state.arLockedThrough;
  if (locked !== undefined && tranDate.slice(0, 7) <= locked) {
    throw userError(
      `The accounting period ${periodName(tranDate)} is closed or locked for Accounts Receivable. Enter a date in an open period.`,
      r.at('tranDate'),
    );
  }
  return {
    customer,
    subsidiary,
    currency: currencyOf(state, currencyId),
    tranId: keep(r.string('tranId'), existing?.tranId),
    tranDate,
    memo: keep(r.string('memo'), existing?.memo),
  };
}

const ONE = decimalFromInteger(1);

/**
 * Reads an `item` sublist. A line needs `item`, and `amount` or `rate`: `amount` defaults to
 * `quantity × rate` rounded half away from zero to the currency's decimals; `quantity`
 * defaults to 1. Rev-rec dates are NetSuite's line fields `revRecStartDate`/`revRecEndDate`.
 */
export function readItemLines(
  lines: BodyReader[],
  currency: Currency,
  ctx: WriteContext,
): ItemLine[] {
  const digits = currency.currencyPrecision;
  return lines.map((lr, i) => {
    lr.ignore('line', 'links');
    const itemRef = lr.ref('item');
    if (!itemRef) throw userError('Please enter value(s) for: Item', lr.at('item'));
    const item = resolveRef(ctx.state, ITEM_TYPES, itemRef, 'item', lr.at('item'));
    const quantity = lr.decimal('quantity') ?? ONE;
    const rate = lr.decimal('rate') ?? undefined;
    let amount = lr.money('amount', digits, currency.symbol) ?? undefined;
    if (amount === undefined) {
      if (rate === undefined) throw userError('Please enter value(s) for: Amount', lr.at('amount'));
      const rounded = roundDecimal(multiplyDecimal(quantity, rate), digits);
      amount = toMinorUnits(rounded, digits);
      if (amount === undefined) throw invalidContent('The amount is too large.', lr.at('amount'));
    }
    const start = lr.date('revRecStartDate') ?? undefined;
    const end = lr.date('revRecEndDate') ?? undefined;
    if (start !== undefined && end !== undefined && end < start) {
      throw userError(
        'The rev rec end date must be on or after the rev rec start date.',
        lr.at('revRecEndDate'),
      );
    }
    const description = lr.string('description') ?? undefined;
    const effectiveRate =
      rate ?? divideDecimal(fromMinorUnits(amount, digits), quantity, digits + 4) ?? undefined;
    const line: ItemLine = {
      line: i + 1,
      item,
      quantity: formatDecimal(quantity),
      amount,
      custom: lr.custom('custcol'),
    };
    if (effectiveRate !== undefined) line.rate = formatDecimal(effectiveRate);
    if (description !== undefined) line.description = description;
    if (start !== undefined) line.revRecStartDate = start;
    if (end !== undefined) line.revRecEndDate = end;
    return line;
  });
}

/**
 * The `item` lines and totals of an invoice or credit memo being written: lines sent replace the
 * stored ones (and must be sent again with a currency change), at least one line, and the
 * header `taxTotal` (kept from the stored record unless sent or the currency changed).
 */
export function readLinesAndTotals(
  r: BodyReader,
  currency: Currency,
  existing: { currency: string; lines: ItemLine[]; taxTotal: number } | undefined,
  ctx: WriteContext,
): { lines: ItemLine[]; sums: { subtotal: number; taxTotal: number; total: number } } {
  const currencyChanged = existing !== undefined && currency.id !== existing.currency;
  const lineReaders = r.sublist('item');
  if (currencyChanged && !lineReaders) {
    throw userError('Send the item lines again when you change the currency.', r.at('item'));
  }
  const lines = lineReaders ? readItemLines(lineReaders, currency, ctx) : (existing?.lines ?? []);
  if (lines.length === 0) {
    throw userError('You must enter at least one line item for this transaction.', r.at('item'));
  }
  const tax = r.money('taxTotal', currency.currencyPrecision, currency.symbol);
  const taxTotal = (currencyChanged ? tax : keep(tax, existing?.taxTotal)) ?? 0;
  return { lines, sums: totals(lines, taxTotal, r) };
}

/** Subtotal, tax and total of item lines; the total may not be negative. */
export function totals(
  lines: ItemLine[],
  taxTotal: number,
  r: BodyReader,
): { subtotal: number; taxTotal: number; total: number } {
  const subtotal = lines.reduce((sum, l) => sum + l.amount, 0);
  const total = subtotal + taxTotal;
  if (taxTotal < 0) throw userError('The tax total cannot be negative.', r.at('taxTotal'));
  if (total < 0) throw userError('The transaction total cannot be negative.', r.at('item'));
  return { subtotal, taxTotal, total };
}

/** A REST line of an `item` sublist. */
export function itemLineView(line: ItemLine, currency: Currency, ctx: ViewContext): JsonObject {
  return {
    line: line.line,
    item: refView(ctx, itemTypeOf(ctx.state, line.item), line.item),
    quantity: Number(line.quantity),
    ...(line.rate !== undefined && { rate: Number(line.rate) }),
    amount: minorUnitsToJson(line.amount, currency.currencyPrecision),
    ...(line.description !== undefined && { description: line.description }),
    ...(line.revRecStartDate !== undefined && { revRecStartDate: line.revRecStartDate }),
    ...(line.revRecEndDate !== undefined && { revRecEndDate: line.revRecEndDate }),
    ...line.custom,
  };
}

function itemTypeOf(state: NetsuiteState, id: string): 'noninventorysaleitem' | 'serviceitem' {
  return state.get('serviceitem', id) ? 'serviceitem' : 'noninventorysaleitem';
}

/** What is still due on an invoice, in minor units, leaving out `excludeSource`'s own applications. */
export function amountDue(state: NetsuiteState, invoice: Invoice, excludeSource?: string): number {
  let paid = 0;
  for (const [source, amount] of state.applicationsTo(invoice.id)) {
    if (source !== excludeSource) paid += amount;
  }
  return invoice.total - paid;
}

/**
 * Reads an `apply` sublist (payment or credit memo). Each line with `apply` not `false` needs
 * `doc`: an invoice of the same customer and currency. `amount` defaults to what is due on the
 * invoice, capped by what is left to apply; it may not exceed either.
 */
export function readApplyLines(
  lines: BodyReader[],
  owner: { id: string; customer: string; currency: Currency; available: number },
  ctx: WriteContext,
): Application[] {
  const out: Application[] = [];
  let used = 0;
  for (const lr of lines) {
    lr.ignore('links', 'line', 'refNum', 'total', 'due', 'type', 'applyDate', 'currency');
    if (lr.boolean('apply') === false) {
      lr.ignore('doc', 'amount');
      continue;
    }
    const docRef = lr.ref('doc');
    if (!docRef) throw userError('Please enter value(s) for: Applied To', lr.at('doc'));
    const doc = resolveRef(ctx.state, ['invoice'], docRef, 'doc', lr.at('doc'));
    const invoice = ctx.state.get('invoice', doc) as Invoice;
    if (invoice.entity !== owner.customer) {
      throw userError(
        `Invoice #${invoice.tranId} belongs to another customer and cannot be applied.`,
        lr.at('doc'),
      );
    }
    if (invoice.currency !== owner.currency.id) {
      throw userError(
        `Invoice #${invoice.tranId} is in another currency and cannot be applied.`,
        lr.at('doc'),
      );
    }
    if (out.some((a) => a.doc === doc)) {
      throw userError(`Invoice #${invoice.tranId} is applied twice.`, lr.at('doc'));
    }
    const due = amountDue(ctx.state, invoice, owner.id);
    const digits = owner.currency.currencyPrecision;
    const amount =
      lr.money('amount', digits, owner.currency.symbol) ?? Math.min(due, owner.available - used);
    if (amount <= 0) {
      throw userError(
        `Nothing can be applied to invoice #${invoice.tranId}: the amount must be positive.`,
        lr.at('amount'),
      );
    }
    if (amount > due) {
      throw userError(
        `You cannot apply more than the amount due on invoice #${invoice.tranId} (${formatMoney(due, owner.currency)}).`,
        lr.at('amount'),
      );
    }
    used += amount;
    if (used > owner.available) {
      throw userError(
        `The total applied (${formatMoney(used, owner.currency)}) exceeds the amount available to apply (${formatMoney(owner.available, owner.currency)}).`,
        lr.at('amount'),
      );
    }
    out.push({ doc, amount });
  }
  return out;
}

/** Keeps existing applications valid when only the amount available changed. */
export function checkApplied(
  applied: Application[],
  available: number,
  currency: Currency,
  path: string,
): void {
  const used = applied.reduce((s, a) => s + a.amount, 0);
  if (used > available) {
    throw userError(
      `The total applied (${formatMoney(used, currency)}) exceeds the amount available to apply (${formatMoney(available, currency)}).`,
      path,
    );
  }
}

/** REST lines of an `apply` sublist: the invoices this transaction is applied to. */
export function applyLinesView(
  applied: Application[],
  currency: Currency,
  ctx: ViewContext,
): JsonObject[] {
  return applied.map((a, i) => {
    const invoice = ctx.state.get('invoice', a.doc);
    return {
      line: i + 1,
      apply: true,
      doc: refView(ctx, 'invoice', a.doc),
      ...(invoice && {
        refNum: invoice.tranId,
        type: 'Invoice',
        applyDate: invoice.tranDate,
        total: minorUnitsToJson(invoice.total, currency.currencyPrecision),
        due: minorUnitsToJson(amountDue(ctx.state, invoice), currency.currencyPrecision),
      }),
      amount: minorUnitsToJson(a.amount, currency.currencyPrecision),
    };
  });
}

/** `12.30 GBP`. */
export function formatMoney(minor: number, currency: Currency): string {
  return `${formatDecimal(fromMinorUnits(minor, currency.currencyPrecision))} ${currency.symbol}`;
}

/** The header fields of every transaction's REST view. */
export function transactionHeaderView(t: Transaction, ctx: ViewContext): JsonObject {
  return {
    tranId: t.tranId,
    tranDate: t.tranDate,
    subsidiary: refView(ctx, 'subsidiary', t.subsidiary),
    currency: refView(ctx, 'currency', t.currency),
    exchangeRate: Number(currencyOf(ctx.state, t.currency).exchangeRate),
    ...(t.memo !== undefined && { memo: t.memo }),
    createdDate: formatDateTime(t.createdMs),
    lastModifiedDate: formatDateTime(t.lastModifiedMs),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** NetSuite's name of the month period of a date: `2026-11-30` → `Nov 2026`. */
export function periodName(date: string): string {
  return `${MONTHS[Number(date.slice(5, 7)) - 1]} ${date.slice(0, 4)}`;
}

/**
 * A transaction's `subsidiary` (required; kept from `existing` when not given) and `currency`
 * (default: kept, else the subsidiary's base currency).
 */
export function subsidiaryAndCurrency(
  r: BodyReader,
  existing: { subsidiary: string; currency: string } | undefined,
  state: NetsuiteState,
): { subsidiary: string; currencyId: string; currency: Currency } {
  const subsidiaryRef = r.ref('subsidiary');
  const subsidiary =
    subsidiaryRef === undefined || subsidiaryRef === null
      ? existing?.subsidiary
      : resolveRef(state, ['subsidiary'], subsidiaryRef, 'subsidiary', r.at('subsidiary'));
  if (subsidiary === undefined)
    throw userError('Please enter value(s) for: Subsidiary', r.at('subsidiary'));
  const currencyRef = r.ref('currency');
  const currencyId =
    currencyRef === undefined || currencyRef === null
      ? (existing?.currency ?? state.get('subsidiary', subsidiary)?.currency ?? '1')
      : resolveRef(state, ['currency'], currencyRef, 'currency', r.at('currency'));
  return { subsidiary, currencyId, currency: currencyOf(state, currencyId) };
}
