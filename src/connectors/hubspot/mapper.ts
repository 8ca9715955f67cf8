import { toCurrencyCode, type CurrencyCode } from '../../model/currency.ts';
import { fromDecimalString, toDecimalString, type Money } from '../../model/money.ts';
import { RevsyncError, ValidationError } from '../../model/revsync-error.ts';
import type {
  CrmAccount,
  CrmBillingStatus,
  CrmOpportunityBilling,
  CrmOpportunity,
  CrmOpportunityLine,
  PostalAddress,
} from '../ports.ts';
import type { HubspotRecord } from './client.ts';

/**
 * The company properties the connector reads: HubSpot's standard ones and the `revsync_*`
 * custom properties the setup guide creates (`revsync_id` with unique values).
 */
export const COMPANY_PROPERTIES = [
  'name',
  'domain',
  'website',
  'address',
  'address2',
  'city',
  'zip',
  'state',
  'country',
  'revsync_id',
  'revsync_region',
  'revsync_currency',
  'revsync_billing_email',
  'revsync_tax_id',
  'revsync_tax_id_type',
  'hs_lastmodifieddate',
  'createdate',
] as const;

/** The company properties revsync writes back (and `getAccountBilling` reads). */
export const COMPANY_BILLING_PROPERTIES = [
  'revsync_id',
  'revsync_billing_customer_id',
  'revsync_subscription_id',
  'revsync_subscription_status',
  'revsync_mrr',
  'revsync_mrr_currency',
  'revsync_payment_status',
  'revsync_last_payment_at',
  'revsync_churned',
] as const;

/** The deal properties revsync writes back. */
export const DEAL_BILLING_PROPERTIES = [
  'revsync_subscription_id',
  'revsync_subscription_status',
  'revsync_mrr',
  'revsync_mrr_currency',
] as const;

/** The deal properties the connector reads. */
export const DEAL_PROPERTIES = [
  'dealname',
  'dealstage',
  'pipeline',
  'closedate',
  'dealtype',
  'deal_currency_code',
  'amount',
  'hs_is_closed',
  'hs_is_closed_won',
  'hs_closed_won_date',
  'hs_lastmodifieddate',
  'createdate',
  ...DEAL_BILLING_PROPERTIES,
] as const;

/** The line item properties the connector reads. */
export const LINE_ITEM_PROPERTIES = [
  'name',
  'hs_sku',
  'hs_product_id',
  'quantity',
  'price',
  'recurringbillingfrequency',
  'hs_line_item_currency_code',
] as const;

/** Association type ids (HubSpot-defined): deal → company, primary and unlabeled. */
export const DEAL_TO_COMPANY_PRIMARY = 5;

// ---------------------------------------------------------------------------------------------
// HubSpot → canonical
// ---------------------------------------------------------------------------------------------

/** A company as the canonical CRM account. */
export function toCrmAccount(record: HubspotRecord): CrmAccount {
  const read = reader(record, `company ${record.id}`);
  const name = read.text('name');
  if (name === undefined) throw invalid(`company ${record.id}`, 'name', 'is empty');
  const account: CrmAccount = {
    id: record.id,
    name,
    modifiedAt: read.timestamp('hs_lastmodifieddate') ?? new Date(0).toISOString(),
  };
  const domain = toDomain(read.text('domain') ?? read.text('website'));
  if (domain) account.domain = domain;
  const taxId = read.text('revsync_tax_id');
  if (taxId) account.taxId = { type: read.text('revsync_tax_id_type') ?? 'unknown', value: taxId };
  const email = read.text('revsync_billing_email');
  if (email) account.email = email;
  const address = toPostalAddress(read);
  if (address) account.billingAddress = address;
  const currency = read.currency('revsync_currency');
  if (currency) account.currency = currency;
  const region = read.text('revsync_region');
  if (region) account.region = region;
  const revsyncId = read.text('revsync_id');
  if (revsyncId) account.revsyncId = revsyncId;
  return account;
}

/** A company's `revsync_currency`, if set. */
export function toCompanyCurrency(record: HubspotRecord): CurrencyCode | undefined {
  return reader(record, `company ${record.id}`).currency('revsync_currency');
}

/** How a deal's stage is judged. */
export interface StageRule {
  /** Stage ids configured as closed won; absent: HubSpot's `hs_is_closed_won`. */
  closedWonStages?: ReadonlySet<string>;
}

/** Whether the deal is closed won under `rule`. */
export function isClosedWon(record: HubspotRecord, rule: StageRule): boolean {
  if (rule.closedWonStages) return rule.closedWonStages.has(record.properties['dealstage'] ?? '');
  return record.properties['hs_is_closed_won'] === 'true';
}

/**
 * The canonical deal type word of a deal: HubSpot's `dealtype` (`newbusiness`,
 * `existingbusiness`, and the options the setup guide adds, `amendment` and `renewal`). An
 * `existingbusiness` deal naming the subscription it changes is an amendment.
 */
export function dealTypeWord(
  record: HubspotRecord,
): 'New Business' | 'Amendment' | 'Renewal' | undefined {
  const type = record.properties['dealtype'];
  if (type === 'newbusiness') return 'New Business';
  if (type === 'amendment') return 'Amendment';
  if (type === 'renewal') return 'Renewal';
  if (type === 'existingbusiness')
    return record.properties['revsync_subscription_id'] ? 'Amendment' : 'Renewal';
  return undefined;
}

/**
 * A deal, its company and its line items as the canonical opportunity. The currency is the
 * deal's, else its company's `revsync_currency`, else `defaultCurrency`.
 */
export function toCrmOpportunity(
  deal: HubspotRecord,
  companyId: string,
  companyCurrency: CurrencyCode | undefined,
  lineItems: readonly HubspotRecord[],
  rule: StageRule,
  defaultCurrency: CurrencyCode,
): CrmOpportunity {
  const where = `deal ${deal.id}`;
  const read = reader(deal, where);
  const currency = read.currency('deal_currency_code') ?? companyCurrency ?? defaultCurrency;
  const won = isClosedWon(deal, rule);
  const modifiedAt = read.timestamp('hs_lastmodifieddate') ?? new Date(0).toISOString();
  const closeDate = (
    read.timestamp('closedate') ??
    read.timestamp('hs_closed_won_date') ??
    modifiedAt
  ).slice(0, 10);
  const result: CrmOpportunity = {
    id: deal.id,
    accountId: companyId,
    name: read.text('dealname') ?? deal.id,
    stage: read.text('dealstage') ?? '',
    isWon: won,
    isClosed: won || deal.properties['hs_is_closed'] === 'true',
    closeDate,
    currency,
    lines: lineItems.map((l) => toCrmOpportunityLine(l, currency)),
    modifiedAt,
  };
  const type = dealTypeWord(deal);
  if (type) result.type = type;
  const subscriptionId = read.text('revsync_subscription_id');
  if (subscriptionId) result.subscriptionId = subscriptionId;
  return result;
}

/** A line item in the deal's currency. */
export function toCrmOpportunityLine(
  record: HubspotRecord,
  currency: CurrencyCode,
): CrmOpportunityLine {
  const where = `line item ${record.id}`;
  const read = reader(record, where);
  const productCode = read.text('hs_sku') ?? read.text('hs_product_id');
  if (!productCode) throw invalid(where, 'hs_sku', 'is empty and the line has no product');
  const quantity = Number(read.text('quantity') ?? '1');
  if (!Number.isFinite(quantity) || quantity <= 0)
    throw invalid(where, 'quantity', `${read.text('quantity') ?? ''} is not a positive number`);
  const price = read.text('price');
  if (price === undefined) throw invalid(where, 'price', 'is empty');
  const lineCurrency = read.currency('hs_line_item_currency_code');
  if (lineCurrency && lineCurrency !== currency)
    throw invalid(
      where,
      'hs_line_item_currency_code',
      `is ${lineCurrency}, the deal's is ${currency}`,
    );
  return {
    id: record.id,
    productCode,
    productName: read.text('name') ?? productCode,
    quantity,
    unitAmount: decimalToMoney(price, currency, where, 'price'),
    interval: toInterval(read.text('recurringbillingfrequency'), where),
  };
}

/** A company's billing write-back properties. MRR in `revsync_mrr_currency`, else the company's currency. */
export function toCrmBillingStatus(
  record: HubspotRecord,
  defaultCurrency: CurrencyCode,
): CrmBillingStatus {
  const where = `company ${record.id}`;
  const read = reader(record, where);
  const status: CrmBillingStatus = {};
  const text = (name: string, set: (v: string) => void) => {
    const v = read.text(name);
    if (v !== undefined) set(v);
  };
  text('revsync_id', (v) => (status.revsyncId = v));
  text('revsync_billing_customer_id', (v) => (status.billingCustomerId = v));
  text('revsync_subscription_id', (v) => (status.subscriptionId = v));
  text('revsync_subscription_status', (v) => (status.subscriptionStatus = v));
  text('revsync_payment_status', (v) => (status.paymentStatus = v));
  const mrr = read.text('revsync_mrr');
  if (mrr !== undefined) {
    const currency =
      read.currency('revsync_mrr_currency') ?? read.currency('revsync_currency') ?? defaultCurrency;
    status.mrr = decimalToMoney(mrr, currency, where, 'revsync_mrr');
  }
  const lastPaymentAt = read.timestamp('revsync_last_payment_at');
  if (lastPaymentAt) status.lastPaymentAt = lastPaymentAt;
  const churned = read.text('revsync_churned');
  if (churned !== undefined) status.churned = churned === 'true';
  return status;
}

/** A deal's billing write-back properties. MRR in `revsync_mrr_currency`, else the deal's currency. */
export function toCrmOpportunityBilling(
  record: HubspotRecord,
  defaultCurrency: CurrencyCode,
): CrmOpportunityBilling {
  const read = reader(record, `deal ${record.id}`);
  const out: CrmOpportunityBilling = { opportunityId: record.id };
  const subscriptionId = read.text('revsync_subscription_id');
  if (subscriptionId) out.subscriptionId = subscriptionId;
  const subscriptionStatus = read.text('revsync_subscription_status');
  if (subscriptionStatus) out.subscriptionStatus = subscriptionStatus;
  const mrr = read.text('revsync_mrr');
  if (mrr !== undefined) {
    const currency =
      read.currency('revsync_mrr_currency') ??
      read.currency('deal_currency_code') ??
      defaultCurrency;
    out.mrr = decimalToMoney(mrr, currency, `deal ${record.id}`, 'revsync_mrr');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// canonical → HubSpot
// ---------------------------------------------------------------------------------------------

/** The company properties to write for `status` (a partial update: absent fields are left out). */
export function toHubspotCompanyBilling(status: CrmBillingStatus): Record<string, string> {
  const out: Record<string, string> = {};
  if (status.revsyncId !== undefined) out['revsync_id'] = status.revsyncId;
  if (status.billingCustomerId !== undefined)
    out['revsync_billing_customer_id'] = status.billingCustomerId;
  if (status.subscriptionId !== undefined) out['revsync_subscription_id'] = status.subscriptionId;
  if (status.subscriptionStatus !== undefined)
    out['revsync_subscription_status'] = status.subscriptionStatus;
  if (status.mrr !== undefined) {
    out['revsync_mrr'] = toDecimalString(status.mrr);
    out['revsync_mrr_currency'] = status.mrr.currency;
  }
  if (status.paymentStatus !== undefined) out['revsync_payment_status'] = status.paymentStatus;
  if (status.lastPaymentAt !== undefined)
    out['revsync_last_payment_at'] = new Date(status.lastPaymentAt).toISOString();
  if (status.churned !== undefined) out['revsync_churned'] = String(status.churned);
  return out;
}

/** The deal properties to write for `status`: subscription id and status, MRR and its currency. */
export function toHubspotDealBilling(status: CrmBillingStatus): Record<string, string> {
  const out: Record<string, string> = {};
  if (status.subscriptionId !== undefined) out['revsync_subscription_id'] = status.subscriptionId;
  if (status.subscriptionStatus !== undefined)
    out['revsync_subscription_status'] = status.subscriptionStatus;
  if (status.mrr !== undefined) {
    out['revsync_mrr'] = toDecimalString(status.mrr);
    out['revsync_mrr_currency'] = status.mrr.currency;
  }
  return out;
}

/** Whether a stored value already is the one to write (numbers and instants compared as such). */
export function sameValue(stored: string | null | undefined, wanted: string): boolean {
  if (stored === undefined || stored === null || stored === '') return wanted === '';
  if (stored === wanted) return true;
  if (/^-?\d+(\.\d+)?$/.test(stored) && /^-?\d+(\.\d+)?$/.test(wanted))
    return Number(stored) === Number(wanted);
  const a = Date.parse(stored);
  const b = Date.parse(wanted);
  return /^\d{4}-\d\d-\d\dT/.test(wanted) && !Number.isNaN(a) && a === b;
}

// ---------------------------------------------------------------------------------------------
// Small conversions
// ---------------------------------------------------------------------------------------------

/** The lowercase host of a domain or website (`https://www.Acme.com/x` → `acme.com`). */
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

/** Country names HubSpot portals commonly hold, to ISO 3166-1 alpha-2. */
const COUNTRY_NAMES: Record<string, string> = {
  'united states': 'US',
  'united states of america': 'US',
  usa: 'US',
  'united kingdom': 'GB',
  uk: 'GB',
  'great britain': 'GB',
  germany: 'DE',
  deutschland: 'DE',
  france: 'FR',
  spain: 'ES',
  italy: 'IT',
  netherlands: 'NL',
  ireland: 'IE',
  canada: 'CA',
  australia: 'AU',
  japan: 'JP',
};

function toCountryCode(text: string): string | undefined {
  const t = text.trim();
  if (/^[A-Za-z]{2}$/.test(t)) return t.toUpperCase() === 'UK' ? 'GB' : t.toUpperCase();
  return COUNTRY_NAMES[t.toLowerCase()];
}

function toPostalAddress(read: Reader): PostalAddress | undefined {
  const countryText = read.text('country');
  if (countryText === undefined) return undefined;
  const country = toCountryCode(countryText);
  if (!country)
    throw invalid(read.where, 'country', `${JSON.stringify(countryText)} is not a country`);
  const address: PostalAddress = { country };
  const line1 = read.text('address');
  if (line1) address.line1 = line1;
  const line2 = read.text('address2');
  if (line2) address.line2 = line2;
  const city = read.text('city');
  if (city) address.city = city;
  const postalCode = read.text('zip');
  if (postalCode) address.postalCode = postalCode;
  const state = read.text('state');
  if (state) address.state = state;
  return address;
}

function toInterval(value: string | undefined, where: string): 'month' | 'year' {
  if (value === undefined || value === 'monthly') return 'month';
  if (value === 'annually') return 'year';
  throw invalid(
    where,
    'recurringbillingfrequency',
    `is ${JSON.stringify(value)}, not monthly or annually`,
  );
}

function decimalToMoney(
  value: string,
  currency: CurrencyCode,
  where: string,
  field: string,
): Money {
  try {
    return fromDecimalString(value.trim(), currency);
  } catch (error) {
    if (error instanceof RevsyncError)
      throw invalid(where, field, `${value} is not an amount in ${currency}: ${error.message}`);
    throw error;
  }
}

interface Reader {
  where: string;
  text(name: string): string | undefined;
  timestamp(name: string): string | undefined;
  currency(name: string): CurrencyCode | undefined;
}

function reader(record: HubspotRecord, where: string): Reader {
  return {
    where,
    text(name) {
      const v = record.properties[name]?.trim();
      return v === undefined || v === '' ? undefined : v;
    },
    timestamp(name) {
      const v = this.text(name);
      if (v === undefined) return undefined;
      const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
      if (Number.isNaN(ms)) throw invalid(where, name, `${JSON.stringify(v)} is not a date-time`);
      return new Date(ms).toISOString();
    },
    currency(name) {
      const v = this.text(name);
      if (v === undefined) return undefined;
      try {
        return toCurrencyCode(v.toUpperCase());
      } catch {
        throw invalid(where, name, `${JSON.stringify(v)} is not an ISO 4217 currency`);
      }
    },
  };
}

function invalid(where: string, field: string, problem: string): ValidationError {
  return new ValidationError(`hubspot ${where}: ${field} ${problem}`, {
    system: 'hubspot',
    details: [{ path: field, message: problem }],
  });
}
