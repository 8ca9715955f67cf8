import type { Connection } from 'jsforce';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from './index.ts';
import { call, connect } from './test-helpers.ts';

let sf: RunningSalesforceEmulator;
let conn: Connection;
type Rec = Record<string, unknown>;
interface CompositeResult {
  compositeResponse: {
    body: unknown;
    httpHeaders: Record<string, string>;
    httpStatusCode: number;
    referenceId: string;
  }[];
}

beforeAll(async () => {
  sf = await startSalesforceEmulator({ port: 0 });
  conn = connect(sf);
});
afterAll(() => sf.close());
beforeEach(async () => {
  await fetch(`${sf.url}/_emulator/reset`, { method: 'POST' });
});

const count = async (object: string): Promise<number> =>
  (await conn.query(`SELECT COUNT() FROM ${object}`)).totalSize;

describe('POST /composite', () => {
  it('runs subrequests with @{ref} references in one API call', async () => {
    const before = sf.app.requests.list().length;
    const res = await conn.requestPost<CompositeResult>('/composite', {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Account',
          referenceId: 'acct',
          body: { Name: 'Composite Co' },
        },
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Contact',
          referenceId: 'contact',
          body: { LastName: 'Ref', AccountId: '@{acct.id}' },
        },
        {
          method: 'GET',
          url: '/services/data/v62.0/sobjects/Account/@{acct.id}?fields=Name',
          referenceId: 'read',
        },
        {
          method: 'GET',
          url: "/services/data/v62.0/query?q=SELECT+Id,+Account.Name+FROM+Contact+WHERE+AccountId+=+'@{acct.id}'",
          referenceId: 'q',
        },
        {
          method: 'PATCH',
          url: '/services/data/v62.0/sobjects/Contact/@{q.records[0].Id}',
          referenceId: 'upd',
          body: { Title: 'CFO' },
        },
      ],
    });
    expect(sf.app.requests.list().length - before).toBe(1);
    const [acct, contact, read, q, upd] = res.compositeResponse;
    expect(acct).toMatchObject({
      httpStatusCode: 201,
      referenceId: 'acct',
      body: { id: expect.stringMatching(/^001/), success: true, errors: [] },
      httpHeaders: {
        Location: expect.stringMatching(/^\/services\/data\/v62\.0\/sobjects\/Account\/001/),
      },
    });
    const accountId = (acct?.body as Rec)['id'];
    expect(contact?.httpStatusCode).toBe(201);
    expect(read?.body).toMatchObject({ Name: 'Composite Co' });
    expect(q?.body).toMatchObject({
      totalSize: 1,
      records: [{ Account: { Name: 'Composite Co' } }],
    });
    expect(upd).toMatchObject({ httpStatusCode: 204, body: null });
    const stored = await conn.query<Rec>('SELECT AccountId, Title FROM Contact');
    expect(stored.records[0]).toMatchObject({ AccountId: accountId, Title: 'CFO' });
  });

  it('rolls everything back with allOrNone when one subrequest fails', async () => {
    const res = await conn.requestPost<CompositeResult>('/composite', {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Account',
          referenceId: 'ok',
          body: { Name: 'Kept?' },
        },
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Account',
          referenceId: 'bad',
          body: { Industry: 'x' },
        },
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Account',
          referenceId: 'later',
          body: { Name: 'Never' },
        },
      ],
    });
    expect(res.compositeResponse.map((r) => [r.referenceId, r.httpStatusCode])).toEqual([
      ['ok', 400],
      ['bad', 400],
      ['later', 400],
    ]);
    expect(res.compositeResponse[0]?.body).toEqual([
      {
        errorCode: 'PROCESSING_HALTED',
        message:
          'The transaction was rolled back since another operation in the same transaction failed.',
      },
    ]);
    expect(res.compositeResponse[1]?.body).toMatchObject([{ errorCode: 'REQUIRED_FIELD_MISSING' }]);
    expect(await count('Account')).toBe(0);
  });

  it('without allOrNone keeps what succeeded and halts what referenced a failure', async () => {
    const res = await conn.requestPost<CompositeResult>('/composite', {
      compositeRequest: [
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Account',
          referenceId: 'bad',
          body: {},
        },
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Contact',
          referenceId: 'child',
          body: { LastName: 'x', AccountId: '@{bad.id}' },
        },
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Account',
          referenceId: 'fine',
          body: { Name: 'Fine' },
        },
      ],
    });
    expect(res.compositeResponse.map((r) => r.httpStatusCode)).toEqual([400, 400, 201]);
    expect(res.compositeResponse[1]?.body).toMatchObject([{ errorCode: 'PROCESSING_HALTED' }]);
    expect(await count('Account')).toBe(1);
  });

  it('refuses more than 25 subrequests', async () => {
    const compositeRequest = Array.from({ length: 26 }, (_, i) => ({
      method: 'GET',
      url: '/services/data/v62.0/limits',
      referenceId: `r${i}`,
    }));
    const res = await call(sf, 'POST', '/services/data/v62.0/composite', { compositeRequest });
    expect(res).toMatchObject({ status: 400, body: [{ errorCode: 'LIMIT_EXCEEDED' }] });
  });
});

describe('sObject collections', () => {
  it('creates, retrieves, updates and deletes up to 200 records per call', async () => {
    const created = await conn
      .sobject('Account')
      .create([{ Name: 'C1' }, { Name: 'C2' }, { Industry: 'no name' }]);
    expect(created.map((c) => c.success)).toEqual([true, true, false]);
    expect(created[2]).toEqual({
      success: false,
      errors: [
        {
          statusCode: 'REQUIRED_FIELD_MISSING',
          message: 'Required fields are missing: [Name]',
          fields: ['Name'],
        },
      ],
    });
    const ids = created.filter((c) => c.success).map((c) => c.id as string);

    const fetched = await conn.sobject('Account').retrieve(ids, { fields: ['Name'] });
    expect(fetched.map((r) => (r as Rec)['Name'])).toEqual(['C1', 'C2']);
    const viaGet = await call(
      sf,
      'GET',
      `/services/data/v62.0/composite/sobjects/Account?ids=${ids.join(',')}&fields=Id,Name`,
    );
    expect(viaGet.body).toEqual([
      expect.objectContaining({ Id: ids[0], Name: 'C1' }),
      expect.objectContaining({ Id: ids[1] }),
    ]);

    const updated = await conn
      .sobject('Account')
      .update(ids.map((Id) => ({ Id, Industry: 'Energy' })));
    expect(updated).toEqual(ids.map((id) => ({ id, success: true, errors: [] })));
    const removed = await conn.sobject('Account').destroy(ids);
    expect(removed.every((r) => r.success)).toBe(true);
    expect(await count('Account')).toBe(0);

    const tooMany = await call(sf, 'POST', '/services/data/v62.0/composite/sobjects', {
      records: Array.from({ length: 201 }, (_, i) => ({
        attributes: { type: 'Account' },
        Name: `N${i}`,
      })),
    });
    expect(tooMany).toMatchObject({ status: 400, body: [{ errorCode: 'EXCEEDED_ID_LIMIT' }] });
  });

  it('rolls a collection back with allOrNone', async () => {
    const res = await conn.sobject('Account').create([{ Name: 'A' }, {}], { allOrNone: true });
    expect(res[0]).toEqual({
      success: false,
      errors: [
        {
          statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
          message:
            'Record rolled back because not all records were valid and the request was using AllOrNone header',
          fields: [],
        },
      ],
    });
    expect(res[1]?.errors[0]).toMatchObject({ statusCode: 'REQUIRED_FIELD_MISSING' });
    expect(await count('Account')).toBe(0);
  });

  it('upserts a collection by external id and flags duplicates', async () => {
    const first = await conn.sobject('Account').upsert(
      [
        { Name: 'U1', Key__c: 'k1' },
        { Name: 'U2', Key__c: 'k2' },
      ],
      'Key__c',
    );
    expect(first.map((r) => r.created)).toEqual([true, true]);
    const second = await conn.sobject('Account').upsert(
      [
        { Name: 'U1 renamed', Key__c: 'k1' },
        { Name: 'U3', Key__c: 'k3' },
      ],
      'Key__c',
    );
    expect(second.map((r) => [r.id, r.created])).toEqual([
      [first[0]?.id, false],
      [expect.stringMatching(/^001/), true],
    ]);
    await conn.sobject('Account').create({ Name: 'dup', Key__c: 'k3' });
    const third = await conn.sobject('Account').upsert([{ Name: 'x', Key__c: 'k3' }], 'Key__c');
    expect(third[0]).toMatchObject({
      success: false,
      errors: [{ statusCode: 'DUPLICATE_EXTERNAL_ID' }],
    });
  });
});
