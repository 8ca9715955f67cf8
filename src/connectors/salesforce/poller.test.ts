import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PollSource, VendorEvent } from '../ports.ts';
import {
  createRecord,
  startTestbed,
  updateRecord,
  type SalesforceTestbed,
} from './test-helpers.ts';

let tb: SalesforceTestbed;
let accounts: PollSource;
let opportunities: PollSource;

beforeEach(async () => {
  tb = await startTestbed({ connector: { feeds: ['soql'] } });
  [accounts, opportunities] = tb.connector.pollers as [PollSource, PollSource];
});
afterEach(async () => {
  await tb.close();
});

async function drain(feed: PollSource, cursor: string | undefined, limit = 200) {
  const events: VendorEvent[] = [];
  const pages: boolean[] = [];
  let more = true;
  while (more) {
    const page = await feed.poll(cursor, { limit });
    events.push(...page.events);
    pages.push(page.hasMore);
    cursor = page.cursor;
    more = page.hasMore;
  }
  return { events, cursor, pages };
}

/** Seeds records in one transaction: they share one SystemModstamp second. */
async function seed(object: string, records: Record<string, unknown>[]): Promise<string[]> {
  const res = await fetch(`${tb.sf.url}/_emulator/records/${object}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(records),
  });
  return ((await res.json()) as { ids: string[] }).ids;
}

describe('SOQL polling', () => {
  it('names one cursor per object', () => {
    expect(tb.connector.pollers.map((p) => p.cursorName)).toEqual([
      'salesforce:soql:Account',
      'salesforce:soql:Opportunity',
    ]);
  });

  it('pages through records sharing one second: no duplicates, no gaps, hasMore', async () => {
    const ids = await seed(
      'Account',
      Array.from({ length: 5 }, (_, i) => ({ Name: `Seeded ${i}` })),
    );
    const { events, cursor, pages } = await drain(accounts, undefined, 2);
    expect(pages).toEqual([true, true, false]);
    expect(events.map((e) => e.subject).sort()).toEqual([...ids].sort());
    expect(new Set(events.map((e) => e.id)).size).toBe(5);
    expect(events.every((e) => e.type === 'salesforce.account.created')).toBe(true);
    expect(events[0]?.id).toBe(`${events[0]?.subject}:${events[0]?.data?.['SystemModstamp']}`);

    const quiet = await accounts.poll(cursor, { limit: 2 });
    expect(quiet).toEqual({ events: [], cursor, hasMore: false });

    tb.sf.app.clock.advance(1000);
    await updateRecord(tb.admin, 'Account', ids[3]!, { Name: 'Renamed' });
    const next = await accounts.poll(cursor, { limit: 2 });
    expect(next.events.map((e) => [e.type, e.subject])).toEqual([
      ['salesforce.account.updated', ids[3]],
    ]);
    expect(next.events[0]?.data).toMatchObject({ Name: 'Renamed' });
    expect(next.hasMore).toBe(false);
  });

  it('re-reading from an older cursor gives the same event ids (the inbox de-duplicates)', async () => {
    await seed('Account', [{ Name: 'One' }, { Name: 'Two' }]);
    const first = await accounts.poll(undefined);
    const again = await accounts.poll(undefined);
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
  });

  it('emits closed_won / amendment_won whenever an opportunity is won, else updated', async () => {
    const accountId = await createRecord(tb.admin, 'Account', { Name: 'Acme' });
    const open = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Open',
      AccountId: accountId,
      StageName: 'Prospecting',
      CloseDate: '2026-05-01',
      Type: 'New Business',
    });
    const first = await drain(opportunities, undefined);
    expect(first.events.map((e) => [e.type, e.subject])).toEqual([
      ['salesforce.opportunity.updated', open],
    ]);

    tb.sf.app.clock.advance(1000);
    await updateRecord(tb.admin, 'Opportunity', open, { StageName: 'Closed Won' });
    const upgrade = await createRecord(tb.admin, 'Opportunity', {
      Name: 'Upgrade',
      AccountId: accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-05-01',
      Type: 'Amendment',
    });
    const second = await drain(opportunities, first.cursor);
    expect(second.events.map((e) => [e.type, e.subject]).sort()).toEqual(
      [
        ['salesforce.opportunity.closed_won', open],
        ['salesforce.opportunity.amendment_won', upgrade],
      ].sort(),
    );
    expect(second.events[0]?.data).toMatchObject({ AccountId: accountId });
  });

  it('sees an unchanged repeat of a write-back as nothing new', async () => {
    const accountId = await createRecord(tb.admin, 'Account', { Name: 'Acme' });
    const { cursor } = await drain(accounts, undefined);
    tb.sf.app.clock.advance(1000);
    const status = { subscriptionId: 'sub_1', subscriptionStatus: 'active' };
    await tb.connector.port.updateAccountBilling(accountId, status, { idempotencyKey: 'k' });
    const afterWrite = await drain(accounts, cursor);
    expect(afterWrite.events).toHaveLength(1); // polling cannot tell whose change it was
    tb.sf.app.clock.advance(1000);
    await tb.connector.port.updateAccountBilling(accountId, status, { idempotencyKey: 'k' });
    expect((await accounts.poll(afterWrite.cursor)).events).toEqual([]);
  });

  it('refuses a malformed cursor', async () => {
    await expect(accounts.poll('{"nope":1}')).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
