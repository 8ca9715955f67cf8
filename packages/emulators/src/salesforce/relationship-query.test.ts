import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from './index.ts';
import { CHILD_BATCH } from './query.ts';
import { call, connect, rejection } from './test-helpers.ts';

let sf: RunningSalesforceEmulator;
let conn: Connection;
type Rec = Record<string, unknown>;
interface Nested {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Rec[];
}

let account: string;
let bare: string;
let deal: string;
let empty: string;
let orphan: string;
let product: string;

const query = async (soql: string): Promise<Rec[]> => (await conn.query<Rec>(soql)).records;

beforeAll(async () => {
  sf = await startSalesforceEmulator({ port: 0 });
  conn = connect(sf);
  const [standard] = await query('SELECT Id FROM Pricebook2 WHERE IsStandard = true');
  product = (
    await conn.sobject('Product2').create({ Name: 'Platform', ProductCode: 'PLAT', IsActive: true })
  ).id as string;
  await conn.sobject('PricebookEntry').create({
    Pricebook2Id: standard?.['Id'],
    Product2Id: product,
    UnitPrice: 100,
    IsActive: true,
  });
  account = (
    await conn
      .sobject('Account')
      .create({ Name: 'Acme GmbH', BillingCountry: 'Germany', Currency__c: 'EUR' })
  ).id as string;
  bare = (await conn.sobject('Account').create({ Name: 'Bare Ltd' })).id as string;
  const opp = (fields: Rec): Promise<string> =>
    conn
      .sobject('Opportunity')
      .create({ StageName: 'Prospecting', CloseDate: '2026-03-31', ...fields })
      .then((r) => r.id as string);
  deal = await opp({ Name: 'Acme deal', AccountId: account });
  empty = await opp({ Name: 'Empty deal', AccountId: bare });
  orphan = await opp({ Name: 'Orphan deal' });
  for (const [quantity, price] of [
    [3, 49.99],
    [1, 10],
    [2, 20],
  ] as const) {
    await conn.sobject('OpportunityLineItem').create({
      OpportunityId: deal,
      Product2Id: product,
      Quantity: quantity,
      UnitPrice: price,
      Billing_Interval__c: 'month',
    });
  }
});
afterAll(() => sf.close());

describe('parent-to-child subqueries', () => {
  it('nests the child records as a query result, in the SELECT list order, with their parent fields', async () => {
    const res = await call(
      sf,
      'GET',
      `/services/data/v62.0/query?q=${encodeURIComponent(
        `SELECT Id, (SELECT Id, Quantity, UnitPrice, Product2.ProductCode, Billing_Interval__c FROM OpportunityLineItems ORDER BY UnitPrice DESC, Id), Name FROM Opportunity WHERE Id = '${deal}'`,
      )}`,
    );
    expect(res.status).toBe(200);
    const body = res.body as { totalSize: number; done: boolean; records: Rec[] };
    expect(body).toMatchObject({ totalSize: 1, done: true });
    const [opp] = body.records;
    expect(Object.keys(opp ?? {})).toEqual(['attributes', 'Id', 'OpportunityLineItems', 'Name']);
    const lines = opp?.['OpportunityLineItems'] as Nested;
    expect(lines).toMatchObject({ totalSize: 3, done: true });
    expect(lines.nextRecordsUrl).toBeUndefined();
    expect(lines.records.map((r) => r['UnitPrice'])).toEqual([49.99, 20, 10]);
    expect(lines.records[0]).toEqual({
      attributes: {
        type: 'OpportunityLineItem',
        url: `/services/data/v62.0/sobjects/OpportunityLineItem/${String(lines.records[0]?.['Id'])}`,
      },
      Id: lines.records[0]?.['Id'],
      Quantity: 3,
      UnitPrice: 49.99,
      Product2: {
        attributes: { type: 'Product2', url: `/services/data/v62.0/sobjects/Product2/${product}` },
        ProductCode: 'PLAT',
      },
      Billing_Interval__c: 'month',
    });
  });

  it('gives null for a parent without children, and applies WHERE and LIMIT per parent', async () => {
    const records = await query(
      `SELECT Name, (SELECT Quantity FROM OpportunityLineItems WHERE Quantity > 1 ORDER BY Quantity LIMIT 1) FROM Opportunity WHERE Id IN ('${deal}', '${empty}') ORDER BY Name`,
    );
    expect(records.map((r) => r['Name'])).toEqual(['Acme deal', 'Empty deal']);
    const lines = records[0]?.['OpportunityLineItems'] as Nested;
    expect(lines.records.map((r) => r['Quantity'])).toEqual([2]);
    expect(lines.totalSize).toBe(1);
    expect(records[1]?.['OpportunityLineItems']).toBeNull();
  });

  it('reads children from the parent side of other relationships (case-insensitive names)', async () => {
    const [acme] = await query(
      `SELECT Name, (SELECT Name FROM opportunities ORDER BY Name) FROM Account WHERE Id = '${account}'`,
    );
    expect((acme?.['Opportunities'] as Nested).records.map((r) => r['Name'])).toEqual([
      'Acme deal',
    ]);
  });

  it('pages more than a batch of children through nextRecordsUrl', async () => {
    const big = (
      await conn.sobject('Opportunity').create({
        Name: 'Big deal',
        StageName: 'Prospecting',
        CloseDate: '2026-03-31',
        AccountId: account,
      })
    ).id as string;
    const lines = Array.from({ length: CHILD_BATCH + 5 }, (_, i) => ({
      OpportunityId: big,
      Product2Id: product,
      Quantity: i + 1,
      UnitPrice: 1,
    }));
    const saved = await conn.sobject('OpportunityLineItem').create(lines, { allowRecursive: true });
    expect(saved.every((s) => s.success)).toBe(true);
    const [opp] = await query(
      `SELECT Id, (SELECT Quantity FROM OpportunityLineItems ORDER BY Quantity) FROM Opportunity WHERE Id = '${big}'`,
    );
    const first = opp?.['OpportunityLineItems'] as Nested;
    expect(first).toMatchObject({ totalSize: CHILD_BATCH + 5, done: false });
    expect(first.records).toHaveLength(CHILD_BATCH);
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g\w+-200$/);
    const next = await call(sf, 'GET', first.nextRecordsUrl as string);
    expect(next.body).toMatchObject({ totalSize: CHILD_BATCH + 5, done: true });
    expect((next.body as Nested).records.map((r) => r['Quantity'])).toEqual([
      201, 202, 203, 204, 205,
    ]);
  });

  it('refuses what Salesforce refuses, and what the emulator does not serve', async () => {
    const failure = async (soql: string) => rejection(conn.query(soql));
    expect(
      await failure('SELECT Id, (SELECT Id FROM OpportunityLineItem) FROM Opportunity'),
    ).toMatchObject({ errorCode: 'INVALID_TYPE', message: /relationship 'OpportunityLineItem'/ });
    expect(
      (await failure('SELECT Id, (SELECT Nope FROM OpportunityLineItems) FROM Opportunity'))
        .errorCode,
    ).toBe('INVALID_FIELD');
    expect(
      (
        await failure(
          'SELECT Id, (SELECT Id FROM Contacts), (SELECT Id FROM contacts) FROM Account',
        )
      ).message,
    ).toMatch(/duplicate/);
    expect(
      (
        await failure(
          'SELECT Id, (SELECT Id, (SELECT Id FROM OpportunityLineItems) FROM Opportunities) FROM Account',
        )
      ).message,
    ).toMatch(/subquery inside a subquery/);
    expect(
      (await failure('SELECT Id, (SELECT COUNT() FROM Contacts) FROM Account')).message,
    ).toMatch(/COUNT\(\) in a subquery/);
    expect(
      (await failure('SELECT Id, (SELECT Id FROM Contacts OFFSET 1) FROM Account')).message,
    ).toMatch(/OFFSET in a subquery/);
  });
});

describe('child-to-parent fields', () => {
  it('nests the parent fields under the relationship, and gives null without a parent', async () => {
    const records = await query(
      `SELECT Name, Account.Name, Account.BillingCountry, Account.Currency__c FROM Opportunity WHERE Id IN ('${deal}', '${orphan}') ORDER BY Name`,
    );
    expect(records[0]).toEqual({
      attributes: {
        type: 'Opportunity',
        url: `/services/data/v62.0/sobjects/Opportunity/${deal}`,
      },
      Name: 'Acme deal',
      Account: {
        attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${account}` },
        Name: 'Acme GmbH',
        BillingCountry: 'Germany',
        Currency__c: 'EUR',
      },
    });
    expect(records[1]).toMatchObject({ Name: 'Orphan deal', Account: null });
  });

  it('combines parent fields and a child subquery in one query', async () => {
    const [opp] = await query(
      `SELECT Id, Account.Name, (SELECT Quantity FROM OpportunityLineItems ORDER BY CreatedDate, Id) FROM Opportunity WHERE Id = '${deal}'`,
    );
    expect(opp?.['Account']).toMatchObject({ Name: 'Acme GmbH' });
    const lines = (opp?.['OpportunityLineItems'] as Nested).records;
    expect(lines.map((r) => r['Quantity']).sort()).toEqual([1, 2, 3]);
  });
});
