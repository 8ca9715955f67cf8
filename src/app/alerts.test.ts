import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/stores.ts';
import {
  startSlackReceiver,
  type SlackMessage,
  type SlackReceiver,
} from '../../test/support/slack-receiver.ts';
import { StoreBusinessViews } from './business-views.ts';
import { ManualClock } from '../engine/clock.ts';
import type { Store } from '../store/store.ts';
import { AlertMonitor } from '../observability/alerts.ts';

describe('alerts [sqlite]', () => {
  let store: Store & { dispose(): Promise<void> };
  let slack: SlackReceiver;
  let url = '';
  let received: SlackMessage[] = [];

  beforeAll(async () => {
    store = await openTestStore('sqlite');
    slack = await startSlackReceiver();
    ({ url, received } = slack);
  });
  afterAll(async () => {
    await slack.close();
    await store.dispose();
  });

  it('sends a Slack-compatible alert once when an invoice waits for the ERP longer than its threshold', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 27, 9, 0));
    await store.events.insertMany(store.db, [
      {
        eventId: 'evt_c1',
        inboxSeq: 1,
        inboxEventId: 'evt_1',
        source: 'stripe',
        vendorEventId: 'evt_1',
        vendorType: 'invoice.finalized',
        type: 'billing.invoice.finalized',
        subject: 'in_42',
        entityKey: 'cus_A',
        correlationId: 'evt_1',
        schemaVersion: 1,
        data: { invoiceId: 'in_42', reason: 'subscription_create' },
        time: clock.now(),
        createdAt: clock.now(),
      },
    ]);
    const monitor = new AlertMonitor({
      store,
      views: new StoreBusinessViews(store, () => clock.now(), {
        crm: 'salesforce',
        billing: 'stripe',
        erp: 'netsuite',
      }),
      rules: [{ kind: 'invoice_not_posted', afterMinutes: 15 }],
      webhookUrl: url,
      clock,
      logger: pino({ level: 'silent' }),
      dashboardUrl: 'http://127.0.0.1:4000/',
    });
    clock.advance(14 * 60_000);
    expect(await monitor.evaluate()).toEqual([]);
    clock.advance(2 * 60_000);
    const sent = await monitor.evaluate();
    expect(sent.map((a) => a.key)).toEqual(['invoice_not_posted:in_42']);
    expect(received).toHaveLength(1);
    expect(received[0]!.text).toContain('Invoice in_42 not in the ERP after 16 min');
    expect(JSON.stringify(received[0]!.blocks)).toContain('open the dashboard');
    expect(await monitor.evaluate()).toEqual([]); // still firing: not sent again
    // Posted to the ERP: the condition clears.
    await store.xrefs.link(
      store.db,
      {
        canonicalId: 'inv_1',
        entityType: 'invoice',
        system: 'stripe',
        objectType: 'invoice',
        externalId: 'in_42',
      },
      clock.now(),
    );
    await store.xrefs.link(
      store.db,
      {
        canonicalId: 'inv_1',
        entityType: 'invoice',
        system: 'netsuite',
        objectType: 'invoice',
        externalId: '901',
      },
      clock.now(),
    );
    expect(await monitor.evaluate()).toEqual([]);
    expect(received).toHaveLength(1);
  });
});
