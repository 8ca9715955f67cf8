import type { CurrencyCode } from '../../model/currency.ts';
import type {
  CrmAccount,
  CrmBillingStatus,
  CrmBillingWriteOptions,
  CrmOpportunity,
  CrmOpportunityBilling,
  CrmSystem,
  ReadOptions,
} from '../ports.ts';
import { soqlId, type SalesforceClient } from './client.ts';
import type { SalesforceFieldMap } from './fields.ts';
import {
  accountFieldsToSelect,
  LINE_ITEMS_RELATIONSHIP,
  opportunityBillingFieldsToSelect,
  opportunityWithRelationsToSelect,
  toCrmAccount,
  toCrmAccountOfOpportunity,
  toCrmBillingStatus,
  toCrmOpportunityBilling,
  toCrmOpportunity,
  toIsoTimestamp,
  toNestedRecords,
  toSalesforceAccountBilling,
  toSalesforceOpportunityBilling,
  type SalesforceFieldValue,
} from './mapper.ts';

/**
 * {@link CrmSystem} on Salesforce. Reads are SOQL (custom fields included); billing write-backs
 * are partial updates (PATCH) of the fields given. By default a write first reads those fields
 * and sends only the ones that differ — nothing at all when they already match — so a repeated
 * write is a no-op that bumps no `SystemModstamp` and starts no change event (the SOQL poller
 * would otherwise see every repeat as a fresh change and feed it back to the flows). With
 * `readBeforeWrite: false` it PATCHes every given field without the read: the flows' write-back
 * ledger has already skipped the repeats it knows of.
 */
export class SalesforceCrm implements CrmSystem {
  readonly system = 'salesforce' as const;
  readonly #client: SalesforceClient;
  readonly #fields: SalesforceFieldMap;
  readonly #defaultCurrency: CurrencyCode;

  constructor(client: SalesforceClient, fields: SalesforceFieldMap, defaultCurrency: CurrencyCode) {
    this.#client = client;
    this.#fields = fields;
    this.#defaultCurrency = defaultCurrency;
  }

  async getAccount(id: string, options?: ReadOptions): Promise<CrmAccount> {
    const record = await this.#client.queryById(
      'account.get',
      'Account',
      accountFieldsToSelect(this.#fields),
      id,
      options,
    );
    return toCrmAccount(record, this.#fields);
  }

  /**
   * One SOQL query reads the opportunity, its account's fields (`Account.<field>`, returned as
   * `account`) and its line items (a subquery); only a deal with more line items than the nested
   * result holds costs more calls, one per further page (`opportunity.lines`).
   */
  async getOpportunity(id: string, options?: ReadOptions): Promise<CrmOpportunity> {
    const record = await this.#client.queryById(
      'opportunity.get',
      'Opportunity',
      opportunityWithRelationsToSelect(this.#fields),
      id,
      options,
    );
    const nested = toNestedRecords(record, LINE_ITEMS_RELATIONSHIP, 'Opportunity');
    const lines = [...nested.records];
    if (nested.nextRecordsUrl !== undefined) {
      for await (const page of this.#client.queryPagesFrom(
        'opportunity.lines',
        nested.nextRecordsUrl,
        options,
      ))
        lines.push(...page);
    }
    const opportunity = toCrmOpportunity(record, lines, this.#fields, this.#defaultCurrency);
    const account = toCrmAccountOfOpportunity(record, this.#fields);
    return account ? { ...opportunity, account } : opportunity;
  }

  async getAccountBilling(accountId: string, options?: ReadOptions): Promise<CrmBillingStatus> {
    const record = await this.#client.queryById(
      'account.billing.get',
      'Account',
      [
        'Id',
        'SystemModstamp',
        ...Object.values(this.#fields.accountBilling),
        this.#fields.account.currency,
      ],
      accountId,
      options,
    );
    return toCrmBillingStatus(record, this.#fields, this.#defaultCurrency);
  }

  async *pageOpportunityBilling(options?: ReadOptions): AsyncGenerator<CrmOpportunityBilling[]> {
    const soql =
      `SELECT ${opportunityBillingFieldsToSelect(this.#fields).join(', ')} FROM Opportunity ` +
      `WHERE ${this.#fields.opportunity.subscriptionId} != null ORDER BY Id`;
    for await (const page of this.#client.queryPages('opportunity.billing.list', soql, options))
      yield page.map((r) => toCrmOpportunityBilling(r, this.#fields, this.#defaultCurrency));
  }

  updateAccountBilling(
    accountId: string,
    status: CrmBillingStatus,
    options: CrmBillingWriteOptions,
  ): Promise<void> {
    return this.#patch(
      'Account',
      accountId,
      toSalesforceAccountBilling(status, this.#fields),
      options,
    );
  }

  updateOpportunityBilling(
    opportunityId: string,
    status: CrmBillingStatus,
    options: CrmBillingWriteOptions,
  ): Promise<void> {
    return this.#patch(
      'Opportunity',
      opportunityId,
      toSalesforceOpportunityBilling(status, this.#fields),
      options,
    );
  }

  async #patch(
    object: 'Account' | 'Opportunity',
    id: string,
    values: Record<string, SalesforceFieldValue>,
    options: CrmBillingWriteOptions,
  ): Promise<void> {
    const names = Object.keys(values);
    if (names.length === 0) return;
    const operation = `${object.toLowerCase()}.billing`;
    if (options.readBeforeWrite === false) {
      // soqlId refuses a malformed id (`ValidationError`) as the read would; a missing record
      // answers 404 (`NotFoundError`).
      soqlId(id);
      await this.#client.request(
        `${operation}.update`,
        { method: 'PATCH', url: `/sobjects/${object}/${id}`, body: values },
        options,
      );
      return;
    }
    const current = await this.#client.queryById(
      `${operation}.read`,
      object,
      ['Id', ...names],
      id,
      options,
    );
    const changed = Object.fromEntries(
      Object.entries(values).filter(([name, value]) => !sameValue(current[name], value)),
    );
    if (Object.keys(changed).length === 0) return;
    await this.#client.request(
      `${operation}.update`,
      { method: 'PATCH', url: `/sobjects/${object}/${String(current['Id'])}`, body: changed },
      options,
    );
  }
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Whether the stored value already is the one to write (date-times compared as instants). */
function sameValue(stored: unknown, wanted: SalesforceFieldValue): boolean {
  if (stored === undefined) return false;
  if (typeof stored === 'string' && typeof wanted === 'string' && DATE_TIME.test(wanted)) {
    if (!DATE_TIME.test(stored)) return false;
    return toIsoTimestamp(stored) === toIsoTimestamp(wanted);
  }
  return (stored ?? null) === wanted;
}
