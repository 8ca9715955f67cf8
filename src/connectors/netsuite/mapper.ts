/**
 * Pure mappings between the ERP port's canonical shapes and NetSuite REST records, named by
 * direction. Outgoing amounts are {@link JsonDecimal}s (exact decimal text); incoming records are
 * checked with zod at the boundary and their JSON-number amounts read with `fromDecimalString`.
 */
import { z } from 'zod';
import type { CurrencyCode } from '../../model/currency.ts';
import { fromDecimalString, type Money } from '../../model/money.ts';
import { ValidationError, type ErrorDetail } from '../../model/revsync-error.ts';
import type {
  ErpCreditMemo,
  ErpCreditMemoInput,
  ErpCustomerInput,
  ErpInvoice,
  ErpInvoiceInput,
  ErpInvoiceLineInput,
  ErpPayment,
  ErpPaymentInput,
} from '../ports.ts';
import { JsonDecimal } from './decimal-json.ts';

/** A NetSuite record body as sent. */
export type NetsuiteBody = Record<string, unknown>;

/** Picks the NetSuite item (by external id) for a line's product code, or the default item. */
export type ItemResolver = (productCode: string | undefined) => string;

// ---------------------------------------------------------------------------------------------
// Outgoing: port input → NetSuite body
// ---------------------------------------------------------------------------------------------

/** `ErpCustomerInput` → a `customer` body (company, primary subsidiary and currency). */
export function toNetsuiteCustomer(input: ErpCustomerInput, currencyId: string): NetsuiteBody {
  const a = input.address;
  return {
    isPerson: false,
    companyName: input.name,
    ...(input.email !== undefined && { email: input.email }),
    subsidiary: { id: input.subsidiary },
    currency: { id: currencyId },
    ...(a !== undefined && {
      addressBook: {
        items: [
          {
            defaultBilling: true,
            defaultShipping: true,
            addressBookAddress: {
              country: a.country.toUpperCase(),
              ...(a.line1 !== undefined && { addr1: a.line1 }),
              ...(a.line2 !== undefined && { addr2: a.line2 }),
              ...(a.city !== undefined && { city: a.city }),
              ...(a.state !== undefined && { state: a.state }),
              ...(a.postalCode !== undefined && { zip: a.postalCode }),
            },
          },
        ],
      },
    }),
    ...(input.taxId !== undefined && { vatRegNumber: input.taxId }),
  };
}

/**
 * Lines → an `item` sublist. `amount` is the line's exact net amount; `rate` is sent only when
 * `amount / quantity` is exact in the currency's minor unit (else NetSuite would round a rate we
 * made up, and might recompute the amount from it).
 */
export function toNetsuiteItemLines(
  lines: readonly ErpInvoiceLineInput[],
  itemFor: ItemResolver,
): NetsuiteBody {
  return {
    items: lines.map((line) => ({
      item: { externalId: itemFor(line.item) },
      quantity: line.quantity,
      ...(exactRate(line) && { rate: JsonDecimal.of(exactRate(line)!) }),
      amount: JsonDecimal.of(line.amount),
      description: line.description,
      ...(line.revRecStart !== undefined && { revRecStartDate: line.revRecStart }),
      ...(line.revRecEnd !== undefined && { revRecEndDate: line.revRecEnd }),
    })),
  };
}

function exactRate(line: ErpInvoiceLineInput): Money | undefined {
  const q = line.quantity;
  if (!Number.isSafeInteger(q) || q <= 0 || line.amount.amount % q !== 0) return undefined;
  return { amount: line.amount.amount / q, currency: line.amount.currency };
}

/**
 * `ErpInvoiceInput` → an `invoice` body. Refuses (`ValidationError`) an invoice whose lines plus
 * tax do not make its total, or with amounts in another currency: NetSuite would keep the sum of
 * what it is sent, and the books would no longer match the billing system.
 */
export function toNetsuiteInvoice(
  input: ErpInvoiceInput,
  refs: { currencyId: string; itemFor: ItemResolver },
): NetsuiteBody {
  assertInvoiceAmounts(input);
  return {
    entity: { externalId: input.customerExternalId },
    subsidiary: { id: input.subsidiary },
    currency: { id: refs.currencyId },
    tranDate: input.tranDate,
    ...(input.memo !== undefined && { memo: input.memo }),
    taxTotal: JsonDecimal.of(input.tax),
    item: toNetsuiteItemLines(input.lines, refs.itemFor),
  };
}

/**
 * `ErpCreditMemoInput` → a `creditmemo` body. The port gives a credit memo no tax of its own:
 * whatever the total holds beyond its lines is booked as the memo's `taxTotal`, so the NetSuite
 * total is the credit note's total. With an invoice, the memo is `createdFrom` it and, when
 * `applyToInvoice`, applied to it (NetSuite applies what is still due, up to the memo's total).
 */
export function toNetsuiteCreditMemo(
  input: ErpCreditMemoInput,
  refs: {
    currencyId: string;
    itemFor: ItemResolver;
    invoiceId?: string;
    applyToInvoice?: boolean;
  },
): NetsuiteBody {
  const lineSum = assertCreditMemoAmounts(input);
  const tax: Money = { amount: input.total.amount - lineSum, currency: input.total.currency };
  return {
    entity: { externalId: input.customerExternalId },
    currency: { id: refs.currencyId },
    tranDate: input.tranDate,
    ...(input.memo !== undefined && { memo: input.memo }),
    taxTotal: JsonDecimal.of(tax),
    item: toNetsuiteItemLines(input.lines, refs.itemFor),
    ...(refs.invoiceId !== undefined && { createdFrom: { id: refs.invoiceId } }),
    ...(refs.invoiceId !== undefined &&
      refs.applyToInvoice && {
        apply: { items: [{ doc: { id: refs.invoiceId }, apply: true }] },
      }),
  };
}

/**
 * `ErpPaymentInput` → a `customerpayment` body applied to one invoice (by internal id). The
 * applied amount is left to NetSuite: what is due on the invoice, up to the payment.
 */
export function toNetsuitePayment(
  input: ErpPaymentInput,
  refs: { currencyId: string; invoiceId: string },
): NetsuiteBody {
  if (input.amount.amount <= 0) {
    throw invalid(`payment ${input.externalId} must be positive`, 'amount', 'must be > 0');
  }
  return {
    customer: { externalId: input.customerExternalId },
    currency: { id: refs.currencyId },
    payment: JsonDecimal.of(input.amount),
    tranDate: input.date,
    ...(input.memo !== undefined && { memo: input.memo }),
    apply: { items: [{ doc: { id: refs.invoiceId }, apply: true }] },
  };
}

/**
 * Checks that an invoice can be posted as is: one currency throughout, tax not negative, and
 * `Σ lines + tax = total` (to the minor unit).
 *
 * @throws ValidationError with a detail per problem.
 */
export function assertInvoiceAmounts(input: ErpInvoiceInput): void {
  checkAmounts('invoice', input.externalId, input.currency, input.lines, input.total, input.tax);
}

/**
 * Checks that a credit memo can be posted as is: one currency throughout and `Σ lines ≤ total`
 * (the rest is its tax). Answers `Σ lines` in minor units.
 *
 * @throws ValidationError with a detail per problem.
 */
export function assertCreditMemoAmounts(input: ErpCreditMemoInput): number {
  return checkAmounts('credit memo', input.externalId, input.currency, input.lines, input.total);
}

/** Checks currencies and `Σ lines + tax = total` (tax given) or `Σ lines ≤ total`; answers Σ lines. */
function checkAmounts(
  what: string,
  externalId: string,
  currency: string,
  lines: readonly ErpInvoiceLineInput[],
  total: Money,
  tax?: Money,
): number {
  const details: ErpDetail[] = [];
  if (lines.length === 0) details.push({ path: 'lines', message: 'at least one line is needed' });
  lines.forEach((l, i) => {
    if (l.amount.currency !== currency) {
      details.push({
        path: `lines[${i}].amount`,
        message: `in ${l.amount.currency}, not ${currency}`,
      });
    }
  });
  if (total.currency !== currency) {
    details.push({ path: 'total', message: `in ${total.currency}, not ${currency}` });
  }
  if (tax !== undefined && tax.currency !== currency) {
    details.push({ path: 'tax', message: `in ${tax.currency}, not ${currency}` });
  }
  if (tax !== undefined && tax.amount < 0) details.push({ path: 'tax', message: 'is negative' });
  if (total.amount < 0) {
    details.push({
      path: 'total',
      message: 'is negative (NetSuite transactions cannot be; post a credit memo instead)',
    });
  }
  const lineSum = lines.reduce((s, l) => s + l.amount.amount, 0);
  if (details.length === 0) {
    if (tax !== undefined && lineSum + tax.amount !== total.amount) {
      details.push({
        path: 'total',
        message: `lines (${lineSum}) + tax (${tax.amount}) ≠ total (${total.amount}) in minor units`,
      });
    } else if (tax === undefined && lineSum > total.amount) {
      details.push({
        path: 'total',
        message: `lines (${lineSum}) exceed the total (${total.amount}) in minor units`,
      });
    }
  }
  if (details.length > 0) {
    throw new ValidationError(
      `${what} ${externalId} cannot be posted to NetSuite: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
      { system: 'netsuite', details },
    );
  }
  return lineSum;
}

type ErpDetail = ErrorDetail & { path: string };

function invalid(message: string, path: string, detail: string): ValidationError {
  return new ValidationError(message, { system: 'netsuite', details: [{ path, message: detail }] });
}

// ---------------------------------------------------------------------------------------------
// Incoming: NetSuite record → port shape
// ---------------------------------------------------------------------------------------------

const Id = z.union([z.string().min(1), z.number()]).transform(String);
const Ref = z.looseObject({ id: Id, refName: z.string().optional() });
const Status = z.looseObject({ id: z.string().optional(), refName: z.string().optional() });

/** A `GET invoice/…?expandSubResources=true` body, as far as revsync reads it. */
export const NetsuiteInvoiceRecord = z.looseObject({
  id: Id,
  externalId: z.string().optional(),
  entity: Ref,
  subsidiary: Ref,
  currency: Ref,
  subtotal: z.number().optional(),
  taxTotal: z.number().optional(),
  total: z.number(),
  amountRemaining: z.number().optional(),
  status: Status.optional(),
  item: z.looseObject({ items: z.array(z.unknown()).optional() }).optional(),
});
export type NetsuiteInvoiceRecord = z.infer<typeof NetsuiteInvoiceRecord>;

/** A `GET customerpayment/…?expandSubResources=true` body. */
export const NetsuitePaymentRecord = z.looseObject({
  id: Id,
  externalId: z.string().optional(),
  customer: Ref,
  currency: Ref,
  payment: z.number(),
  apply: z
    .looseObject({
      items: z
        .array(
          z.looseObject({
            doc: Ref,
            apply: z.boolean().optional(),
            amount: z.number().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});
export type NetsuitePaymentRecord = z.infer<typeof NetsuitePaymentRecord>;

/** A `GET creditmemo/…` body. */
export const NetsuiteCreditMemoRecord = z.looseObject({
  id: Id,
  externalId: z.string().optional(),
  currency: Ref,
  total: z.number(),
  status: Status.optional(),
});
export type NetsuiteCreditMemoRecord = z.infer<typeof NetsuiteCreditMemoRecord>;

/**
 * Checks a NetSuite answer against `schema` at the boundary.
 *
 * @throws ValidationError naming each field that does not fit.
 */
export function parseNetsuiteRecord<S extends z.ZodType>(
  schema: S,
  body: unknown,
  what: string,
): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new ValidationError(`netsuite answered a ${what} revsync cannot read`, {
    system: 'netsuite',
    details: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

/** A NetSuite JSON-number amount → Money (exact: through its decimal text). */
export function fromNetsuiteAmount(value: number, currency: CurrencyCode): Money {
  return fromDecimalString(String(value), currency);
}

/** Invoice record → `ErpInvoice` (`status` is NetSuite's name: `Open`, `Paid In Full`). */
export function toErpInvoice(
  record: NetsuiteInvoiceRecord,
  refs: { currency: CurrencyCode; customerExternalId?: string },
): ErpInvoice {
  const m = (n: number | undefined) => fromNetsuiteAmount(n ?? 0, refs.currency);
  const total = m(record.total);
  const tax = m(record.taxTotal);
  return {
    id: record.id,
    externalId: record.externalId ?? '',
    ...(refs.customerExternalId !== undefined && { customerExternalId: refs.customerExternalId }),
    subsidiary: record.subsidiary.id,
    currency: refs.currency,
    subtotal:
      record.subtotal !== undefined
        ? m(record.subtotal)
        : { amount: total.amount - tax.amount, currency: refs.currency },
    tax,
    total,
    amountRemaining: record.amountRemaining !== undefined ? m(record.amountRemaining) : total,
    status: record.status?.refName ?? record.status?.id ?? 'unknown',
    lineCount: record.item?.items?.length ?? 0,
  };
}

/**
 * Payment record → `ErpPayment`. `invoiceExternalIds` maps the applied invoices' internal ids to
 * their external ids; an invoice without one (keyed in by hand) shows as `internal:<id>`.
 */
export function toErpPayment(
  record: NetsuitePaymentRecord,
  refs: { currency: CurrencyCode; invoiceExternalIds: ReadonlyMap<string, string> },
): ErpPayment {
  const lines = (record.apply?.items ?? []).filter((l) => l.apply !== false);
  return {
    id: record.id,
    externalId: record.externalId ?? '',
    amount: fromNetsuiteAmount(record.payment, refs.currency),
    appliedTo: lines.map((l) => ({
      invoiceExternalId: refs.invoiceExternalIds.get(l.doc.id) ?? `internal:${l.doc.id}`,
      amount: fromNetsuiteAmount(l.amount ?? 0, refs.currency),
    })),
  };
}

/** Credit memo record → `ErpCreditMemo` (`status`: `Open`, `Fully Applied`). */
export function toErpCreditMemo(
  record: NetsuiteCreditMemoRecord,
  currency: CurrencyCode,
): ErpCreditMemo {
  return {
    id: record.id,
    externalId: record.externalId ?? '',
    total: fromNetsuiteAmount(record.total, currency),
    status: record.status?.refName ?? record.status?.id ?? 'unknown',
  };
}

/** A SuiteQL `customer` row → what `findCustomers` answers. */
export function toCustomerMatch(row: Record<string, string>): {
  id: string;
  externalId?: string;
  name: string;
} {
  return {
    id: row.id ?? '',
    ...(row.externalid !== undefined && { externalId: row.externalid }),
    name: row.companyname ?? row.altname ?? row.entityid ?? '',
  };
}

// ---------------------------------------------------------------------------------------------
// Polled changes: SuiteQL row → event data
// ---------------------------------------------------------------------------------------------

/** `2026-01-15 10:00:00` (SuiteQL `TO_CHAR`) → `2026-01-15T10:00:00Z`. */
export function toIsoTimestamp(sqlTimestamp: string): string {
  return `${sqlTimestamp.replace(' ', 'T')}Z`;
}

/** A customer as a polled change carries it (`data` of `netsuite.customer.*`). */
export interface NetsuiteCustomerChange {
  id: string;
  /** revsync's canonical customer id, when revsync created it. */
  externalId?: string;
  entityId?: string;
  name: string;
  companyName?: string;
  email?: string;
  isPerson: boolean;
  subsidiary?: { id: string };
  /** `symbol` is the currency's ISO code. */
  currency?: { id: string; symbol?: string };
  isInactive: boolean;
  dateCreated: string;
  lastModifiedDate: string;
}

/** A SuiteQL customer row (see the poller's query) → {@link NetsuiteCustomerChange}. */
export function toCustomerChange(row: Record<string, string>): NetsuiteCustomerChange {
  return {
    id: row.id ?? '',
    ...(row.externalid !== undefined && { externalId: row.externalid }),
    ...(row.entityid !== undefined && { entityId: row.entityid }),
    name: row.companyname ?? row.altname ?? row.entityid ?? '',
    ...(row.companyname !== undefined && { companyName: row.companyname }),
    ...(row.email !== undefined && { email: row.email }),
    isPerson: row.isperson === 'T',
    ...(row.subsidiary !== undefined && { subsidiary: { id: row.subsidiary } }),
    ...(row.currency !== undefined && {
      currency: {
        id: row.currency,
        ...(row.currencysymbol !== undefined && { symbol: row.currencysymbol }),
      },
    }),
    isInactive: row.isinactive === 'T',
    dateCreated: toIsoTimestamp(row.created ?? row.modified ?? ''),
    lastModifiedDate: toIsoTimestamp(row.modified ?? ''),
  };
}

/**
 * A customer transaction as a polled change carries it (`data` of `netsuite.invoice.*`,
 * `netsuite.creditmemo.*`, `netsuite.customerpayment.*`). Amounts are NetSuite's decimal text
 * (credit memos negative, as SuiteQL reports them).
 */
export interface NetsuiteTransactionChange {
  id: string;
  /** `invoice`, `creditmemo`, `customerpayment`. */
  recordType: string;
  tranId?: string;
  /** The billing object's id, when revsync posted it. */
  externalId?: string;
  /** The customer; `externalId` is revsync's canonical customer id when revsync created it. */
  entity?: { id: string; externalId?: string };
  currency?: { id: string; symbol?: string };
  total?: string;
  taxTotal?: string;
  amountRemaining?: string;
  /** `Invoice : Paid In Full`. */
  status?: string;
  memo?: string;
  tranDate?: string;
  createdDate: string;
  lastModifiedDate: string;
}

/** A SuiteQL transaction row (see the poller's query) → {@link NetsuiteTransactionChange}. */
export function toTransactionChange(row: Record<string, string>): NetsuiteTransactionChange {
  const opt = <K extends string>(key: K, column: string) =>
    row[column] !== undefined ? ({ [key]: row[column] } as Record<K, string>) : {};
  return {
    id: row.id ?? '',
    recordType: (row.recordtype ?? 'transaction').toLowerCase(),
    ...opt('tranId', 'tranid'),
    ...opt('externalId', 'externalid'),
    ...(row.entity !== undefined && {
      entity: {
        id: row.entity,
        ...(row.entityexternalid !== undefined && { externalId: row.entityexternalid }),
      },
    }),
    ...(row.currency !== undefined && {
      currency: {
        id: row.currency,
        ...(row.currencysymbol !== undefined && { symbol: row.currencysymbol }),
      },
    }),
    ...opt('total', 'foreigntotal'),
    ...opt('taxTotal', 'taxtotal'),
    ...opt('amountRemaining', 'foreignamountremaining'),
    ...opt('status', 'status'),
    ...opt('memo', 'memo'),
    ...opt('tranDate', 'trandate'),
    createdDate: toIsoTimestamp(row.created ?? row.modified ?? ''),
    lastModifiedDate: toIsoTimestamp(row.modified ?? ''),
  };
}
