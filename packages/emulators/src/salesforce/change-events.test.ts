import type { Connection } from 'jsforce';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEventPage } from './index.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from './index.ts';
import { connect } from './test-helpers.ts';

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

async function events(
  query: string,
): Promise<{ status: number; body: ChangeEventPage & unknown[] }> {
  const res = await fetch(`${sf.url}/_emulator/cdc/events?${query}`);
  return { status: res.status, body: (await res.json()) as ChangeEventPage & unknown[] };
}

describe('change events', () => {
  it('records create, update, delete and undelete in order, readable after a replay id', async () => {
    const start = (await events('channel=/data/ChangeEvents&replayId=-1')).body.latestReplayId;
    const acct = await conn.sobject('Account').create({ Name: 'Acme', Phone: '1' });
    const id = acct.id as string;
    await conn.sobject('Account').update({ Id: id, Name: 'Acme Ltd', Phone: null });
    await conn.sobject('Account').destroy(id);
    await fetch(`${sf.url}/_emulator/records/Account/${id}/undelete`, { method: 'POST' });

    const page = (await events(`channel=/data/AccountChangeEvent&replayId=${start}`)).body;
    expect(page.events.map((e) => e.payload.ChangeEventHeader.changeType)).toEqual([
      'CREATE',
      'UPDATE',
      'DELETE',
      'UNDELETE',
    ]);
    const ids = page.events.map((e) => e.replayId);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(page.latestReplayId).toBe(ids[3]);

    const [created, updated, deleted] = page.events;
    expect(created?.channel).toBe('/data/AccountChangeEvent');
    expect(created?.payload).toMatchObject({
      ChangeEventHeader: {
        entityName: 'Account',
        recordIds: [id],
        changeType: 'CREATE',
        changeOrigin: 'com/salesforce/api/rest/62.0',
        sequenceNumber: 1,
        commitUser: sf.state.userId,
        changedFields: [],
        diffFields: [],
        nulledFields: [],
      },
      Name: 'Acme',
      Phone: '1',
      OwnerId: sf.state.userId,
    });
    expect(created?.payload.ChangeEventHeader.transactionKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(updated?.payload).toMatchObject({
      ChangeEventHeader: {
        changeType: 'UPDATE',
        changedFields: ['Name', 'Phone', 'LastModifiedDate'],
        nulledFields: ['Phone'],
      },
      Name: 'Acme Ltd',
      Phone: null,
      LastModifiedDate: expect.any(String),
    });
    expect(Object.keys(deleted?.payload ?? {})).toEqual(['ChangeEventHeader']);

    const after = (await events(`channel=/data/AccountChangeEvent&replayId=${ids[1]}`)).body;
    expect(after.events.map((e) => e.replayId)).toEqual(ids.slice(2));
  });

  it('filters by channel, pages with limit, and replays all retained with -2', async () => {
    const acct = await conn.sobject('Account').create({ Name: 'A' });
    await conn
      .sobject('Opportunity')
      .create({ Name: 'O', StageName: 'Prospecting', CloseDate: '2026-01-01', AccountId: acct.id });
    await conn.sobject('Invoice__c').create({ Total__c: 5 });

    const all = (await events('replayId=-2')).body;
    expect(all.events.map((e) => e.channel)).toEqual([
      '/data/AccountChangeEvent',
      '/data/OpportunityChangeEvent',
      '/data/Invoice__ChangeEvent',
    ]);
    const opp = (await events('channel=/data/OpportunityChangeEvent&replayId=-2')).body;
    expect(opp.events).toHaveLength(1);
    expect(opp.latestReplayId).toBe(all.latestReplayId);

    const first = (await events('replayId=-2&limit=2')).body;
    expect(first.events).toHaveLength(2);
    expect(first.hasMore).toBe(true);
    const rest = (await events(`replayId=${first.latestReplayId}&limit=2`)).body;
    expect(rest.events.map((e) => e.payload.ChangeEventHeader.entityName)).toEqual(['Invoice__c']);
    expect(rest.hasMore).toBe(false);
  });

  it('shares one transaction key across a collection and publishes nothing on rollback', async () => {
    await conn.sobject('Account').create([{ Name: 'A' }, { Name: 'B' }], { allOrNone: true });
    await conn.sobject('Account').create([{ Name: 'C' }, {}], { allOrNone: true });
    const page = (await events('replayId=-2')).body;
    expect(page.events).toHaveLength(2);
    const [a, b] = page.events.map((e) => e.payload.ChangeEventHeader);
    expect(a?.transactionKey).toBe(b?.transactionKey);
    expect([a?.sequenceNumber, b?.sequenceNumber]).toEqual([1, 2]);
    expect(a?.commitNumber).toBe(b?.commitNumber);
  });

  it('keeps events 72 hours of emulator time and refuses replay ids beyond that', async () => {
    await conn.sobject('Account').create({ Name: 'Old' });
    const old = (await events('replayId=-2')).body.latestReplayId;
    sf.app.clock.advance(73 * 3600 * 1000);
    await conn.sobject('Account').create({ Name: 'New' });
    const retained = (await events('replayId=-2')).body;
    expect(retained.events.map((e) => e.payload['Name'])).toEqual(['New']);
    const stale = await events(`replayId=${old - 1}`);
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject([{ errorCode: 'INVALID_REPLAY_ID' }]);
    expect((await events(`replayId=${old}`)).body.events).toHaveLength(1);
  });
});
