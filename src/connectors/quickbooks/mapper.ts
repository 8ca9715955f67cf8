/**
 * Canonical ↔ QuickBooks Online, both directions, pure. QuickBooks has no external-id field, so
 * revsync's reference lives in what it can look up: a short deterministic hash of the external
 * id as the transaction's `DocNumber` (≤ 21 characters) or `PaymentRefNum`, and as a `[rs:…]`
 * tag at the end of a customer's `DisplayName` (which QuickBooks keeps unique); the full id is
 * in `PrivateNote` (transactions) or `Notes` (customers) as `revsync:<id>`.
 */
import { createHash } from 'node:crypto';
import type { Money } from '../../model/money.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type {
  ErpCreditMemoInput,
  ErpCustomerInput,
  ErpInvoiceInput,
  ErpInvoiceLineInput,
  ErpPaymentInput,
} from '../ports.ts';
import type { QboObject } from './client.ts';
import { fromJsonAmount, toJsonAmount } from '../json-amount.ts';

const REF_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32

function hashRef(value: string, length: number): string {
  const digest = createHash('sha256').update(value).digest();
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += REF_ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= length) break;
  }
  return out;
}

/** `DocNumber` / `PaymentRefNum` of the document with this external id: `RS` + 19 base32 (95 bits). */
export function docNumberFor(externalId: string): string {
  return `RS${hashRef(externalId, 19)}`;
}

/** The tag ending a revsync customer's `DisplayName`: `[rs:` + 12 base32 (60 bits) + `]`. */
export function customerTagFor(externalId: string): string {
  return `[rs:${hashRef(externalId, 12)}]`;
}

/** `Notes` / `PrivateNote` text carrying the full external id. */
export function referenceNote(externalId: string, memo?: string): string {
  const note = `revsync:${externalId}`;
  return memo ? `${note} ${memo}`.slice(0, 4000) : note;
}

/** The external id in a `Notes` / `PrivateNote` revsync wrote, if any. */
export function externalIdFromNote(note: unknown): string | undefined {
  if (typeof note !== 'string') return undefined;
  return /(?:^|\s)revsync:(\S+)/.exec(note)?.[1];
}

/** A literal in a QuickBooks query (`\'` escapes a quote). */
export function queryText(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Minor units → QuickBooks' JSON number (exact for the currency's decimals). */
export const toQboAmount = toJsonAmount;

/** QuickBooks' JSON number → minor units of `currency`; more decimals than it has is an error. */
export function fromQboAmount(value: unknown, currency: string): Money {
  return fromJsonAmount(value, currency, 'quickbooks');
}

export const refValue = (v: unknown): string | undefined =>
  typeof v === 'object' && v !== null && 'value' in v
    ? String((v as { value: unknown }).value)
    : undefined;

/** The customer body: `DisplayName` = name + tag, `CompanyName` = name, `Notes` = reference. */
export function toQuickbooksCustomer(input: ErpCustomerInput): Record<string, unknown> {
  const tag = customerTagFor(input.externalId);
  const name = input.name.trim().slice(0, 480);
  return {
    DisplayName: `${name} ${tag}`,
    CompanyName: name.slice(0, 100),
    Notes: referenceNote(input.externalId),
    ...(input.email !== undefined && { PrimaryEmailAddr: { Address: input.email } }),
    ...(input.address !== undefined && {
      BillAddr: {
        ...(input.address.line1 !== undefined && { Line1: input.address.line1 }),
        ...(input.address.line2 !== undefined && { Line2: input.address.line2 }),
        ...(input.address.city !== undefined && { City: input.address.city }),
        ...(input.address.postalCode !== undefined && { PostalCode: input.address.postalCode }),
        ...(input.address.state !== undefined && { CountrySubDivisionCode: input.address.state }),
        Country: input.address.country,
      },
    }),
    ...(input.taxId !== undefined && { ResaleNum: input.taxId.slice(0, 16) }),
  };
}

/** The customer's name as revsync gave it: `CompanyName`, else `DisplayName` without the tag. */
export function customerName(c: QboObject): string {
  if (typeof c.CompanyName === 'string' && c.CompanyName !== '') return c.CompanyName;
  return String(c.DisplayName ?? '').replace(/\s*\[rs:[0-9A-Z]+\]$/, '');
}

function salesLines(
  lines: readonly ErpInvoiceLineInput[],
  itemId: string,
): Record<string, unknown>[] {
  return lines.map((line) => ({
    DetailType: 'SalesItemLineDetail',
    Amount: toQboAmount(line.amount),
    Description: line.description.slice(0, 4000),
    SalesItemLineDetail: {
      ItemRef: { value: itemId },
      Qty: line.quantity,
      ...(line.revRecStart !== undefined && { ServiceDate: line.revRecStart }),
    },
  }));
}

/** Lines and totals must add up before anything is sent. */
export function assertDocumentAmounts(
  what: string,
  input: { currency: string; lines: readonly ErpInvoiceLineInput[]; total: Money; tax?: Money },
): void {
  const problems: string[] = [];
  for (const line of input.lines) {
    if (line.amount.currency !== input.currency)
      problems.push(`a line is in ${line.amount.currency}`);
  }
  if (input.total.currency !== input.currency)
    problems.push(`the total is in ${input.total.currency}`);
  const net = input.lines.reduce((s, l) => s + l.amount.amount, 0);
  const tax = input.tax?.amount ?? 0;
  if (input.tax !== undefined && net + tax !== input.total.amount) {
    problems.push(`lines ${net} + tax ${tax} ≠ total ${input.total.amount}`);
  }
  if (input.lines.length === 0) problems.push('no lines');
  if (problems.length > 0) {
    throw new ValidationError(`${what}: ${problems.join('; ')}`, {
      system: 'quickbooks',
      details: problems.map((message) => ({ message })),
    });
  }
}

/** The invoice body for the customer `customerId` (lines, tax, currency, reference). */
export function toQuickbooksInvoice(
  input: ErpInvoiceInput,
  refs: { customerId: string; itemId: string },
): Record<string, unknown> {
  return {
    CustomerRef: { value: refs.customerId },
    CurrencyRef: { value: input.currency },
    TxnDate: input.tranDate,
    DocNumber: docNumberFor(input.externalId),
    PrivateNote: referenceNote(input.externalId, input.memo),
    ...(input.memo !== undefined && { CustomerMemo: { value: input.memo.slice(0, 1000) } }),
    Line: salesLines(input.lines, refs.itemId),
    TxnTaxDetail: { TotalTax: toQboAmount(input.tax) },
  };
}

/**
 * A credit memo or refund receipt body. Its tax is what the total holds beyond the lines
 * (refunds come as one gross line: no tax).
 */
export function toQuickbooksCredit(
  input: ErpCreditMemoInput,
  refs: { customerId: string; itemId: string; depositAccountId?: string },
): Record<string, unknown> {
  const net = input.lines.reduce((s, l) => s + l.amount.amount, 0);
  const tax = { amount: input.total.amount - net, currency: input.total.currency };
  return {
    CustomerRef: { value: refs.customerId },
    CurrencyRef: { value: input.currency },
    TxnDate: input.tranDate,
    DocNumber: docNumberFor(input.externalId),
    PrivateNote: referenceNote(input.externalId, input.memo),
    Line: salesLines(input.lines, refs.itemId),
    TxnTaxDetail: { TotalTax: toQboAmount(tax) },
    ...(refs.depositAccountId !== undefined && {
      DepositToAccountRef: { value: refs.depositAccountId },
    }),
  };
}

/** The payment body, applying `applied` (at most the invoice's balance) to the invoice. */
export function toQuickbooksPayment(
  input: ErpPaymentInput,
  refs: { customerId: string; invoiceId: string; applied: Money },
): Record<string, unknown> {
  return {
    CustomerRef: { value: refs.customerId },
    CurrencyRef: { value: input.amount.currency },
    TxnDate: input.date,
    TotalAmt: toQboAmount(input.amount),
    PaymentRefNum: docNumberFor(input.externalId),
    PrivateNote: referenceNote(input.externalId, input.memo),
    Line:
      refs.applied.amount > 0
        ? [
            {
              Amount: toQboAmount(refs.applied),
              LinkedTxn: [{ TxnId: refs.invoiceId, TxnType: 'Invoice' }],
            },
          ]
        : [],
  };
}

/** Net of the sales lines of a QuickBooks transaction (its `SubTotalLine` is left out). */
export function salesNet(object: QboObject, currency: string): number {
  let net = 0;
  for (const line of (object.Line as Record<string, unknown>[] | undefined) ?? []) {
    if (line.DetailType === 'SalesItemLineDetail')
      net += fromQboAmount(line.Amount, currency).amount;
  }
  return net;
}

export function salesLineCount(object: QboObject): number {
  return ((object.Line as Record<string, unknown>[] | undefined) ?? []).filter(
    (l) => l.DetailType === 'SalesItemLineDetail',
  ).length;
}

export function taxOf(object: QboObject, currency: string): Money {
  const detail = object.TxnTaxDetail as { TotalTax?: unknown } | undefined;
  return fromQboAmount(detail?.TotalTax ?? 0, currency);
}
