import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/stores.ts';
import { StoreBusinessViews } from './business-views.ts';
import { ManualClock } from '../engine/clock.ts';
import type { Store } from '../store/store.ts';
import { AlertMonitor } from '../observability/alerts.ts';

describe('approval_waiting alert [sqlite]', () => {
  let store: Store & { dispose(): Promise<void> };
  let server: Server;
  let url = '';
  const received: { text: string }[] = [];

  beforeAll(async () => {
    store = await openTestStore('sqlite');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body) as { text: string });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hooks/slack`;
  });
  afterAll(async () => {
    server.close();
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
