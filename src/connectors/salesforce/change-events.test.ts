import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PollSource, VendorEvent } from '../ports.ts';
import {
  createRecord,
  startTestbed,
  updateRecord,
  type SalesforceTestbed,
} from './test-helpers.ts';

let tb: SalesforceTestbed;
let feed: PollSource;
const write = { idempotencyKey: 'run-1:step-1' };

beforeEach(async () => {
  tb = await startTestbed();
  feed = tb.connector.pollers[0]!;
});
afterEach(async () => {
  await tb.close();
});

/** Polls until nothing more is waiting; answers every event and the final cursor. */
async function drain(cursor: string | undefined, limit = 100) {
  const events: VendorEvent[] = [];
  let more = true;
  while (more) {
    const page = await feed.poll(cursor, { limit });
    events.push(...page.events);
    cursor = page.cursor;
    more = page.hasMore;
  }
  return { events, cursor };
}

const summary = (events: VendorEvent[]) => events.map((e) => [e.type, e.subject]);

describe('change events', () => {
  it('turns account changes into created/updated events carrying the current record', async () => {
    expect(feed.cursorName).toBe('salesforce:change-events');
    const id = await createRecord(tb.admin, 'Account', { Name: 'Acme', BillingCountry: 'US' });
    await updateRecord(tb.admin, 'Account', id, { Name: 'Acme Inc' });
    const { events, cursor } = await drain(undefined);
    expect(summary(events)).toEqual([
      ['salesforce.account.created', id],
      ['salesforce.account.updated', id],
    ]);
    const [created] = events;
    expect(created).toMatchObject({
      specversion: '1.0',
      source: 'salesforce',
      id: expect.stringMatching(/^[0-9a-f-]{36}:1$/),
      time: expect.stringMatching(/Z$/),
      // notify, then fetch: the record as it is now, not as the event carried it
      data: { Id: id, Name: 'Acme Inc', BillingCountry: 'US' },
    });
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
    expect((await feed.poll(cursor)).events).toEqual([]);
  });

  it('pages with the cursor: no duplicates, no gaps, hasMore while a page was full', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await createRecord(tb.admin, 'Account', { Name: `A${i}` }));
    const first = await feed.poll(undefined, { limit: 2 });
    expect(first).toMatchObject({ hasMore: true });
    expect(first.events).toHaveLength(2);
    const rest = await drain(first.cursor, 2);
    const all = [...first.events, ...rest.events];
    expect(all.map((e) => e.subject)).toEqual(ids);
    expect(new Set(all.map((e) => e.id)).size).toBe(5);

    const late = await createRecord(tb.admin, 'Account', { Name: 'Late' });
    const next = await feed.poll(rest.cursor, { limit: 2 });
    expect(summary(next.events)).toEqual([['salesforce.account.created', late]]);
    expect(next.hasMore).toBe(false);
    // the same cursor reads the same events again, with the same ids (the inbox de-duplicates)
    expect((await feed.poll(rest.cursor, { limit: 2 })).events.map((e) => e.id)).toEqual(
      next.events.map((e) => e.id),
    );
  });

  it('derives closed_won, amendment_won and updated for opportunities', async () => {
    const accountId = await createRecord(tb.admin, 'Account', { Name: 'Acme' });
    const { cursor } = await drain(undefined);
    const deal = await createRecord(tb.admin, 'Opportunity', {
      Name: 'New deal',
      AccountId: accountId,
      StageName: 'Prospecting',
      CloseDate: '2026-05-01',
      Type: 'New Business',
    });
    await updateRecord(tb.admin, 'Opportunity', deal, { StageName: 'Negotiation/Review' });
    await updateRecord(tb.admin, 'Opportunity', deal, { StageName: 'Closed Won' });
    const upgrade = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Upgrade',
      AccountId: accountId,
      StageName: 'Prospecting',
      CloseDate: '2026-05-01',
      Type: 'Amendment',
    });
    await updateRecord(tb.admin, 'Opportunity', upgrade, { StageName: 'Closed Won' });
    const wonAtOnce = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Signed on the spot',
      AccountId: accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-05-01',
    });
    await updateRecord(tb.admin, 'Opportunity', deal, { NextStep: 'Kick-off' });

    const { events } = await drain(cursor);
    expect(summary(events)).toEqual([
      ['salesforce.opportunity.updated', deal],
      ['salesforce.opportunity.updated', deal],
      ['salesforce.opportunity.closed_won', deal],
      ['salesforce.opportunity.updated', upgrade],
      ['salesforce.opportunity.amendment_won', upgrade],
      ['salesforce.opportunity.closed_won', wonAtOnce],
      ['salesforce.opportunity.updated', deal],
    ]);
    expect(events[2]?.data).toMatchObject({ Id: deal, AccountId: accountId, IsWon: true });
  });

  it("suppresses revsync's own write-backs and deletes", async () => {
    const accountId = await createRecord(tb.admin, 'Account', { Name: 'Acme' });
    const oppId = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Deal',
      AccountId: accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-05-01',
    });
    const { cursor } = await drain(undefined);

    await tb.connector.port.updateAccountBilling(
      accountId,
      { revsyncId: 'cus_1', subscriptionId: 'sub_1', mrr: { amount: 100, currency: 'USD' } },
      write,
    );
    await tb.connector.port.updateOpportunityBilling(
      oppId,
      {
        subscriptionId: 'sub_1',
        subscriptionStatus: 'active',
        mrr: { amount: 100, currency: 'USD' },
      },
      write,
    );
    // the change events exist, but they are revsync's own
    expect(tb.sf.state.changeEvents.latestReplayId()).toBeGreaterThan(Number(cursor));
    const echoes = await drain(cursor);
    expect(echoes.events).toEqual([]);

    await updateRecord(tb.admin, 'Account', accountId, { Phone: '+1 555 0100', MRR__c: 2 });
    await tb.admin.sobject('Opportunity').destroy(oppId);
    const { events } = await drain(echoes.cursor);
    expect(summary(events)).toEqual([['salesforce.account.updated', accountId]]);
  });

  it('starts at the current position when configured to', async () => {
    await tb.close();
    tb = await startTestbed({ connector: { changeEventStart: 'latest' } });
    feed = tb.connector.pollers[0]!;
    await createRecord(tb.admin, 'Account', { Name: 'Before' });
    const start = await feed.poll(undefined);
    expect(start.events).toEqual([]);
    const after = await createRecord(tb.admin, 'Account', { Name: 'After' });
    expect(summary((await feed.poll(start.cursor)).events)).toEqual([
      ['salesforce.account.created', after],
    ]);
  });

  it('goes on from what is retained when the cursor fell out of retention', async () => {
    await tb.close();
    const warnings: string[] = [];
    tb = await startTestbed({
      connector: { logger: { warn: (_details, message) => warnings.push(message) } },
    });
    feed = tb.connector.pollers[0]!;
    const old = await createRecord(tb.admin, 'Account', { Name: 'Old' });
    const { cursor } = await drain(undefined);
    await updateRecord(tb.admin, 'Account', old, { Name: 'Old 2' });
    await updateRecord(tb.admin, 'Account', old, { Name: 'Old 3' });
    tb.sf.app.clock.advance(73 * 3600 * 1000); // past retention, and past the session timeout
    const fresh = await createRecord(tb.admin, 'Account', { Name: 'Fresh' });
    const page = await feed.poll(cursor);
    expect(summary(page.events)).toEqual([['salesforce.account.created', fresh]]);
    expect(warnings).toEqual([
      'salesforce change event cursor is past retention; replaying what is retained',
      'salesforce session expired; logging in again', // on the re-read of the record
    ]);
  });
});
