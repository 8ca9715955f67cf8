import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickbooksEmulator, type QuickbooksEmulator } from '@revsync/emulators/quickbooks';
import { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { QuickbooksClient } from './client.ts';
import { QuickbooksPoller } from './poller.ts';

const REALM = '9341450000000001';
let emu: QuickbooksEmulator;
let client: QuickbooksClient;

beforeAll(async () => {
  emu = await startQuickbooksEmulator({ port: 0, realms: [{ realmId: REALM }] });
  client = new QuickbooksClient({
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    realms: [{ realmId: REALM, refreshToken: emu.refreshTokens[REALM]! }],
    baseUrl: emu.url,
    tokenUrl: emu.tokenUrl,
    connection: new OutboundConnection('quickbooks', { system: 'quickbooks' }),
  });
});
afterAll(() => emu.close());

const realm = () => emu.books.realm(REALM)!;

describe('the CDC poller', () => {
  it('pages a second with more changes than a page, and still sees a change stamped with that second later', async () => {
    emu.clock.set(Date.parse('2026-12-07T10:00:00.100Z'));
    for (let i = 0; i < 5; i += 1) {
      emu.books.write(realm(), 'Customer', {
        DisplayName: `Same Second ${i}`,
        Notes: `revsync:cus_same_${i}`,
      });
    }
    const poller = new QuickbooksPoller(client, {
      realmId: REALM,
      since: '2026-12-07T09:00:00Z',
      now: () => emu.clock.now(),
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let polls = 0; polls < 5; polls += 1) {
      const page = await poller.poll(cursor, { limit: 2 });
      seen.push(...page.events.map((e) => e.id));
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    // Another change in the same second (a new SyncToken) after the feed was read.
    const first = emu.books.all(realm(), 'Customer')[0]!;
    emu.books.write(realm(), 'Customer', {
      Id: first.Id,
      SyncToken: first.SyncToken,
      sparse: true,
      Notes: String(first.Notes),
    });
    const later = await poller.poll(cursor, { limit: 2 });
    expect(later.events.map((e) => e.type)).toEqual(['quickbooks.customer.updated']);
    expect(later.events[0]!.data).toMatchObject({ externalId: 'cus_same_0', syncToken: '1' });
    expect((await poller.poll(later.cursor, { limit: 2 })).events).toEqual([]);
  });

  it('names the canonical customer of a transaction and starts an old cursor at the 30-day edge', async () => {
    emu.clock.advance(5_000);
    const customer = emu.books.all(realm(), 'Customer')[1]!;
    emu.books.write(realm(), 'Invoice', {
      CustomerRef: { value: customer.Id },
      PrivateNote: 'revsync:in_cdc_1',
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 10 }],
    });
    const poller = new QuickbooksPoller(client, { realmId: REALM, now: () => emu.clock.now() });
    const old = JSON.stringify({ since: '2026-01-01T00:00:00.000Z', seen: [] });
    const events = (await poller.poll(old, { limit: 100 })).events;
    const invoice = events.find((e) => e.type === 'quickbooks.invoice.created');
    expect(invoice?.data).toMatchObject({
      externalId: 'in_cdc_1',
      customer: { id: `${REALM}:${customer.Id}`, externalId: 'cus_same_1' },
    });
    await expect(poller.poll('not json')).rejects.toThrow(/cursor/);
  });
});
