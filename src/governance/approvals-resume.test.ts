import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import { ManualClock } from '../engine/clock.ts';
import { Engine } from '../engine/engine.ts';
import type { Store } from '../store/store.ts';
import { Approvals } from './approvals.ts';
import { refusedPostingFlow } from '../../test/support/refused-posting.ts';

/**
 * A process that dies between an approval's commit and its execution leaves the request
 * `approved`. On the next start `resumeApproved` finishes it: it runs the action if it never ran,
 * and only records it as executed if the action had committed (its audit entry names the
 * request), so the skip happens exactly once either way.
 */
describe.each(DIALECTS)('approved change requests cut short by a crash [%s]', (dialect) => {
  let store: Store & { dispose(): Promise<void> };
  let engine: Engine;
  const clock = new ManualClock(Date.UTC(2026, 11, 7, 9, 0));
  let approvals: Approvals;
  const exceptions: Record<string, string> = {};

  beforeAll(async () => {
    store = await openTestStore(dialect);
    const flow = refusedPostingFlow();
    engine = new Engine({ store, flows: [flow], clock, logger: pino({ level: 'silent' }) });
    for (const key of ['cus_a', 'cus_b', 'cus_c']) {
      await engine.inbox.append({
        specversion: '1.0',
        id: `evt_${key}`,
        source: 's',
        type: 'x.invoice',
        entitykey: key,
        data: { total: 500_00, currency: 'USD' },
      });
    }
    await engine.runUntilIdle();
    for (const e of await engine.exceptions.list({ status: 'open' })) {
      exceptions[e.entityKey!] = e.id;
    }
    approvals = new Approvals(store, engine.exceptions, { now: () => clock.now() });
  });
  afterAll(async () => {
    await engine.stop();
    await store.dispose();
  });

  /** A skip request approved by bob whose execution never finished (status stays `approved`). */
  async function approvedButNotExecuted(entity: string): Promise<string> {
    const request = await approvals.guardSkip(exceptions[entity]!, {
      actor: 'alice',
      reason: 'booked by hand',
    });
    await store.changeRequests.transition(store.db, request!.id, 'approved', {
      decidedBy: 'bob',
      decidedAt: clock.now(),
    });
    return request!.id;
  }

  it('runs the action of a request that never ran, marks one whose action committed, and leaves a fresh one alone', async () => {
    expect(Object.keys(exceptions).sort()).toEqual(['cus_a', 'cus_b', 'cus_c']);
    const neverRan = await approvedButNotExecuted('cus_a');
    const ranNotRecorded = await approvedButNotExecuted('cus_b');
    // The crash came after the engine's skip (and its audit entry) committed.
    await engine.exceptions.skip(exceptions['cus_b']!, {
      actor: 'alice',
      reason: 'booked by hand',
      changeRequest: ranNotRecorded,
    });
    clock.advance(5 * 60_000);
    const fresh = await approvedButNotExecuted('cus_c');

    expect(await approvals.resumeApproved()).toBe(2);

    const a = await approvals.get(neverRan);
    expect(a.status).toBe('executed');
    expect(a.result).toEqual({ exception: exceptions['cus_a'] });
    const b = await approvals.get(ranNotRecorded);
    expect(b.status).toBe('executed');
    expect(b.result).toMatchObject({ recovered: true });
    expect((await approvals.get(fresh)).status).toBe('approved');
    for (const entity of ['cus_a', 'cus_b']) {
      expect((await engine.exceptions.get(exceptions[entity]!)).status).toBe('skipped');
      const skips = (await store.audit.list(store.db, { targetId: exceptions[entity]! })).filter(
        (e) => e.action === 'exception.skip',
      );
      expect(skips).toHaveLength(1);
    }
    expect((await engine.exceptions.get(exceptions['cus_c']!)).status).toBe('open');

    // A second start finds nothing more to do for the two finished ones.
    expect(await approvals.resumeApproved()).toBe(0);
  });
});
