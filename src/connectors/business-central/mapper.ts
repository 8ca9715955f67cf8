/**
 * Canonical ↔ Business Central API v2.0, both directions, pure. Business Central has no
 * external-id field, so revsync's reference lives where it can be looked up:
 *
 * - a customer's `number` (Code[20]) is `RS` + 18 base32 characters of a hash of the canonical
 *   id, and its `displayName` ends in ` [<canonical id>]` (the full id, for people and reads);
 * - a document's `externalDocumentNumber` (35 characters) is the billing document's id itself
 *   when it fits, else `RS-` + 32 base32 characters of its hash;
 * - a customer payment is posted through a payment-journal batch of its own whose `code`
 *   (Code[10]) is `RS` + 8 base32 characters of the hash and whose `displayName` records what was
 *   posted (`rs:<id>|<date>|<amount>|<applied>|<invoice number>`): posted journal lines leave
 *   the journal and API v2.0 has no read of customer ledger entries, so the batch is the record.
 *
 * Amounts: Business Central speaks JSON decimals; revsync integer minor units. Decimals are
 * converted by the currency's exponent and checked to be whole minor units — never kept as floats.
 */
import { createHash } from 'node:crypto';
import { currencyExponent, toCurrencyCode, type CurrencyCode } from '../../model/currency.ts';
import type { Money } from '../../model/money.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type { ErpCustomerInput, ErpInvoiceLineInput } from '../ports.ts';
import type { BcEntity } from './client.ts';
import { fromJsonAmount, toJsonAmount } from '../json-amount.ts';

const REF_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32

function hashRef(value: string, length: number): string {
  const digest = createHash('sha256').update(value).digest();
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of digest) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += REF_ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= length) break;
  }
  return out;
}

/** The customer `number` of the canonical customer `externalId`: `RS` + 18 base32 (90 bits). */
export function customerNumberFor(externalId: string): string {
  return `RS${hashRef(`customer:${externalId}`, 18)}`;
}

/** `externalDocumentNumber` of a document: its external id when it fits 35, else `RS-` + hash. */
export function documentNumberFor(externalId: string): string {
  return externalId.length <= 35 && !externalId.startsWith('RS-')
    ? externalId
    : `RS-${hashRef(`document:${externalId}`, 32)}`;
}

/** The external id a document was posted with, when it can be read back (not a hashed form). */
export function externalIdFromDocument(doc: Record<string, unknown>): string | undefined {
  const v = doc.externalDocumentNumber;
  return typeof v === 'string' && v !== '' && !v.startsWith('RS-') ? v : undefined;
}

/** The payment-journal batch `code` of a payment (Code[10]); `attempt` > 0 after a collision. */
export function paymentJournalCodeFor(externalId: string, attempt = 0): string {
  return `RS${hashRef(`payment:${externalId}${attempt > 0 ? `#${attempt}` : ''}`, 8)}`;
}

/** What a payment's journal batch records in its `displayName`. */
export interface PaymentRecord {
  externalId: string;
  /** `YYYY-MM-DD`, or absent while the payment is not posted yet. */
  date?: string;
  /** Minor units received. */
  amount?: number;
  /** Minor units applied to the invoice. */
  applied?: number;
  invoiceNumber?: string;
}

/** The journal batch's `displayName` for a payment (at most 100 characters). */
export function paymentRecordText(record: PaymentRecord): string {
  const text =
    record.date === undefined
      ? `rs:${record.externalId}`
      : `rs:${record.externalId}|${record.date}|${record.amount ?? 0}|${record.applied ?? 0}|${record.invoiceNumber ?? ''}`;
  if (text.length > 100) {
    throw new ValidationError(
      `payment ${record.externalId}: its record does not fit a Business Central journal name (100 characters)`,
      { system: 'business-central', details: [{ path: 'externalId', message: 'too long' }] },
    );
  }
  return text;
}

/** A journal batch's `displayName` read back; `undefined` when revsync did not write it. */
export function parsePaymentRecord(text: unknown): PaymentRecord | undefined {
  if (typeof text !== 'string' || !text.startsWith('rs:')) return undefined;
  const [externalId, date, amount, applied, invoiceNumber] = text.slice(3).split('|');
  if (!externalId) return undefined;
  if (date === undefined) return { externalId };
  return {
    externalId,
    date,
    amount: Number(amount),
    applied: Number(applied),
    ...(invoiceNumber ? { invoiceNumber } : {}),
  };
}

/** The journal batch of a credit memo's application to an invoice: its `code` and its key. */
export function creditApplicationFor(
  creditMemoExternalId: string,
  invoiceExternalId: string,
): { code: string; key: string } {
  const pair = `${creditMemoExternalId}>${invoiceExternalId}`;
  return { code: `RC${hashRef(`credit:${pair}`, 8)}`, key: hashRef(`credit-key:${pair}`, 24) };
}

/** What a credit application's journal batch records: `rc:<key>|<minor units applied>`. */
export function creditApplicationText(key: string, applied: number): string {
  return `rc:${key}|${applied}`;
}

/** A credit application's record read back. */
export function parseCreditApplication(
  text: unknown,
): { key: string; applied: number } | undefined {
  const m = typeof text === 'string' ? /^rc:([0-9A-Z]+)\|(\d+)$/.exec(text) : null;
  return m ? { key: m[1]!, applied: Number(m[2]) } : undefined;
}

/** A literal in an OData `$filter` (`''` escapes a quote). */
export function odataText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `$filter=…` (and more) as a query string, with the `$` kept readable. */
export function query(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** Minor units → Business Central's JSON decimal (exact for the currency's decimals). */
export const toBcAmount = toJsonAmount;

/** Business Central's JSON decimal → minor units of `currency`; a fraction of a minor unit is an error. */
export function fromBcAmount(value: unknown, currency: string): Money {
  return fromJsonAmount(value, currency, 'business-central');
}

/** The tag ending a revsync customer's `displayName`. */
export function customerTag(externalId: string): string {
  return ` [${externalId}]`;
}

/** The customer's `displayName` (100 characters): the name, then the tag with the full id. */
export function customerDisplayName(input: { name: string; externalId: string }): string {
  const tag = customerTag(input.externalId);
  if (tag.length > 60) {
    throw new ValidationError(
      `customer external id ${input.externalId} is too long for Business Central`,
      {
        system: 'business-central',
        details: [{ path: 'externalId', message: 'at most 57 characters' }],
      },
    );
  }
  return `${input.name.trim().slice(0, 100 - tag.length)}${tag}`;
}

/** The external id in a customer's `displayName` tag, if revsync wrote it. */
export function externalIdFromCustomer(c: Record<string, unknown>): string | undefined {
  const m = /\s\[([^\]\s]+)\]$/.exec(String(c.displayName ?? ''));
  return m?.[1];
}

/** The customer's name as revsync gave it (the tag removed). */
export function customerName(c: Record<string, unknown>): string {
  return String(c.displayName ?? '').replace(/\s\[[^\]\s]+\]$/, '');
}

/** The customer body (create or the fields revsync owns on update). */
export function toBusinessCentralCustomer(input: ErpCustomerInput): Record<string, unknown> {
  return {
    displayName: customerDisplayName(input),
    type: 'Company',
    ...(input.email !== undefined && { email: input.email.slice(0, 80) }),
    ...(input.address !== undefined && {
      ...(input.address.line1 !== undefined && { addressLine1: input.address.line1.slice(0, 100) }),
      ...(input.address.line2 !== undefined && { addressLine2: input.address.line2.slice(0, 50) }),
      ...(input.address.city !== undefined && { city: input.address.city.slice(0, 30) }),
      ...(input.address.state !== undefined && { state: input.address.state.slice(0, 30) }),
      ...(input.address.postalCode !== undefined && {
        postalCode: input.address.postalCode.slice(0, 20),
      }),
      country: input.address.country.slice(0, 10),
    }),
    ...(input.taxId !== undefined && { taxRegistrationNumber: input.taxId.slice(0, 20) }),
  };
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
  if (input.tax !== undefined && net + input.tax.amount !== input.total.amount) {
    problems.push(`lines ${net} + tax ${input.tax.amount} ≠ total ${input.total.amount}`);
  }
  if (input.lines.length === 0) problems.push('no lines');
  if (problems.length > 0) {
    throw new ValidationError(`${what}: ${problems.join('; ')}`, {
      system: 'business-central',
      details: problems.map((message) => ({ message })),
    });
  }
}

/** `minor × percent / 100`, rounded half away from zero — how Business Central rounds line tax. */
export function lineTax(minor: number, percent: number): number {
  const raw = Number(((minor * percent) / 100).toFixed(6));
  return Math.sign(raw) * Math.round(Math.abs(raw));
}

/**
 * Tax percents per line that make Business Central's per-line tax add up to `tax` exactly: one
 * rate for every line when one does (a 20 % VAT invoice reads 20 % on each line), else the whole
 * tax on the largest line.
 */
export function taxPercents(amounts: readonly number[], tax: number): number[] {
  const zero = amounts.map(() => 0);
  if (tax === 0) return zero;
  const net = amounts.reduce((s, a) => s + a, 0);
  const tries: number[][] = [];
  if (net > 0) {
    const rate = Number(((tax * 100) / net).toFixed(5));
    tries.push(amounts.map(() => rate));
  }
  let largest = 0;
  for (let i = 1; i < amounts.length; i++) if (amounts[i]! > amounts[largest]!) largest = i;
  const top = amounts[largest] ?? 0;
  if (top > 0) {
    for (const digits of [5, 10, 15]) {
      const rate = Number(((tax * 100) / top).toFixed(digits));
      tries.push(amounts.map((_, i) => (i === largest ? rate : 0)));
    }
  }
  for (const percents of tries) {
    if (percents.some((p) => p < 0 || p > 100)) continue;
    const sum = amounts.reduce((s, a, i) => s + lineTax(a, percents[i]!), 0);
    if (sum === tax) return percents;
  }
  throw new ValidationError(
    `tax ${tax} cannot be carried by lines ${amounts.join(', ')} in Business Central (at most 100 % of a line)`,
    { system: 'business-central', details: [{ path: 'tax', message: 'not representable' }] },
  );
}

/**
 * The sales lines of an invoice or credit memo: `quantity × unitPrice` is the line's net amount to
 * the minor unit (the quantity kept when it divides the amount, else 1; a negative amount is a
 * negative quantity), with the tax percents of {@link taxPercents}.
 */
export function toBusinessCentralLines(
  lines: readonly ErpInvoiceLineInput[],
  currency: CurrencyCode,
  tax: number,
): Record<string, unknown>[] {
  const percents = taxPercents(
    lines.map((l) => l.amount.amount),
    tax,
  );
  const d = currencyExponent(currency);
  return lines.map((line, i) => {
    const amount = line.amount.amount;
    const q = Math.abs(line.quantity);
    const keep = Number.isInteger(q) && q > 0 && amount % q === 0;
    const quantity = (keep ? q : 1) * (amount < 0 ? -1 : 1);
    const unit = Math.abs(amount) / (keep ? q : 1);
    return {
      lineType: 'Item',
      ...(line.item !== undefined && { lineObjectNumber: line.item.slice(0, 20) }),
      description: line.description.slice(0, 100),
      quantity: amount === 0 ? line.quantity : quantity,
      unitPrice: Number((unit / 10 ** d).toFixed(d)),
      discountPercent: 0,
      taxPercent: percents[i]!,
    };
  });
}

/** The lines of a document (`salesInvoiceLines` / `salesCreditMemoLines`) that carry amounts. */
export function documentLines(doc: BcEntity): Record<string, unknown>[] {
  const lines = (doc.salesInvoiceLines ?? doc.salesCreditMemoLines) as
    Record<string, unknown>[] | undefined;
  return (lines ?? []).filter((l) => l.lineType !== 'Comment');
}

/** A document's totals in minor units. */
export function documentTotals(doc: BcEntity): {
  currency: CurrencyCode;
  net: Money;
  tax: Money;
  total: Money;
  remaining?: Money;
} {
  const currency = toCurrencyCode(String(doc.currencyCode ?? 'USD'));
  return {
    currency,
    net: fromBcAmount(doc.totalAmountExcludingTax, currency),
    tax: fromBcAmount(doc.totalTaxAmount, currency),
    total: fromBcAmount(doc.totalAmountIncludingTax, currency),
    ...(doc.remainingAmount !== undefined && {
      remaining: fromBcAmount(doc.remainingAmount, currency),
    }),
  };
}

/** `YYYY-MM-DD` of a Business Central date; blank (`0001-01-01`) is undefined. */
export function bcDate(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && value !== '0001-01-01'
    ? value.slice(0, 10)
    : undefined;
}
