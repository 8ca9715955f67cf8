import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createProduct,
  createRecord,
  startTestbed,
  type SalesforceTestbed,
} from './test-helpers.ts';

let tb: SalesforceTestbed;
const write = { idempotencyKey: 'run-1:step-1' };

beforeEach(async () => {
  tb = await startTestbed();
});
afterEach(async () => {
  await tb.close();
});

async function seedAccount(extra: Record<string, unknown> = {}): Promise<string> {
  return createRecord(tb.admin, 'Account', {
    Name: 'Acme GmbH',
    Website: 'https://www.Acme.de/about',
    Tax_Id__c: 'DE123456789',
    Tax_Id_Type__c: 'eu_vat',
    BillingStreet: 'Hauptstraße 1\nHinterhaus',
    BillingCity: 'Berlin',
    BillingPostalCode: '10115',
    BillingState: 'BE',
    BillingCountry: 'Germany',
    Currency__c: 'eur',
    Region__c: 'EU',
    Billing_Email__c: 'billing@acme.de',
    ...extra,
  });
}

describe('getAccount', () => {
  it('maps the account fields to the canonical account', async () => {
    const id = await seedAccount({ Revsync_Id__c: 'cus_123' });
    const account = await tb.connector.port.getAccount(id);
    expect(account).toEqual({
      id,
      name: 'Acme GmbH',
      domain: 'acme.de',
      taxId: { type: 'eu_vat', value: 'DE123456789' },
      email: 'billing@acme.de',
      billingAddress: {
        line1: 'Hauptstraße 1',
        line2: 'Hinterhaus',
        city: 'Berlin',
        postalCode: '10115',
        state: 'BE',
        country: 'DE',
      },
      currency: 'EUR',
      region: 'EU',
      revsyncId: 'cus_123',
      modifiedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/),
    });
  });

  it('leaves out what the account does not have', async () => {
    const id = await createRecord(tb.admin, 'Account', { Name: 'Bare Ltd' });
    const account = await tb.connector.port.getAccount(id);
    expect(account).toEqual({ id, name: 'Bare Ltd', modifiedAt: expect.any(String) });
  });

  it('refuses an unknown country with a ValidationError naming the field', async () => {
    const id = await seedAccount({ BillingCountry: 'Narnia' });
    await expect(tb.connector.port.getAccount(id)).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('BillingCountry'),
    });
  });

  it('answers NotFoundError for a missing or deleted account and refuses a non-id', async () => {
    const id = await seedAccount();
    await tb.admin.sobject('Account').destroy(id);
    await expect(tb.connector.port.getAccount(id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(tb.connector.port.getAccount("001' OR Name != '")).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });
});

describe('getOpportunity', () => {
  it('maps the opportunity and its line items, in the account currency by default', async () => {
    const accountId = await seedAccount();
    const seats = await createProduct(tb, 'SEATS', 'Seats', 49.99);
    const platform = await createProduct(tb, 'PLATFORM', 'Platform fee', 1200);
    const oppId = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Acme – New',
      AccountId: accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-03-31',
      Type: 'New Business',
    });
    const seatsLine = await createRecord(tb.admin, 'OpportunityLineItem', {
      OpportunityId: oppId,
      Product2Id: seats,
      Quantity: 10,
      UnitPrice: 49.99,
    });
    const platformLine = await createRecord(tb.admin, 'OpportunityLineItem', {
      OpportunityId: oppId,
      Product2Id: platform,
      Quantity: 1,
      UnitPrice: 1200,
      Billing_Interval__c: 'Annual',
    });

    const before = tb.headers.length;
    const opp = await tb.connector.port.getOpportunity(oppId);
    const requests = tb.headers.slice(before).filter((h) => !h.url.includes('oauth2'));
    // The opportunity, its account and its lines in one SOQL query.
    expect(requests).toHaveLength(1);
    expect(decodeURIComponent(requests[0]?.url ?? '')).toContain('FROM OpportunityLineItems');
    opp.lines.sort((a, b) => a.productCode.localeCompare(b.productCode));
    expect(opp).toEqual({
      id: oppId,
      accountId,
      name: 'Acme – New',
      stage: 'Closed Won',
      isWon: true,
      isClosed: true,
      closeDate: '2026-03-31',
      currency: 'EUR',
      type: 'New Business',
      lines: [
        {
          id: platformLine,
          productCode: 'PLATFORM',
          productName: 'Platform fee',
          quantity: 1,
          unitAmount: { amount: 120000, currency: 'EUR' },
          interval: 'year',
        },
        {
          id: seatsLine,
          productCode: 'SEATS',
          productName: 'Seats',
          quantity: 10,
          unitAmount: { amount: 4999, currency: 'EUR' },
          interval: 'month',
        },
      ],
      modifiedAt: expect.any(String),
      account: await tb.connector.port.getAccount(accountId),
    });
  });

  it('reads the account and line fields the field map names, in the same query', async () => {
    await tb.close();
    tb = await startTestbed({
      connector: {
        fields: {
          account: { region: 'Sales_Region__c', currency: 'Acct_Currency__c' },
          lineItem: { interval: 'Cadence__c' },
        },
      },
    });
    const accountId = await createRecord(tb.admin, 'Account', {
      Name: 'Mapped AG',
      Sales_Region__c: 'EU',
      Acct_Currency__c: 'CHF',
    });
    const product = await createProduct(tb, 'P', 'Product', 10);
    const oppId = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Mapped – New',
      AccountId: accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-03-31',
    });
    await createRecord(tb.admin, 'OpportunityLineItem', {
      OpportunityId: oppId,
      Product2Id: product,
      Quantity: 2,
      UnitPrice: 10,
      Cadence__c: 'year',
    });
    const opp = await tb.connector.port.getOpportunity(oppId);
    expect(opp).toMatchObject({
      currency: 'CHF',
      lines: [{ quantity: 2, interval: 'year', unitAmount: { amount: 1000, currency: 'CHF' } }],
      account: { id: accountId, name: 'Mapped AG', region: 'EU', currency: 'CHF' },
    });
  });

  it('follows the nested nextRecordsUrl of a deal with more lines than one batch', async () => {
    const accountId = await seedAccount();
    const seats = await createProduct(tb, 'SEATS', 'Seats', 1);
    const oppId = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Acme – Big',
      AccountId: accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-03-31',
    });
    const count = 205; // the emulator nests 200 child records, then pages
    const saved = await tb.admin.sobject('OpportunityLineItem').create(
      Array.from({ length: count }, (_, i) => ({
        OpportunityId: oppId,
        Product2Id: seats,
        Quantity: i + 1,
        UnitPrice: 1,
      })),
      { allowRecursive: true },
    );
    expect(saved.every((r) => r.success)).toBe(true);
    const before = tb.headers.length;
    const opp = await tb.connector.port.getOpportunity(oppId);
    const requests = tb.headers.slice(before).filter((h) => !h.url.includes('oauth2'));
    expect(requests).toHaveLength(2);
    expect(requests[1]?.url).toMatch(/\/query\/01g\w+-200$/);
    expect(opp.lines).toHaveLength(count);
    expect(new Set(opp.lines.map((l) => l.id)).size).toBe(count);
    expect(opp.lines.map((l) => l.quantity).sort((a, b) => a - b)).toEqual(
      Array.from({ length: count }, (_, i) => i + 1),
    );
  });

  it('reads a deal without lines, and leaves out an account whose fields do not map', async () => {
    const accountId = await seedAccount({ BillingCountry: 'Narnia' });
    const oppId = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Acme – Empty',
      AccountId: accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-03-31',
    });
    const opp = await tb.connector.port.getOpportunity(oppId);
    expect(opp).toMatchObject({ id: oppId, accountId, lines: [] });
    expect(opp.account).toBeUndefined();
    await expect(tb.connector.port.getAccount(accountId)).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('takes the opportunity currency and subscription id when set (amendments)', async () => {
    const accountId = await seedAccount();
    const seats = await createProduct(tb, 'SEATS', 'Seats', 5000);
    const oppId = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Acme – Upgrade',
      AccountId: accountId,
      StageName: 'Negotiation/Review',
      CloseDate: '2026-04-30',
      Type: 'Amendment',
      Currency__c: 'JPY',
      Subscription_Id__c: 'sub_123',
    });
    await createRecord(tb.admin, 'OpportunityLineItem', {
      OpportunityId: oppId,
      Product2Id: seats,
      Quantity: 12,
      UnitPrice: 5000,
    });
    const opp = await tb.connector.port.getOpportunity(oppId);
    expect(opp).toMatchObject({
      isWon: false,
      isClosed: false,
      currency: 'JPY',
      type: 'Amendment',
      subscriptionId: 'sub_123',
      lines: [{ quantity: 12, unitAmount: { amount: 5000, currency: 'JPY' } }],
    });
  });

  it('falls back to the default currency and refuses a line price the currency cannot hold', async () => {
    const accountId = await createRecord(tb.admin, 'Account', { Name: 'No Currency Inc' });
    const product = await createProduct(tb, 'X', 'X', 10.5);
    const oppId = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Deal',
      AccountId: accountId,
      StageName: 'Prospecting',
      CloseDate: '2026-04-30',
    });
    await createRecord(tb.admin, 'OpportunityLineItem', {
      OpportunityId: oppId,
      Product2Id: product,
      Quantity: 1,
      UnitPrice: 10.5,
    });
    expect(await tb.connector.port.getOpportunity(oppId)).toMatchObject({
      currency: 'USD',
      lines: [{ unitAmount: { amount: 1050, currency: 'USD' } }],
    });
    await tb.admin.sobject('Opportunity').update({ Id: oppId, Currency__c: 'JPY' });
    await expect(tb.connector.port.getOpportunity(oppId)).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('UnitPrice'),
    });
  });
});

describe('billing write-back', () => {
  it('writes only the given account fields and reads them back', async () => {
    const id = await seedAccount();
    await tb.connector.port.updateAccountBilling(
      id,
      {
        revsyncId: 'cus_1',
        billingCustomerId: 'cus_stripe_1',
        subscriptionId: 'sub_1',
        subscriptionStatus: 'active',
        mrr: { amount: 49990, currency: 'EUR' },
      },
      write,
    );
    await tb.connector.port.updateAccountBilling(
      id,
      { paymentStatus: 'paid', lastPaymentAt: '2026-02-01T10:00:00Z', churned: false },
      write,
    );
    expect(await tb.connector.port.getAccountBilling(id)).toEqual({
      revsyncId: 'cus_1',
      billingCustomerId: 'cus_stripe_1',
      subscriptionId: 'sub_1',
      subscriptionStatus: 'active',
      mrr: { amount: 49990, currency: 'EUR' },
      paymentStatus: 'paid',
      lastPaymentAt: '2026-02-01T10:00:00.000Z',
      churned: false,
    });
    const stored = await tb.admin.sobject('Account').retrieve(id);
    expect(stored).toMatchObject({ Name: 'Acme GmbH', MRR__c: 499.9, Churned__c: false });
  });

  it('is idempotent: the same write again sends no update at all', async () => {
    const id = await seedAccount();
    const status = { subscriptionId: 'sub_1', lastPaymentAt: '2026-02-01T10:00:00Z' };
    await tb.connector.port.updateAccountBilling(id, status, write);
    const before = await tb.admin.sobject('Account').retrieve(id);
    await tb.connector.port.updateAccountBilling(id, status, write);
    const after = await tb.admin.sobject('Account').retrieve(id);
    expect(after['SystemModstamp']).toBe(before['SystemModstamp']);
    const patches = tb.sf.app.requests.list().filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(1);
    await tb.connector.port.updateAccountBilling(id, { subscriptionStatus: 'past_due' }, write);
    expect(tb.sf.app.requests.list().filter((r) => r.method === 'PATCH')).toHaveLength(2);
  });

  it('writes subscription id, status, MRR and its currency on the opportunity', async () => {
    const accountId = await seedAccount();
    const oppId = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Deal',
      AccountId: accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-04-30',
    });
    await tb.connector.port.updateOpportunityBilling(
      oppId,
      {
        subscriptionId: 'sub_9',
        subscriptionStatus: 'active',
        mrr: { amount: 12345, currency: 'GBP' },
      },
      write,
    );
    const stored = await tb.admin.sobject('Opportunity').retrieve(oppId);
    expect(stored).toMatchObject({
      Subscription_Id__c: 'sub_9',
      Subscription_Status__c: 'active',
      MRR__c: 123.45,
      Currency__c: 'GBP',
      StageName: 'Closed Won',
    });
    expect((await tb.connector.port.getOpportunity(oppId)).subscriptionId).toBe('sub_9');
  });

  it('with readBeforeWrite: false sends every given field in one PATCH and reads nothing', async () => {
    const accountId = await seedAccount();
    const oppId = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Deal',
      AccountId: accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-04-30',
    });
    const status = {
      subscriptionId: 'sub_9',
      subscriptionStatus: 'active',
      mrr: { amount: 12345, currency: 'GBP' as const },
    };
    const noRead = { ...write, readBeforeWrite: false };
    await tb.connector.port.updateOpportunityBilling(oppId, status, write);
    const before = tb.sf.app.requests.list().length;
    // The same values again: without the read they are sent (the caller decided to write).
    await tb.connector.port.updateOpportunityBilling(oppId, status, noRead);
    const sent = tb.sf.app.requests.list().slice(before);
    expect(sent.map((r) => r.method)).toEqual(['PATCH']);
    await tb.connector.port.updateOpportunityBilling(
      oppId,
      { ...status, subscriptionStatus: 'past_due' },
      noRead,
    );
    expect(
      tb.sf.app.requests
        .list()
        .slice(before)
        .map((r) => r.method),
    ).toEqual(['PATCH', 'PATCH']);
    expect(await tb.admin.sobject('Opportunity').retrieve(oppId)).toMatchObject({
      Subscription_Id__c: 'sub_9',
      Subscription_Status__c: 'past_due',
      MRR__c: 123.45,
      Currency__c: 'GBP',
    });
    await expect(
      tb.connector.port.updateAccountBilling('not an id!', { subscriptionId: 'sub_1' }, noRead),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await tb.admin.sobject('Account').destroy(accountId);
    await expect(
      tb.connector.port.updateAccountBilling(accountId, { subscriptionId: 'sub_1' }, noRead),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('answers NotFoundError when writing to a missing account', async () => {
    const id = await seedAccount();
    await tb.admin.sobject('Account').destroy(id);
    await expect(
      tb.connector.port.updateAccountBilling(id, { subscriptionId: 'sub_1' }, write),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('connector', () => {
  it('checks credentials, sends traceparent, passes the governor and reports API usage', async () => {
    await tb.connector.check();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const id = await seedAccount();
    await tb.connector.port.getAccount(id, { traceparent });
    const health = tb.connection.health();
    expect(health.calls).toBe(2);
    expect(health.governor.granted).toBe(2);
    expect(health.reportedUsage).toMatchObject({ used: expect.any(Number), limit: 100_000 });
    const queried = tb.headers.filter((h) => h.url.includes('/query'));
    expect(queried.at(-1)?.headers['traceparent']).toBe(traceparent);
    expect(tb.connector.system).toBe('salesforce');
    expect(tb.connector.pollers.map((p) => p.cursorName)).toEqual(['salesforce:change-events']);
  });
});
