import { z } from 'zod';
import { toCurrencyCode, type CurrencyCode } from '../../model/currency.ts';
import { fromDecimalString, toDecimalString, type Money } from '../../model/money.ts';
import { RevsyncError, ValidationError } from '../../model/revsync-error.ts';
import type {
  CrmAccount,
  CrmBillingStatus,
  CrmOpportunity,
  CrmOpportunityBilling,
  CrmOpportunityLine,
  PostalAddress,
} from '../ports.ts';
import { toCountryCode } from './country.ts';
import type { SalesforceFieldMap } from './fields.ts';

/** A record as the REST API returns it (`attributes` plus fields). */
type SfRecord = Record<string, unknown>;

/** A value written to a Salesforce field. */
export type SalesforceFieldValue = string | number | boolean | null;

// ---------------------------------------------------------------------------------------------
// What to select
// ---------------------------------------------------------------------------------------------

const AUDIT = ['CreatedDate', 'LastModifiedDate', 'SystemModstamp'] as const;

/** The Account fields the connector reads (the mapped ones and the write-back ones). */
export function accountFieldsToSelect(fields: SalesforceFieldMap): string[] {
  return unique([
    'Id',
    ...Object.values(fields.account),
    ...Object.values(fields.accountBilling),
    ...AUDIT,
  ]);
}

/** The Opportunity fields the connector reads, with the account's currency for the default. */
export function opportunityFieldsToSelect(fields: SalesforceFieldMap): string[] {
  return unique([
    'Id',
    'Name',
    'StageName',
    'IsWon',
    'IsClosed',
    'CloseDate',
    'AccountId',
    'Amount',
    ...Object.values(fields.opportunity),
    `Account.${fields.account.currency}`,
    ...AUDIT,
  ]);
}

/** The OpportunityLineItem fields the connector reads. */
export function lineItemFieldsToSelect(fields: SalesforceFieldMap): string[] {
  return unique([
    'Id',
    'OpportunityId',
    'Name',
    'Quantity',
    'UnitPrice',
    'Product2Id',
    'Product2.ProductCode',
    'Product2.Name',
    fields.lineItem.interval,
  ]);
}

/** The child relationship of an Opportunity's line items, as SOQL subqueries name it. */
export const LINE_ITEMS_RELATIONSHIP = 'OpportunityLineItems';

/**
 * What `getOpportunity` selects to read a deal in one query: the Opportunity fields, its
 * account's ({@link accountFieldsToSelect} as `Account.<field>`) and its line items as a
 * parent-to-child subquery, oldest first.
 */
export function opportunityWithRelationsToSelect(fields: SalesforceFieldMap): string[] {
  return unique([
    ...opportunityFieldsToSelect(fields),
    ...accountFieldsToSelect(fields).map((name) => `Account.${name}`),
    `(SELECT ${lineItemFieldsToSelect(fields).join(', ')} FROM ${LINE_ITEMS_RELATIONSHIP} ` +
      'ORDER BY CreatedDate, Id)',
  ]);
}

// ---------------------------------------------------------------------------------------------
// Salesforce → canonical
// ---------------------------------------------------------------------------------------------

const RecordBase = z.looseObject({
  Id: z.string().min(15),
  SystemModstamp: z.string(),
});

const OpportunityRecord = RecordBase.extend({
  Name: z.string(),
  StageName: z.string(),
  IsWon: z.boolean(),
  IsClosed: z.boolean(),
  CloseDate: z.string(),
  AccountId: z.string({ error: 'the opportunity has no account' }),
});

const LineItemRecord = z.looseObject({
  Id: z.string(),
  Name: z.string().nullish(),
  Quantity: z.number(),
  UnitPrice: z.number({ error: 'the line item has no sales price' }),
  Product2Id: z.string().nullish(),
  Product2: z
    .looseObject({ ProductCode: z.string().nullish(), Name: z.string().nullish() })
    .nullish(),
});

/** Reads an Account record into the canonical CRM account. */
export function toCrmAccount(record: SfRecord, fields: SalesforceFieldMap): CrmAccount {
  const base = parse(RecordBase, record, 'Account');
  const f = fields.account;
  const read = reader(record, `Account ${base.Id}`);
  const name = read.text(f.name);
  if (name === undefined) throw invalid(`Account ${base.Id}`, f.name, 'is empty');
  const account: CrmAccount = {
    id: base.Id,
    name,
    modifiedAt: toIsoTimestamp(base.SystemModstamp),
  };
  const domain = toDomain(read.text(f.website));
  if (domain) account.domain = domain;
  const taxId = read.text(f.taxId);
  if (taxId) account.taxId = { type: read.text(f.taxIdType) ?? 'unknown', value: taxId };
  const email = read.text(f.email);
  if (email) account.email = email;
  const address = toPostalAddress(read, f);
  if (address) account.billingAddress = address;
  const currency = read.currency(f.currency);
  if (currency) account.currency = currency;
  const region = read.text(f.region);
  if (region) account.region = region;
  const revsyncId = read.text(f.revsyncId);
  if (revsyncId) account.revsyncId = revsyncId;
  return account;
}

/**
 * Reads an Opportunity record and its line items into the canonical opportunity. The currency is
 * the opportunity's, else its account's (`Account.<currency field>` in the record), else
 * `defaultCurrency` (the org's corporate currency).
 */
export function toCrmOpportunity(
  record: SfRecord,
  lineItems: readonly SfRecord[],
  fields: SalesforceFieldMap,
  defaultCurrency: CurrencyCode,
): CrmOpportunity {
  const opp = parse(OpportunityRecord, record, 'Opportunity');
  const where = `Opportunity ${opp.Id}`;
  const read = reader(record, where);
  const f = fields.opportunity;
  const account = record['Account'];
  const accountCurrency =
    typeof account === 'object' && account !== null
      ? reader(account as SfRecord, `Account ${opp.AccountId}`).currency(fields.account.currency)
      : undefined;
  const currency = read.currency(f.currency) ?? accountCurrency ?? defaultCurrency;
  const result: CrmOpportunity = {
    id: opp.Id,
    accountId: opp.AccountId,
    name: opp.Name,
    stage: opp.StageName,
    isWon: opp.IsWon,
    isClosed: opp.IsClosed,
    closeDate: opp.CloseDate,
    currency,
    lines: lineItems.map((line) => toCrmOpportunityLine(line, fields, currency)),
    modifiedAt: toIsoTimestamp(opp.SystemModstamp),
  };
  const type = read.text(f.type);
  if (type) result.type = type;
  const subscriptionId = read.text(f.subscriptionId);
  if (subscriptionId) result.subscriptionId = subscriptionId;
  return result;
}

const NestedResult = z
  .looseObject({
    done: z.boolean(),
    nextRecordsUrl: z.string().optional(),
    records: z.array(z.looseObject({})),
  })
  .nullable();

/**
 * The nested query result of a subquery in `record` (Salesforce gives null for no children):
 * its records, and the URL of the rest when it is not done.
 */
export function toNestedRecords(
  record: SfRecord,
  relationship: string,
  object: string,
): { records: SfRecord[]; nextRecordsUrl?: string } {
  const nested = parse(NestedResult, record[relationship] ?? null, `${object} ${relationship}`);
  if (!nested) return { records: [] };
  if (nested.done) return { records: nested.records };
  if (!nested.nextRecordsUrl)
    throw invalid(
      `${object} ${String(record['Id'])}`,
      relationship,
      'is not done but has no nextRecordsUrl',
    );
  return { records: nested.records, nextRecordsUrl: nested.nextRecordsUrl };
}

/**
 * The account read with an opportunity (`Account.<field>` in the record), or `undefined` when
 * there is none or its fields do not map: the caller then reads the account on its own and meets
 * the problem there, where it belongs (reading a deal does not fail for its account's fields).
 */
export function toCrmAccountOfOpportunity(
  record: SfRecord,
  fields: SalesforceFieldMap,
): CrmAccount | undefined {
  const account = record['Account'];
  if (typeof account !== 'object' || account === null) return undefined;
  try {
    return toCrmAccount(account as SfRecord, fields);
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

/** Reads one OpportunityLineItem (with `Product2.ProductCode`/`Name`) in the deal's currency. */
export function toCrmOpportunityLine(
  record: SfRecord,
  fields: SalesforceFieldMap,
  currency: CurrencyCode,
): CrmOpportunityLine {
  const line = parse(LineItemRecord, record, 'OpportunityLineItem');
  const where = `OpportunityLineItem ${line.Id}`;
  const productCode = line.Product2?.ProductCode || line.Product2Id;
  if (!productCode) throw invalid(where, 'Product2', 'has no product');
  return {
    id: line.Id,
    productCode,
    productName: line.Product2?.Name || line.Name || productCode,
    quantity: line.Quantity,
    unitAmount: decimalToMoney(line.UnitPrice, currency, where, 'UnitPrice'),
    interval: toInterval(reader(record, where).text(fields.lineItem.interval), where, fields),
  };
}

/**
 * Reads the billing write-back fields of an Account. MRR is read in the account's currency
 * field, else `defaultCurrency`.
 */
export function toCrmBillingStatus(
  record: SfRecord,
  fields: SalesforceFieldMap,
  defaultCurrency: CurrencyCode,
): CrmBillingStatus {
  const base = parse(RecordBase, record, 'Account');
  const where = `Account ${base.Id}`;
  const read = reader(record, where);
  const f = fields.accountBilling;
  const status: CrmBillingStatus = {};
  const revsyncId = read.text(f.revsyncId);
  if (revsyncId) status.revsyncId = revsyncId;
  const billingCustomerId = read.text(f.billingCustomerId);
  if (billingCustomerId) status.billingCustomerId = billingCustomerId;
  const subscriptionId = read.text(f.subscriptionId);
  if (subscriptionId) status.subscriptionId = subscriptionId;
  const subscriptionStatus = read.text(f.subscriptionStatus);
  if (subscriptionStatus) status.subscriptionStatus = subscriptionStatus;
  const mrr = read.number(f.mrr);
  if (mrr !== undefined) {
    const currency = read.currency(fields.account.currency) ?? defaultCurrency;
    status.mrr = decimalToMoney(mrr, currency, where, f.mrr);
  }
  const paymentStatus = read.text(f.paymentStatus);
  if (paymentStatus) status.paymentStatus = paymentStatus;
  const lastPaymentAt = read.text(f.lastPaymentAt);
  if (lastPaymentAt) status.lastPaymentAt = toIsoTimestamp(lastPaymentAt);
  const churned = read.boolean(f.churned);
  if (churned !== undefined) status.churned = churned;
  return status;
}

/** An Opportunity's billing fields (the ones {@link toSalesforceOpportunityBilling} writes). */
export function toCrmOpportunityBilling(
  record: SfRecord,
  fields: SalesforceFieldMap,
  defaultCurrency: CurrencyCode,
): CrmOpportunityBilling {
  const base = parse(RecordBase, record, 'Opportunity');
  const where = `Opportunity ${base.Id}`;
  const read = reader(record, where);
  const f = fields.opportunity;
  const out: CrmOpportunityBilling = { opportunityId: base.Id };
  const subscriptionId = read.text(f.subscriptionId);
  if (subscriptionId) out.subscriptionId = subscriptionId;
  const subscriptionStatus = read.text(f.subscriptionStatus);
  if (subscriptionStatus) out.subscriptionStatus = subscriptionStatus;
  const mrr = read.number(f.mrr);
  if (mrr !== undefined)
    out.mrr = decimalToMoney(mrr, read.currency(f.currency) ?? defaultCurrency, where, f.mrr);
  return out;
}

/** The Opportunity fields {@link toCrmOpportunityBilling} reads. */
export function opportunityBillingFieldsToSelect(fields: SalesforceFieldMap): string[] {
  const f = fields.opportunity;
  return ['Id', 'SystemModstamp', f.subscriptionId, f.subscriptionStatus, f.mrr, f.currency];
}

// ---------------------------------------------------------------------------------------------
// canonical → Salesforce
// ---------------------------------------------------------------------------------------------

/** The Account fields to write for `status`; fields not given are left out (a partial update). */
export function toSalesforceAccountBilling(
  status: CrmBillingStatus,
  fields: SalesforceFieldMap,
): Record<string, SalesforceFieldValue> {
  const f = fields.accountBilling;
  const out: Record<string, SalesforceFieldValue> = {};
  if (status.revsyncId !== undefined) out[f.revsyncId] = status.revsyncId;
  if (status.billingCustomerId !== undefined) out[f.billingCustomerId] = status.billingCustomerId;
  if (status.subscriptionId !== undefined) out[f.subscriptionId] = status.subscriptionId;
  if (status.subscriptionStatus !== undefined)
    out[f.subscriptionStatus] = status.subscriptionStatus;
  if (status.mrr !== undefined) out[f.mrr] = moneyToNumber(status.mrr);
  if (status.paymentStatus !== undefined) out[f.paymentStatus] = status.paymentStatus;
  if (status.lastPaymentAt !== undefined)
    out[f.lastPaymentAt] = toIsoTimestamp(status.lastPaymentAt);
  if (status.churned !== undefined) out[f.churned] = status.churned;
  return out;
}

/**
 * The Opportunity fields to write for `status`: subscription id and status, MRR and its
 * currency. The account-only parts of `status` have no place on an opportunity and are ignored.
 */
export function toSalesforceOpportunityBilling(
  status: CrmBillingStatus,
  fields: SalesforceFieldMap,
): Record<string, SalesforceFieldValue> {
  const f = fields.opportunity;
  const out: Record<string, SalesforceFieldValue> = {};
  if (status.subscriptionId !== undefined) out[f.subscriptionId] = status.subscriptionId;
  if (status.subscriptionStatus !== undefined)
    out[f.subscriptionStatus] = status.subscriptionStatus;
  if (status.mrr !== undefined) {
    out[f.mrr] = moneyToNumber(status.mrr);
    out[f.currency] = status.mrr.currency;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Small conversions
// ---------------------------------------------------------------------------------------------

/**
 * Salesforce date-times (`2026-01-02T03:04:05.000+0000`) as RFC 3339 UTC
 * (`2026-01-02T03:04:05.000Z`).
 *
 * @throws ValidationError for a value that is not a date-time.
 */
export function toIsoTimestamp(value: string): string {
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(ms)) throw new ValidationError(`${JSON.stringify(value)} is not a date-time`);
  return new Date(ms).toISOString();
}

/** A SOQL date-time literal (`2026-01-02T03:04:05Z`) of a Salesforce date-time, to the second. */
export function toSoqlDateTime(value: string): string {
  return `${toIsoTimestamp(value).slice(0, 19)}Z`;
}

/** The lowercase host of a website (`https://www.Acme.com/x` → `acme.com`); none without a dot. */
export function toDomain(website: string | undefined): string | undefined {
  const raw = website?.trim();
  if (!raw) return undefined;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
    const host = url.hostname
      .toLowerCase()
      .replace(/\.$/, '')
      .replace(/^www\./, '');
    return host.includes('.') ? host : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A Salesforce number (a JSON number such as 49.99) as Money, exactly: its shortest decimal
 * form is parsed, never multiplied as a float.
 */
function decimalToMoney(
  value: number,
  currency: CurrencyCode,
  where: string,
  field: string,
): Money {
  try {
    return fromDecimalString(String(value), currency);
  } catch (error) {
    if (error instanceof RevsyncError) {
      throw invalid(where, field, `${value} is not an amount in ${currency}: ${error.message}`);
    }
    throw error;
  }
}

/** Money as the JSON number Salesforce stores (the exact decimal; ≤ 15 significant digits). */
function moneyToNumber(value: Money): number {
  return Number(toDecimalString(value));
}

const MONTH = new Set(['month', 'monthly', 'mo', 'm']);
const YEAR = new Set(['year', 'yearly', 'annual', 'annually', 'yr', 'y']);

function toInterval(
  value: string | undefined,
  where: string,
  fields: SalesforceFieldMap,
): 'month' | 'year' {
  if (value === undefined) return 'month';
  const v = value.toLowerCase();
  if (MONTH.has(v)) return 'month';
  if (YEAR.has(v)) return 'year';
  throw invalid(where, fields.lineItem.interval, `is ${JSON.stringify(value)}, not month or year`);
}

function toPostalAddress(
  read: Reader,
  f: SalesforceFieldMap['account'],
): PostalAddress | undefined {
  const countryText = read.text(f.billingCountry);
  if (countryText === undefined) return undefined; // an address without a country is no address
  const country = toCountryCode(countryText);
  if (!country) {
    throw invalid(read.where, f.billingCountry, `${JSON.stringify(countryText)} is not a country`);
  }
  const address: PostalAddress = { country };
  const [line1, ...rest] = (read.text(f.billingStreet) ?? '')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (line1) address.line1 = line1;
  if (rest.length > 0) address.line2 = rest.join(', ');
  const city = read.text(f.billingCity);
  if (city) address.city = city;
  const postalCode = read.text(f.billingPostalCode);
  if (postalCode) address.postalCode = postalCode;
  const state = read.text(f.billingState);
  if (state) address.state = state;
  return address;
}

interface Reader {
  where: string;
  text(field: string): string | undefined;
  number(field: string): number | undefined;
  boolean(field: string): boolean | undefined;
  currency(field: string): CurrencyCode | undefined;
}

/** Typed access to configurable fields: absent/null/blank is `undefined`, a wrong type throws. */
function reader(record: SfRecord, where: string): Reader {
  const get = (field: string, type: 'string' | 'number' | 'boolean'): unknown => {
    const value = record[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== type)
      throw invalid(where, field, `is a ${typeof value}, expected ${type}`);
    return value;
  };
  return {
    where,
    text: (field) => {
      const v = (get(field, 'string') as string | undefined)?.trim();
      return v === '' ? undefined : v;
    },
    number: (field) => get(field, 'number') as number | undefined,
    boolean: (field) => get(field, 'boolean') as boolean | undefined,
    currency(field) {
      const v = this.text(field);
      if (v === undefined) return undefined;
      try {
        return toCurrencyCode(v);
      } catch {
        throw invalid(where, field, `${JSON.stringify(v)} is not an ISO 4217 currency`);
      }
    },
  };
}

function parse<T>(schema: z.ZodType<T>, record: unknown, object: string): T {
  const result = schema.safeParse(record);
  if (result.success) return result.data;
  const id = (record as { Id?: unknown } | null)?.Id;
  throw new ValidationError(
    `salesforce ${object}${typeof id === 'string' ? ` ${id}` : ''} is not the expected shape`,
    {
      system: 'salesforce',
      details: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    },
  );
}

function invalid(where: string, field: string, problem: string): ValidationError {
  return new ValidationError(`salesforce ${where}: ${field} ${problem}`, {
    system: 'salesforce',
    details: [{ path: field, message: problem }],
  });
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
