import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from './index.ts';
import { call, connect, rejection } from './test-helpers.ts';

let sf: RunningSalesforceEmulator;
let conn: Connection;
type Rec = Record<string, unknown>;

const names = (records: Rec[]): unknown[] => records.map((r) => r['Name']);

beforeAll(async () => {
  sf = await startSalesforceEmulator({ port: 0 });
  conn = connect(sf);
});
afterAll(() => sf.close());

describe('paging', () => {
  it('pages 2,500 Accounts inserted through the collections API in batches of 2,000', async () => {
    const accounts = Array.from({ length: 2500 }, (_, i) => ({
      Name: `Bulk ${String(i).padStart(4, '0')}`,
      Seq__c: i,
    }));
    const saved = await conn.sobject('Account').create(accounts, { allowRecursive: true });
    expect(saved).toHaveLength(2500);
    expect(saved.every((s) => s.success)).toBe(true);
    const collectionCalls = sf.app.requests
      .list()
      .filter((r) => r.path.endsWith('/composite/sobjects'));
    expect(collectionCalls).toHaveLength(13);

    const first = await call(
      sf,
      'GET',
      `/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id FROM Account')}`,
    );
    expect(first.body).toMatchObject({
      totalSize: 2500,
      done: false,
      nextRecordsUrl: expect.stringMatching(/^\/services\/data\/v62\.0\/query\/01g\w+-2000$/),
    });
    expect((first.body as { records: unknown[] }).records).toHaveLength(2000);

    const fetched: Rec[] = [];
    const result = await conn
      .query<Rec>("SELECT Id, Name, Seq__c FROM Account WHERE Name LIKE 'Bulk%' ORDER BY Seq__c")
      .on('record', (r: Rec) => fetched.push(r))
      .run({ autoFetch: true, maxFetch: 10_000 });
    expect(result.totalSize).toBe(2500);
    expect(fetched).toHaveLength(2500);
    expect(fetched[2499]?.['Seq__c']).toBe(2499);
    const pages = sf.app.requests.list().filter((r) => /\/query\/01g\w+-2000$/.test(r.path));
    expect(pages).toHaveLength(1); // 2,000 + 500

    const chained = await conn.query<Rec>('SELECT Id FROM Account').autoFetch(true).maxFetch(5000);
    expect(chained.records).toHaveLength(2500);
    expect(chained.done).toBe(true);
  });

  it('honours Sforce-Query-Options batchSize and refuses unknown locators', async () => {
    const res = await call(
      sf,
      'GET',
      `/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id FROM Account')}`,
      undefined,
      {
        'Sforce-Query-Options': 'batchSize=500',
      },
    );
    const body = res.body as { records: unknown[]; nextRecordsUrl: string };
    expect(body.records).toHaveLength(500);
    const next = await call(sf, 'GET', body.nextRecordsUrl);
    expect((next.body as { records: unknown[] }).records).toHaveLength(500);
    const bad = await call(sf, 'GET', '/services/data/v62.0/query/01gnope-2000');
    expect(bad).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_QUERY_LOCATOR' }] });
  });
});

describe('SOQL subset', () => {
  let acme: string;
  beforeAll(async () => {
    await fetch(`${sf.url}/_emulator/reset`, { method: 'POST' });
    acme = (
      await conn.sobject('Account').create({ Name: 'Acme', Industry: 'Tech', AnnualRevenue: 500 })
    ).id as string;
    const globex = (await conn.sobject('Account').create({ Name: 'Globex', AnnualRevenue: 100 }))
      .id as string;
    await conn.sobject('Account').create({ Name: 'initech_co' });
    await conn.sobject('Opportunity').create([
      { Name: 'A1', StageName: 'Closed Won', CloseDate: '2026-03-01', Amount: 10, AccountId: acme },
      { Name: 'A2', StageName: 'Closed Won', CloseDate: '2026-05-01', Amount: 20, AccountId: acme },
      { Name: 'A3', StageName: 'Closed Won', CloseDate: '2025-12-31', Amount: 30, AccountId: acme },
      { Name: 'G1', StageName: 'Closed Won', CloseDate: '2026-04-01', AccountId: globex },
      {
        Name: 'G2',
        StageName: 'Prospecting',
        CloseDate: '2026-06-01',
        Amount: 50,
        AccountId: globex,
      },
      { Name: 'N1', StageName: 'Closed Won', CloseDate: '2026-02-01', Amount: 60 },
    ]);
  });

  it('runs the relationship query of the acceptance list', async () => {
    const res = await conn.query<Rec>(
      "SELECT Id, Account.Name FROM Opportunity WHERE StageName = 'Closed Won' AND CloseDate >= 2026-01-01 ORDER BY CloseDate DESC LIMIT 5",
    );
    expect(res.totalSize).toBe(4);
    expect(res.records.map((r) => (r['Account'] as Rec | null)?.['Name'] ?? null)).toEqual([
      'Acme',
      'Globex',
      'Acme',
      null,
    ]);
    expect(res.records[0]).toEqual({
      attributes: {
        type: 'Opportunity',
        url: expect.stringMatching(/^\/services\/data\/v62\.0\/sobjects\/Opportunity\/006/),
      },
      Id: expect.stringMatching(/^006/),
      Account: {
        attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${acme}` },
        Name: 'Acme',
      },
    });
  });

  it('filters with comparison, IN, NOT IN, LIKE, NOT, null, booleans and parentheses', async () => {
    const q = async (where: string, order = 'Name'): Promise<unknown[]> =>
      names(
        (await conn.query<Rec>(`SELECT Name FROM Opportunity WHERE ${where} ORDER BY ${order}`))
          .records,
      );
    expect(await q("Name IN ('A1', 'G2', 'zz')")).toEqual(['A1', 'G2']);
    expect(await q("Name NOT IN ('A1', 'A2', 'A3')")).toEqual(['G1', 'G2', 'N1']);
    expect(await q("Name LIKE 'a_'")).toEqual(['A1', 'A2', 'A3']);
    expect(await q("NOT Name LIKE 'A%'")).toEqual(['G1', 'G2', 'N1']);
    expect(await q('Amount = null')).toEqual(['G1']);
    expect(await q('Amount != null AND Amount > 15 AND Amount <= 50')).toEqual(['A2', 'A3', 'G2']);
    expect(await q("(Amount < 15 OR Amount >= 60) AND StageName != 'Prospecting'")).toEqual([
      'A1',
      'N1',
    ]);
    expect(await q('IsWon = false')).toEqual(['G2']);
    expect(await q("Account.Name = 'globex'")).toEqual(['G1', 'G2']);
    expect(await q(`AccountId = '${acme.slice(0, 15)}'`)).toEqual(['A1', 'A2', 'A3']);
    expect(await q('CloseDate < 2026-01-01')).toEqual(['A3']);
  });

  it('orders by several fields with NULLS FIRST / LAST, and pages with LIMIT and OFFSET', async () => {
    const r1 = await conn.query<Rec>(
      'SELECT Name FROM Opportunity ORDER BY Amount DESC NULLS FIRST, Name LIMIT 3',
    );
    expect(names(r1.records)).toEqual(['G1', 'N1', 'G2']);
    const r2 = await conn.query<Rec>(
      'SELECT Name FROM Opportunity ORDER BY Amount ASC NULLS LAST LIMIT 2 OFFSET 4',
    );
    expect(names(r2.records)).toEqual(['N1', 'G1']);
    const accounts = await conn.query<Rec>(
      'SELECT Name FROM Account ORDER BY Industry NULLS LAST, Name DESC',
    );
    expect(names(accounts.records)).toEqual(['Acme', 'initech_co', 'Globex']);
    const escaped = await conn.query<Rec>("SELECT Name FROM Account WHERE Name LIKE 'initech\\_%'");
    expect(names(escaped.records)).toEqual(['initech_co']);
  });

  it('counts with COUNT() and through jsforce find/count', async () => {
    expect(await conn.query('SELECT COUNT() FROM Opportunity WHERE IsWon = true')).toMatchObject({
      totalSize: 5,
      done: true,
      records: [],
    });
    expect(await conn.sobject('Opportunity').count({ StageName: 'Prospecting' })).toBe(1);
    const found = await conn
      .sobject('Opportunity')
      .find({ Amount: { $gte: 30 } }, ['Name', 'Amount'], { sort: { Amount: 'DESC' } });
    expect(names(found as Rec[])).toEqual(['N1', 'G2', 'A3']);
  });

  it('understands date literals relative to the emulator clock', async () => {
    const at = Date.UTC(2026, 4, 14, 12);
    sf.app.clock.set(at);
    const today = await conn.sobject('Contact').create({ LastName: 'Today' });
    sf.app.clock.set(at - 3 * 86_400_000);
    await conn.sobject('Contact').create({ LastName: 'ThreeDaysAgo' });
    sf.app.clock.set(at - 40 * 86_400_000);
    await conn.sobject('Contact').create({ LastName: 'LongAgo' });
    sf.app.clock.set(at);
    const q = async (where: string): Promise<unknown[]> =>
      (
        await conn.query<Rec>(`SELECT LastName FROM Contact WHERE ${where} ORDER BY CreatedDate`)
      ).records.map((r) => r['LastName']);
    expect(await q('CreatedDate = TODAY')).toEqual(['Today']);
    expect(await q('CreatedDate = LAST_N_DAYS:7')).toEqual(['ThreeDaysAgo', 'Today']);
    expect(await q('CreatedDate < LAST_N_DAYS:30')).toEqual(['LongAgo']);
    expect(await q('CreatedDate >= 2026-05-14T00:00:00Z')).toEqual(['Today']);
    expect(await q('CreatedDate > YESTERDAY')).toEqual(['Today']);
    expect(today.success).toBe(true);
  });

  it('polls on SystemModstamp (second precision, as Salesforce stores it)', async () => {
    const cursor = '2030-05-14T12:00:00Z';
    sf.app.clock.set(Date.UTC(2030, 4, 14, 12, 0, 5, 700));
    const acct = await conn.sobject('Account').create({ Name: 'Poll Me' });
    const res = await conn.query<Rec>(
      `SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp > ${cursor} ORDER BY SystemModstamp`,
    );
    expect(res.records).toEqual([
      expect.objectContaining({ Id: acct.id, SystemModstamp: '2030-05-14T12:00:05.000+0000' }),
    ]);
  });

  it('answers MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE and filter type errors', async () => {
    const bad = async (soql: string): Promise<{ status: number; body: unknown }> =>
      call(sf, 'GET', `/services/data/v62.0/query?q=${encodeURIComponent(soql)}`);
    expect(await bad('SELECT Name FROM Account GROUP BY Name')).toMatchObject({
      status: 400,
      body: [{ errorCode: 'MALFORMED_QUERY', message: expect.stringContaining('GROUP BY') }],
    });
    expect(await bad('SELECT Nope FROM Account')).toMatchObject({
      status: 400,
      body: [{ errorCode: 'INVALID_FIELD' }],
    });
    expect(await bad('SELECT Id FROM Nope')).toMatchObject({
      status: 400,
      body: [{ errorCode: 'INVALID_TYPE' }],
    });
    expect(await bad("SELECT Id FROM Opportunity WHERE CloseDate = '2026-01-01'")).toMatchObject({
      status: 400,
      body: [{ errorCode: 'INVALID_QUERY_FILTER_OPERATOR' }],
    });
    expect(await bad("SELECT Id FROM Opportunity WHERE AccountId = 'x'")).toMatchObject({
      status: 400,
      body: [{ errorCode: 'INVALID_QUERY_FILTER_OPERATOR', message: 'invalid ID field: x' }],
    });
    expect(await bad('SELECT Id FROM Account OFFSET 2001')).toMatchObject({
      status: 400,
      body: [{ errorCode: 'NUMBER_OUTSIDE_VALID_RANGE' }],
    });
    const err = await rejection(conn.query('SELECT Id FROM Account WHERE'));
    expect(err.errorCode).toBe('MALFORMED_QUERY');
  });
});
