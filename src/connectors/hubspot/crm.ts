import type { CurrencyCode } from '../../model/currency.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type {
  CrmAccount,
  CrmBillingStatus,
  CrmBillingWriteOptions,
  CrmOpportunity,
  CrmOpportunityBilling,
  CrmSystem,
  ReadOptions,
} from '../ports.ts';
import type { HubspotClient, HubspotObjectType, HubspotRecord } from './client.ts';
import {
  COMPANY_BILLING_PROPERTIES,
  COMPANY_PROPERTIES,
  DEAL_BILLING_PROPERTIES,
  DEAL_PROPERTIES,
  DEAL_TO_COMPANY_PRIMARY,
  LINE_ITEM_PROPERTIES,
  sameValue,
  toCrmAccount,
  toCompanyCurrency,
  toCrmBillingStatus,
  toCrmOpportunityBilling,
  toCrmOpportunity,
  toHubspotCompanyBilling,
  toHubspotDealBilling,
  type StageRule,
} from './mapper.ts';

/** The ids a record's `associations` name for `type` (HubSpot spells line items with a space). */
export function associatedIds(record: HubspotRecord, type: 'companies' | 'line_items'): string[] {
  const keys = type === 'line_items' ? ['line_items', 'line items'] : ['companies'];
  const ids = keys.flatMap((k) => record.associations?.[k]?.results.map((r) => r.id) ?? []);
  return [...new Set(ids)].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * {@link CrmSystem} on HubSpot: accounts are companies, opportunities are deals with their line
 * items (associations), the account is the deal's primary company. Billing write-backs are
 * partial updates of the `revsync_*` properties; a write first reads them and sends only the ones
 * that differ (nothing when they match), so a repeated write bumps no `hs_lastmodifieddate` and
 * the poller does not see revsync's own echo as a fresh change. With `readBeforeWrite: false` it
 * sends every given property without the read (the flows' write-back ledger skips repeats).
 */
export class HubspotCrm implements CrmSystem {
  readonly system = 'hubspot' as const;
  readonly #client: HubspotClient;
  readonly #rule: StageRule;
  readonly #defaultCurrency: CurrencyCode;

  constructor(client: HubspotClient, rule: StageRule, defaultCurrency: CurrencyCode) {
    this.#client = client;
    this.#rule = rule;
    this.#defaultCurrency = defaultCurrency;
  }

  async getAccount(id: string, options?: ReadOptions): Promise<CrmAccount> {
    return toCrmAccount(
      await this.#client.getObject('companies', id, COMPANY_PROPERTIES, [], options),
    );
  }

  async getOpportunity(id: string, options: ReadOptions = {}): Promise<CrmOpportunity> {
    const deal = await this.#client.getObject(
      'deals',
      id,
      DEAL_PROPERTIES,
      ['companies', 'line_items'],
      options,
    );
    const companyId = await this.#companyOf(deal, options);
    const lineIds = associatedIds(deal, 'line_items');
    const lines =
      lineIds.length > 0
        ? await this.#client.batchRead('line_items', lineIds, LINE_ITEM_PROPERTIES, options)
        : [];
    let companyCurrency: CurrencyCode | undefined;
    let account: CrmAccount | undefined;
    if (!deal.properties['deal_currency_code']) {
      // The company is read for its currency anyway: read all it maps to, and pass it along.
      const company = await this.#client.getObject(
        'companies',
        companyId,
        COMPANY_PROPERTIES,
        [],
        options,
      );
      companyCurrency = toCompanyCurrency(company);
      account = accountOrUndefined(company);
    }
    const opportunity = toCrmOpportunity(
      deal,
      companyId,
      companyCurrency,
      lines,
      this.#rule,
      this.#defaultCurrency,
    );
    return account ? { ...opportunity, account } : opportunity;
  }

  async getAccountBilling(accountId: string, options?: ReadOptions): Promise<CrmBillingStatus> {
    const record = await this.#client.getObject(
      'companies',
      accountId,
      [...COMPANY_BILLING_PROPERTIES, 'revsync_currency'],
      [],
      options,
    );
    return toCrmBillingStatus(record, this.#defaultCurrency);
  }

  async *pageOpportunityBilling(options?: ReadOptions): AsyncGenerator<CrmOpportunityBilling[]> {
    const properties = [...DEAL_BILLING_PROPERTIES, 'deal_currency_code'];
    for await (const page of this.#client.pages('deals', properties, options))
      yield page
        .filter((deal) => deal.properties['revsync_subscription_id'])
        .map((deal) => toCrmOpportunityBilling(deal, this.#defaultCurrency));
  }

  updateAccountBilling(
    accountId: string,
    status: CrmBillingStatus,
    options: CrmBillingWriteOptions,
  ): Promise<void> {
    return this.#patch('companies', accountId, toHubspotCompanyBilling(status), options);
  }

  updateOpportunityBilling(
    opportunityId: string,
    status: CrmBillingStatus,
    options: CrmBillingWriteOptions,
  ): Promise<void> {
    return this.#patch('deals', opportunityId, toHubspotDealBilling(status), options);
  }

  /** The deal's primary company (the only one, or the one associated as primary). */
  async #companyOf(deal: HubspotRecord, options: ReadOptions): Promise<string> {
    const ids = associatedIds(deal, 'companies');
    if (ids.length === 0) {
      throw new ValidationError(`hubspot deal ${deal.id} is associated with no company`, {
        system: 'hubspot',
        details: [{ path: 'associations.companies', message: 'the deal has no company' }],
      });
    }
    if (ids.length === 1) return ids[0]!;
    const typed =
      (await this.#client.associatedIds('deals', 'companies', [deal.id], options)).get(deal.id) ??
      [];
    return typed.find((a) => a.typeIds.includes(DEAL_TO_COMPANY_PRIMARY))?.id ?? ids[0]!;
  }

  async #patch(
    type: HubspotObjectType,
    id: string,
    values: Record<string, string>,
    options: CrmBillingWriteOptions,
  ): Promise<void> {
    const names = Object.keys(values);
    if (names.length === 0) return;
    if (options.readBeforeWrite === false) {
      await this.#client.update(type, id, values, options);
      return;
    }
    const current = await this.#client.getObject(type, id, names, [], options);
    const changed = Object.fromEntries(
      Object.entries(values).filter(([name, value]) => !sameValue(current.properties[name], value)),
    );
    if (Object.keys(changed).length === 0) return;
    await this.#client.update(type, current.id, changed, options);
  }
}

/** The company as a CRM account, or `undefined` when its fields do not map (getAccount reports that). */
function accountOrUndefined(company: HubspotRecord): CrmAccount | undefined {
  try {
    return toCrmAccount(company);
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}
