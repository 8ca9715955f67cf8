import type { Connection } from 'jsforce';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from './index.ts';
import { call, connect, rejection } from './test-helpers.ts';

let sf: RunningSalesforceEmulator;
let conn: Connection;

beforeAll(async () => {
  sf = await startSalesforceEmulator({ port: 0 });
  conn = connect(sf);
});
afterAll(() => sf.close());
beforeEach(async () => {
  await fetch(`${sf.url}/_emulator/reset`, { method: 'POST' });
});

const SF_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/;
type Rec = Record<string, unknown>;

describe('sObject CRUD', () => {
  it('creates, retrieves, updates and deletes an Account', async () => {
    const created = await conn
      .sobject('Account')
      .create({ Name: 'Acme', Industry: 'Technology', Region__c: 'EMEA' });
    expect(created).toEqual({
      id: expect.stringMatching(/^001\w{15}$/),
      success: true,
      errors: [],
    });
    const id = created.id as string;

    const rec = (await conn.sobject('Account').retrieve(id)) as Rec;
    expect(rec).toMatchObject({
      attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${id}` },
      Id: id,
      Name: 'Acme',
      Industry: 'Technology',
      Region__c: 'EMEA',
      IsDeleted: false,
      OwnerId: sf.state.userId,
      CreatedById: sf.state.userId,
      LastModifiedById: sf.state.userId,
    });
    for (const f of ['CreatedDate', 'LastModifiedDate', 'SystemModstamp'])
      expect(rec[f]).toMatch(SF_DATETIME);

    expect(await conn.sobject('Account').update({ Id: id, Industry: 'Finance' })).toEqual({
      id,
      success: true,
      errors: [],
    });
    const some = (await conn
      .sobject('Account')
      .retrieve(id, { fields: ['Name', 'Industry'] })) as Rec;
    expect(some).toEqual({ attributes: expect.any(Object), Name: 'Acme', Industry: 'Finance' });

    expect(await conn.sobject('Account').destroy(id)).toEqual({ id, success: true, errors: [] });
    expect((await rejection(conn.sobject('Account').retrieve(id))).errorCode).toBe('NOT_FOUND');
    const again = await call(sf, 'DELETE', `/services/data/v62.0/sobjects/Account/${id}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual([
      { message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] },
    ]);
  });

  it('answers errors as Salesforce error arrays', async () => {
    const missing = await call(sf, 'POST', '/services/data/v62.0/sobjects/Opportunity', {
      Amount: 5,
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual([
      {
        message: 'Required fields are missing: [Name, StageName, CloseDate]',
        errorCode: 'REQUIRED_FIELD_MISSING',
        fields: ['Name', 'StageName', 'CloseDate'],
      },
    ]);
    const err = await rejection(conn.sobject('Account').create({ Industry: 'x' }));
    expect(err.errorCode).toBe('REQUIRED_FIELD_MISSING');
    expect(err.data).toMatchObject({ fields: ['Name'] });

    const unknown = await call(sf, 'POST', '/services/data/v62.0/sobjects/Nope', { Name: 'x' });
    expect(unknown).toMatchObject({ status: 404, body: [{ errorCode: 'NOT_FOUND' }] });
    const malformed = await call(sf, 'GET', '/services/data/v62.0/sobjects/Account/xyz');
    expect(malformed).toMatchObject({ status: 400, body: [{ errorCode: 'MALFORMED_ID' }] });
    const wrongType = await call(
      sf,
      'GET',
      `/services/data/v62.0/sobjects/Contact/${sf.state.standardPricebookId}`,
    );
    expect(wrongType).toMatchObject({ status: 400, body: [{ errorCode: 'MALFORMED_ID' }] });
    const column = await call(sf, 'POST', '/services/data/v62.0/sobjects/Account', {
      Name: 'x',
      Bogus: 1,
    });
    expect(column).toMatchObject({
      status: 400,
      body: [
        {
          errorCode: 'INVALID_FIELD',
          message: "No such column 'Bogus' on sobject of type Account",
        },
      ],
    });
    const readOnly = await call(sf, 'POST', '/services/data/v62.0/sobjects/Opportunity', {
      Name: 'x',
      StageName: 'Prospecting',
      CloseDate: '2026-01-01',
      IsWon: true,
    });
    expect(readOnly).toMatchObject({
      status: 400,
      body: [{ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['IsWon'] }],
    });
    const badDate = await call(sf, 'POST', '/services/data/v62.0/sobjects/Opportunity', {
      Name: 'x',
      StageName: 'Prospecting',
      CloseDate: 'soon',
    });
    expect(badDate).toMatchObject({ status: 400, body: [{ errorCode: 'JSON_PARSER_ERROR' }] });
    const badRef = await call(sf, 'POST', '/services/data/v62.0/sobjects/Contact', {
      LastName: 'x',
      AccountId: 'abc',
    });
    expect(badRef).toMatchObject({
      status: 400,
      body: [{ errorCode: 'MALFORMED_ID', fields: ['AccountId'] }],
    });
    const idInBody = await call(sf, 'POST', '/services/data/v62.0/sobjects/Account', {
      Name: 'x',
      Id: '001000000000000AAA',
    });
    expect(idInBody).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_FIELD' }] });
    const json = await call(sf, 'POST', '/services/data/v62.0/sobjects/Account', '{"Name":');
    expect(json).toMatchObject({ status: 400, body: [{ errorCode: 'JSON_PARSER_ERROR' }] });
  });

  it('derives Opportunity IsWon, IsClosed, Probability and Contact Name', async () => {
    const acct = await conn.sobject('Account').create({ Name: 'Acme' });
    const { id } = await conn.sobject('Opportunity').create({
      Name: 'Deal',
      StageName: 'Prospecting',
      CloseDate: '2026-03-31',
      Amount: 1200.5,
      AccountId: acct.id,
    });
    let opp = (await conn.sobject('Opportunity').retrieve(id as string)) as Rec;
    expect(opp).toMatchObject({
      IsWon: false,
      IsClosed: false,
      Probability: 10,
      Amount: 1200.5,
      CloseDate: '2026-03-31',
    });
    await conn.sobject('Opportunity').update({ Id: id as string, StageName: 'Closed Won' });
    opp = (await conn.sobject('Opportunity').retrieve(id as string)) as Rec;
    expect(opp).toMatchObject({
      IsWon: true,
      IsClosed: true,
      Probability: 100,
      ForecastCategoryName: 'Closed',
    });
    await conn.sobject('Opportunity').update({ Id: id as string, StageName: 'Closed Lost' });
    opp = (await conn.sobject('Opportunity').retrieve(id as string)) as Rec;
    expect(opp).toMatchObject({ IsWon: false, IsClosed: true });

    const contact = await conn
      .sobject('Contact')
      .create({ FirstName: 'Ada', LastName: 'Lovelace', AccountId: acct.id });
    expect(((await conn.sobject('Contact').retrieve(contact.id as string)) as Rec)['Name']).toBe(
      'Ada Lovelace',
    );
  });

  it('keeps the standard price book and enforces price book rules; line items roll up to Amount', async () => {
    const books = await conn.query<Rec>('SELECT Id, Name, IsStandard, IsActive FROM Pricebook2');
    expect(books.records).toEqual([
      expect.objectContaining({ Name: 'Standard Price Book', IsStandard: true, IsActive: true }),
    ]);
    const standard = books.records[0]?.['Id'] as string;
    expect(standard).toMatch(/^01s/);

    const product = await conn
      .sobject('Product2')
      .create({ Name: 'Pro plan', ProductCode: 'PRO', IsActive: true });
    expect(product.id).toMatch(/^01t/);
    const custom = await conn.sobject('Pricebook2').create({ Name: 'Partners', IsActive: true });
    const early = await rejection(
      conn
        .sobject('PricebookEntry')
        .create({ Pricebook2Id: custom.id, Product2Id: product.id, UnitPrice: 80, IsActive: true }),
    );
    expect(early.errorCode).toBe('STANDARD_PRICE_NOT_DEFINED');
    const entry = await conn.sobject('PricebookEntry').create({
      Pricebook2Id: standard,
      Product2Id: product.id,
      UnitPrice: 100,
      IsActive: true,
    });
    expect(entry.id).toMatch(/^01u/);
    const dup = await rejection(
      conn
        .sobject('PricebookEntry')
        .create({ Pricebook2Id: standard, Product2Id: product.id, UnitPrice: 1, IsActive: true }),
    );
    expect(dup.errorCode).toBe('DUPLICATE_VALUE');

    const opp = await conn
      .sobject('Opportunity')
      .create({ Name: 'Deal', StageName: 'Prospecting', CloseDate: '2026-03-31' });
    const line1 = await conn
      .sobject('OpportunityLineItem')
      .create({ OpportunityId: opp.id, PricebookEntryId: entry.id, Quantity: 3 });
    expect(line1.id).toMatch(/^00k/);
    await conn
      .sobject('OpportunityLineItem')
      .create({ OpportunityId: opp.id, Product2Id: product.id, Quantity: 1, UnitPrice: 49.99 });
    const line = (await conn.sobject('OpportunityLineItem').retrieve(line1.id as string)) as Rec;
    expect(line).toMatchObject({
      UnitPrice: 100,
      ListPrice: 100,
      TotalPrice: 300,
      Product2Id: product.id,
      ProductCode: 'PRO',
      Name: 'Deal Pro plan',
    });
    let o = (await conn.sobject('Opportunity').retrieve(opp.id as string)) as Rec;
    expect(o).toMatchObject({
      Amount: 349.99,
      HasOpportunityLineItem: true,
      Pricebook2Id: standard,
    });
    expect(
      (await rejection(conn.sobject('Opportunity').update({ Id: opp.id as string, Amount: 1 })))
        .errorCode,
    ).toBe('FIELD_INTEGRITY_EXCEPTION');
    await conn.sobject('OpportunityLineItem').update({ Id: line1.id as string, Quantity: 2 });
    o = (await conn.sobject('Opportunity').retrieve(opp.id as string)) as Rec;
    expect(o['Amount']).toBe(249.99);
    await conn.sobject('OpportunityLineItem').destroy(line1.id as string);
    o = (await conn.sobject('Opportunity').retrieve(opp.id as string)) as Rec;
    expect(o['Amount']).toBe(49.99);
  });

  it('gives custom objects a00… prefixes and takes __c fields on every object', async () => {
    const inv = await conn
      .sobject('Invoice__c')
      .create({ Total__c: 12.5, Paid__c: false, Due__c: '2026-05-01' });
    expect(inv.id).toMatch(/^a00/);
    const other = await conn.sobject('Subscription__c').create({ Name: 'Sub 1' });
    expect(other.id).toMatch(/^a01/);
    const rec = (await conn.sobject('Invoice__c').retrieve(inv.id as string)) as Rec;
    expect(rec).toMatchObject({
      Name: inv.id,
      Total__c: 12.5,
      Paid__c: false,
      Due__c: '2026-05-01',
    });
    const described = await conn.describe('Invoice__c');
    expect(described.custom).toBe(true);
    expect(described.fields.map((f) => [f.name, f.type])).toEqual(
      expect.arrayContaining([
        ['Total__c', 'double'],
        ['Paid__c', 'boolean'],
        ['Due__c', 'date'],
      ]),
    );
  });

  it('describes objects and the org', async () => {
    const global = await conn.describeGlobal();
    expect(global.sobjects.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'Account',
        'Contact',
        'Opportunity',
        'OpportunityLineItem',
        'Product2',
        'Pricebook2',
        'PricebookEntry',
      ]),
    );
    const account = await conn.describe('Account');
    expect(account.keyPrefix).toBe('001');
    expect(account.fields.find((f) => f.name === 'Name')).toMatchObject({
      type: 'string',
      nillable: false,
      createable: true,
    });
    expect(account.childRelationships).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          childSObject: 'Contact',
          field: 'AccountId',
          relationshipName: 'Contacts',
        }),
      ]),
    );
    const star = await conn.sobject('Account').find({}, ['*']).limit(1);
    expect(star).toEqual([]);
  });
});

describe('upsert by external id', () => {
  it('creates, then updates (200 with a body from v46, 204 before)', async () => {
    const first = await conn
      .sobject('Account')
      .upsert({ Name: 'Acme', Ext_Id__c: 'CUS-1' }, 'Ext_Id__c');
    expect(first).toEqual({
      id: expect.stringMatching(/^001/),
      success: true,
      errors: [],
      created: true,
    });
    const second = await conn
      .sobject('Account')
      .upsert({ Ext_Id__c: 'CUS-1', Phone: '555' }, 'Ext_Id__c');
    expect(second).toEqual({ id: first.id, success: true, errors: [], created: false });
    const old = await connect(sf, '45.0')
      .sobject('Account')
      .upsert({ Ext_Id__c: 'cus-1', Website: 'acme.test' }, 'Ext_Id__c');
    expect(old).toEqual({ success: true, errors: [] });
    const rec = (await conn.sobject('Account').retrieve(first.id as string)) as Rec;
    expect(rec).toMatchObject({
      Name: 'Acme',
      Phone: '555',
      Website: 'acme.test',
      Ext_Id__c: 'CUS-1',
    });
    const byExt = await call(
      sf,
      'GET',
      '/services/data/v62.0/sobjects/Account/Ext_Id__c/CUS-1?fields=Id,Name',
    );
    expect(byExt.body).toMatchObject({ Id: first.id, Name: 'Acme' });
    expect(await conn.query('SELECT COUNT() FROM Account')).toMatchObject({ totalSize: 1 });
  });

  it('answers 300 with the matching record URLs when the key is ambiguous, writing nothing', async () => {
    await conn.sobject('Account').create([
      { Name: 'One', Ext_Id__c: 'DUP' },
      { Name: 'Two', Ext_Id__c: 'DUP' },
    ]);
    const err = await rejection(
      conn.sobject('Account').upsert({ Ext_Id__c: 'DUP', Name: 'Three' }, 'Ext_Id__c'),
    );
    expect(err.errorCode).toBe('MULTIPLE_CHOICES');
    expect(err.data).toEqual([
      expect.stringMatching(/^\/services\/data\/v62\.0\/sobjects\/Account\/001/),
      expect.any(String),
    ]);
    const names = await conn.query<Rec>('SELECT Name FROM Account ORDER BY Name');
    expect(names.records.map((r) => r['Name'])).toEqual(['One', 'Two']);
  });

  it('refuses a body that carries the external id field or Id', async () => {
    const res = await call(sf, 'PATCH', '/services/data/v62.0/sobjects/Account/Ext_Id__c/X-1', {
      Name: 'a',
      Ext_Id__c: 'X-1',
    });
    expect(res).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_FIELD' }] });
    const withId = await call(sf, 'PATCH', '/services/data/v62.0/sobjects/Account/Ext_Id__c/X-1', {
      Name: 'a',
      Id: 'x',
    });
    expect(withId).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_FIELD' }] });
    const notExternal = await call(sf, 'PATCH', '/services/data/v62.0/sobjects/Account/Phone/123', {
      Name: 'a',
    });
    expect(notExternal).toMatchObject({ status: 404, body: [{ errorCode: 'NOT_FOUND' }] });
  });
});

describe('recycle bin and polling helpers', () => {
  it('cascades deletes to children; undelete restores them; queryAll sees deleted rows', async () => {
    const acct = await conn.sobject('Account').create({ Name: 'Parent' });
    const contact = await conn.sobject('Contact').create({ LastName: 'Kid', AccountId: acct.id });
    const opp = await conn
      .sobject('Opportunity')
      .create({ Name: 'O', StageName: 'Prospecting', CloseDate: '2026-01-01', AccountId: acct.id });
    await conn.sobject('Account').destroy(acct.id as string);
    expect((await conn.query('SELECT Id FROM Contact')).totalSize).toBe(0);
    expect((await conn.query('SELECT Id FROM Opportunity')).totalSize).toBe(0);
    const all = await conn.query<Rec>('SELECT Id, IsDeleted FROM Contact').scanAll(true);
    expect(all.records).toEqual([expect.objectContaining({ Id: contact.id, IsDeleted: true })]);

    const res = await fetch(`${sf.url}/_emulator/records/Account/${acct.id}/undelete`, {
      method: 'POST',
    });
    expect(res.status).toBe(200);
    expect((await conn.query('SELECT Id FROM Contact')).totalSize).toBe(1);
    expect((await conn.query<Rec>('SELECT Id FROM Opportunity')).records[0]?.['Id']).toBe(opp.id);
  });

  it('lists updated and deleted ids in a time window', async () => {
    const a = await conn.sobject('Account').create({ Name: 'A' });
    const b = await conn.sobject('Account').create({ Name: 'B' });
    await conn.sobject('Account').destroy(b.id as string);
    const start = new Date(sf.app.clock.now() - 60_000);
    const end = new Date(sf.app.clock.now() + 60_000);
    const updated = await conn.sobject('Account').updated(start.toISOString(), end.toISOString());
    expect(updated.ids).toEqual([a.id]);
    const deleted = await conn.sobject('Account').deleted(start.toISOString(), end.toISOString());
    expect(deleted.deletedRecords.map((d) => d.id)).toEqual([b.id]);
  });

  it('seeds records through the admin route, audit dates included', async () => {
    const res = await fetch(`${sf.url}/_emulator/records/Account`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ Name: 'Old Co', CreatedDate: '2020-01-01T00:00:00Z' }]),
    });
    expect(res.status).toBe(201);
    const { ids } = (await res.json()) as { ids: string[] };
    const rec = (await conn.sobject('Account').retrieve(ids[0] as string)) as Rec;
    expect(rec['CreatedDate']).toBe('2020-01-01T00:00:00.000+0000');
    const state = (await fetch(`${sf.url}/_emulator/state`).then((r) => r.json())) as {
      state: { records: Record<string, unknown[]> };
    };
    expect(state.state.records['Account']).toHaveLength(1);
  });
});

describe('seeding', () => {
  it('derives the same ids from the same seed', async () => {
    const ids: string[] = [];
    for (const seed of [7, 7, 8]) {
      const other = await startSalesforceEmulator({ port: 0, seed });
      try {
        ids.push((await connect(other).sobject('Account').create({ Name: 'Seeded' })).id as string);
      } finally {
        await other.close();
      }
    }
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });
});
