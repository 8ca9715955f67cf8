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

describe('approval_waiting alert [sqlite]', () => {
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

  it('fires once when a change request waits longer than its threshold, and clears when decided', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 27, 9, 0));
    await store.changeRequests.insert(store.db, {
      id: 'chg_1',
      action: 'exception.resubmit',
      targetType: 'exception',
      targetId: 'exc_1',
      requestedBy: 'alice',
      requestedAt: clock.now(),
      reason: null,
      payload: {},
      diff: [{ path: '$.amount', before: 100, after: 200 }],
      impact: {},
      amountMinor: 200,
      currency: 'USD',
      approvalsRequired: 1,
      expiresAt: clock.now() + 72 * 3_600_000,
    });
    const monitor = new AlertMonitor({
      store,
      views: new StoreBusinessViews(store, () => clock.now(), {
        crm: 'salesforce',
        billing: 'stripe',
        erp: 'netsuite',
      }),
      rules: [{ kind: 'approval_waiting', afterMinutes: 240 }],
      webhookUrl: url,
      clock,
      logger: pino({ level: 'silent' }),
    });
    clock.advance(239 * 60_000);
    expect(await monitor.evaluate()).toEqual([]);
    clock.advance(2 * 60_000);
    expect((await monitor.evaluate()).map((a) => a.key)).toEqual(['approval_waiting:chg_1']);
    expect(received[0]!.text).toContain('Change request chg_1 waiting for approval for 241 min');
    expect(await monitor.evaluate()).toEqual([]);
    await store.changeRequests.transition(store.db, 'chg_1', 'rejected', {
      decidedBy: 'bob',
      decidedAt: clock.now(),
      decisionReason: 'no',
    });
    expect(await monitor.evaluate()).toEqual([]);
    expect(received).toHaveLength(1);
  });
});
