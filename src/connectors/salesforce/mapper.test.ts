import { describe, expect, it } from 'vitest';
import { toCountryCode } from './country.ts';
import { salesforceEventType } from './events.ts';
import { DEFAULT_SALESFORCE_FIELDS, resolveSalesforceFields } from './fields.ts';
import {
  toCrmAccount,
  toCrmBillingStatus,
  toCrmOpportunityLine,
  toDomain,
  toIsoTimestamp,
  toNestedRecords,
  opportunityWithRelationsToSelect,
  toSalesforceAccountBilling,
  toSalesforceOpportunityBilling,
  toSoqlDateTime,
} from './mapper.ts';

const fields = DEFAULT_SALESFORCE_FIELDS;
const stamp = '2026-01-02T03:04:05.000+0000';

describe('small conversions', () => {
  it('reads websites as lowercase hosts', () => {
    expect(toDomain('https://www.Acme.com/about?x=1')).toBe('acme.com');
    expect(toDomain('ACME.co.uk')).toBe('acme.co.uk');
    expect(toDomain('http://shop.acme.io:8080')).toBe('shop.acme.io');
    expect(toDomain('n/a')).toBeUndefined();
    expect(toDomain('  ')).toBeUndefined();
  });

  it('reads countries written as codes or names as ISO alpha-2', () => {
    expect(toCountryCode('us')).toBe('US');
    expect(toCountryCode('USA')).toBe('US');
    expect(toCountryCode('United States')).toBe('US');
    expect(toCountryCode('United Kingdom')).toBe('GB');
    expect(toCountryCode('UK')).toBe('GB');
    expect(toCountryCode('Germany')).toBe('DE');
    expect(toCountryCode('Deutschland')).toBe('DE');
    expect(toCountryCode('Côte d’Ivoire')).toBe('CI');
    expect(toCountryCode('Narnia')).toBeUndefined();
    expect(toCountryCode('EU')).toBeUndefined();
  });

  it('converts Salesforce date-times', () => {
    expect(toIsoTimestamp(stamp)).toBe('2026-01-02T03:04:05.000Z');
    expect(toIsoTimestamp('2026-01-02T05:04:05.000+0200')).toBe('2026-01-02T03:04:05.000Z');
    expect(toSoqlDateTime(stamp)).toBe('2026-01-02T03:04:05Z');
    expect(() => toIsoTimestamp('yesterday')).toThrow(/not a date-time/);
  });
});

describe('Salesforce → canonical', () => {
  it('refuses a record of the wrong shape or a field of the wrong type', () => {
    expect(() => toCrmAccount({ Name: 'x' }, fields)).toThrow(/not the expected shape/);
    expect(() =>
      toCrmAccount(
        { Id: '001000000000001AAA', SystemModstamp: stamp, Name: 'x', Region__c: 7 },
        fields,
      ),
    ).toThrow(/Region__c is a number, expected string/);
    expect(() =>
      toCrmAccount(
        { Id: '001000000000001AAA', SystemModstamp: stamp, Name: 'x', Currency__c: 'EURO' },
        fields,
      ),
    ).toThrow(/not an ISO 4217 currency/);
  });

  it('reads a country-less address as none, and tax ids without a type as unknown', () => {
    const account = toCrmAccount(
      {
        Id: '001000000000001AAA',
        SystemModstamp: stamp,
        Name: ' Acme ',
        BillingCity: 'Springfield',
        Tax_Id__c: '12-3456789',
      },
      fields,
    );
    expect(account).toEqual({
      id: '001000000000001AAA',
      name: 'Acme',
      taxId: { type: 'unknown', value: '12-3456789' },
      modifiedAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('reads line intervals and prices exactly', () => {
    const line = (extra: Record<string, unknown>) => ({
      Id: '00k000000000001AAA',
      Quantity: 3,
      UnitPrice: 0.1,
      Product2Id: '01t000000000001AAA',
      Product2: { ProductCode: null, Name: 'Widget' },
      ...extra,
    });
    expect(toCrmOpportunityLine(line({}), fields, 'USD')).toEqual({
      id: '00k000000000001AAA',
      productCode: '01t000000000001AAA',
      productName: 'Widget',
      quantity: 3,
      unitAmount: { amount: 10, currency: 'USD' },
      interval: 'month',
    });
    expect(
      toCrmOpportunityLine(line({ Billing_Interval__c: 'Yearly' }), fields, 'BHD').unitAmount,
    ).toEqual({ amount: 100, currency: 'BHD' });
    expect(() =>
      toCrmOpportunityLine(line({ Billing_Interval__c: 'weekly' }), fields, 'USD'),
    ).toThrow(/not month or year/);
  });

  it('reads MRR back in the account currency', () => {
    expect(
      toCrmBillingStatus(
        { Id: '001000000000001AAA', SystemModstamp: stamp, MRR__c: 1234.5, Currency__c: 'EUR' },
        fields,
        'USD',
      ),
    ).toEqual({ mrr: { amount: 123450, currency: 'EUR' } });
  });
});

describe('canonical → Salesforce', () => {
  it('writes only what is given, MRR as a decimal number', () => {
    expect(
      toSalesforceAccountBilling(
        { subscriptionId: 'sub_1', mrr: { amount: 4999, currency: 'USD' }, churned: true },
        fields,
      ),
    ).toEqual({ Subscription_Id__c: 'sub_1', MRR__c: 49.99, Churned__c: true });
    expect(
      toSalesforceOpportunityBilling(
        { revsyncId: 'cus_1', mrr: { amount: 1000, currency: 'JPY' } },
        fields,
      ),
    ).toEqual({ MRR__c: 1000, Currency__c: 'JPY' });
  });

  it('follows a custom field map', () => {
    const custom = resolveSalesforceFields({ accountBilling: { mrr: 'ARR_Monthly__c' } });
    expect(toSalesforceAccountBilling({ mrr: { amount: 1, currency: 'USD' } }, custom)).toEqual({
      ARR_Monthly__c: 0.01,
    });
    expect(() => resolveSalesforceFields({ account: { region: 'Region__c, Id' } })).toThrow(
      /fields\.account\.region/,
    );
  });
});

describe('event types', () => {
  const opp = (extra: Record<string, unknown>) => ({
    object: 'Opportunity' as const,
    record: { Id: '006000000000001AAA', IsWon: true, Type: 'New Business', ...extra },
  });

  it('derives opportunity event types from what the change event says', () => {
    const won = { IsWon: true, StageName: 'Closed Won' };
    expect(
      salesforceEventType(
        { ...opp({}), changeType: 'UPDATE', payload: won, changedFields: ['StageName', 'IsWon'] },
        fields,
      ),
    ).toBe('salesforce.opportunity.closed_won');
    expect(
      salesforceEventType(
        { ...opp({}), changeType: 'UPDATE', payload: { Amount: 5 }, changedFields: ['Amount'] },
        fields,
      ),
    ).toBe('salesforce.opportunity.updated');
    expect(
      salesforceEventType(
        { ...opp({ Type: 'Amendment' }), changeType: 'CREATE', payload: { IsWon: true } },
        fields,
      ),
    ).toBe('salesforce.opportunity.amendment_won');
    expect(salesforceEventType({ ...opp({}), changeType: 'DELETE' }, fields)).toBeUndefined();
  });

  it('treats an update of write-back and audit fields only as an echo', () => {
    const changedFields = ['Subscription_Id__c', 'MRR__c', 'LastModifiedDate'];
    expect(
      salesforceEventType({ ...opp({}), changeType: 'UPDATE', payload: {}, changedFields }, fields),
    ).toBeUndefined();
    expect(
      salesforceEventType(
        {
          object: 'Account',
          record: { Id: '001000000000001AAA' },
          changeType: 'UPDATE',
          payload: {},
          changedFields: [...changedFields, 'Name'],
        },
        fields,
      ),
    ).toBe('salesforce.account.updated');
  });
});

describe('one query per deal', () => {
  it('selects the account and line fields the field map names', () => {
    const custom = resolveSalesforceFields({
      account: { region: 'Sales_Region__c' },
      lineItem: { interval: 'Cadence__c' },
    });
    const select = opportunityWithRelationsToSelect(custom);
    expect(select).toContain('Account.Sales_Region__c');
    expect(select).toContain('Account.SystemModstamp');
    expect(select.filter((f) => f === 'Account.Currency__c')).toHaveLength(1);
    expect(select.at(-1)).toMatch(
      /^\(SELECT Id, .*Cadence__c FROM OpportunityLineItems ORDER BY CreatedDate, Id\)$/,
    );
  });

  it('reads a nested result: null is no lines, not done needs a nextRecordsUrl', () => {
    const id = '006000000000001AAA';
    expect(
      toNestedRecords(
        { Id: id, OpportunityLineItems: null },
        'OpportunityLineItems',
        'Opportunity',
      ),
    ).toEqual({ records: [] });
    const rest = '/services/data/v62.0/query/01g000000000001-200';
    expect(
      toNestedRecords(
        {
          Id: id,
          OpportunityLineItems: {
            totalSize: 201,
            done: false,
            nextRecordsUrl: rest,
            records: [{ Id: 'x' }],
          },
        },
        'OpportunityLineItems',
        'Opportunity',
      ),
    ).toEqual({ records: [{ Id: 'x' }], nextRecordsUrl: rest });
    expect(() =>
      toNestedRecords(
        { Id: id, OpportunityLineItems: { totalSize: 201, done: false, records: [] } },
        'OpportunityLineItems',
        'Opportunity',
      ),
    ).toThrow(/nextRecordsUrl/);
    expect(() =>
      toNestedRecords({ Id: id, OpportunityLineItems: [] }, 'OpportunityLineItems', 'Opportunity'),
    ).toThrow(/expected shape/);
  });
});
