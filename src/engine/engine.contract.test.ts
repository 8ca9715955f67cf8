import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import { RateLimitedError, RetryableError, ValidationError } from '../model/revsync-error.ts';
import { stableId } from '../model/ids.ts';
import type { Store } from '../store/store.ts';
import { ManualClock } from './clock.ts';
import { Engine } from './engine.ts';
import { defineFlow, type Flow } from './flow.ts';

let n = 0;
function event(type: string, data: unknown, extra: Record<string, unknown> = {}) {
  n += 1;
  return { specversion: '1.0', id: `ev-${n}`, source: 'test', type, data, ...extra };
}

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      cb();
    },
  });
  const logger: Logger = pino({ level: 'debug' }, stream);
  return { logger, lines };
}

for (const dialect of DIALECTS) {
  describe(`engine [${dialect}]`, () => {
    let store: Store & { dispose(): Promise<void> };
    let clock: ManualClock;
    const engines: Engine[] = [];

    beforeEach(async () => {
      store = await openTestStore(dialect);
      clock = new ManualClock();
    });
    afterEach(async () => {
      for (const e of engines.splice(0)) await e.stop();
      await store.dispose();
    });

    function engine(flows: Flow[], options: { logger?: Logger } = {}) {
      const e = new Engine({
        store,
        flows,
        clock,
        random: () => 0.5,
        logger: options.logger ?? pino({ level: 'silent' }),
      });
      engines.push(e);
      return e;
    }

    it('runs steps in order, checkpoints each result and hands each step a deterministic idempotency key', async () => {
      const calls: string[] = [];
      const flow = defineFlow<{ amount: number }>({
        name: 'two-steps',
        triggers: ['order.placed'],
        async run(ctx, input) {
          const a = await ctx.step('reserve', (s) => {
            calls.push(s.idempotencyKey);
            return { reserved: input.amount };
          });
          const b = await ctx.step('charge', (s) => {
            calls.push(s.idempotencyKey);
            return { charged: a.reserved * 2 };
          });
          return b;
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('order.placed', { amount: 21 }, { entitykey: 'cust-1' }));
      await e.runUntilIdle();
      const [run] = await store.runs.list(store.db, { flow: 'two-steps' });
      expect(run?.status).toBe('completed');
      expect(run?.output).toEqual({ charged: 42 });
      const steps = await store.steps.listForRun(store.db, run!.id);
      expect(steps.map((s) => [s.name, s.result, s.attempts])).toEqual([
        ['reserve', { reserved: 21 }, 1],
        ['charge', { charged: 42 }, 1],
      ]);
      expect(calls).toEqual([`${run!.id}-reserve`, `${run!.id}-charge`]);
    });

    it('retries a retryable failure with backoff, replaying finished steps instead of re-running them', async () => {
      let firstCalls = 0;
      let flaky = 0;
      const flow = defineFlow({
        name: 'flaky',
        triggers: ['x.happened'],
        retry: { maxAttempts: 5, initialDelayMs: 1000 },
        async run(ctx) {
          await ctx.step('first', () => ++firstCalls);
          return ctx.step('second', () => {
            flaky += 1;
            if (flaky < 3) throw new RetryableError(`attempt ${flaky} failed`);
            return 'ok';
          });
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('x.happened', {}, { entitykey: 'k' }));
      await e.runUntilIdle();
      let [run] = await store.runs.list(store.db, { flow: 'flaky' });
      expect(run?.status).toBe('queued');
      expect(run?.attempt).toBe(1);
      // equal jitter with random 0.5: 1000/2 + 1000/2*0.5 = 750 ms
      expect(run!.availableAt - clock.now()).toBe(750);
      clock.advance(749);
      await e.runUntilIdle();
      expect(flaky).toBe(1);
      clock.advance(1);
      await e.runUntilIdle();
      clock.advance(10_000);
      await e.runUntilIdle();
      [run] = await store.runs.list(store.db, { flow: 'flaky' });
      expect(run?.status).toBe('completed');
      expect(firstCalls).toBe(1);
      const attempts = await store.steps.listFailedAttempts(store.db, run!.id);
      expect(attempts.map((a) => [a.stepName, a.attempt, a.error.code])).toEqual([
        ['second', 1, 'transient'],
        ['second', 2, 'transient'],
      ]);
    });

    it("honours a rate limit's retryAfterMs without using up attempts", async () => {
      let calls = 0;
      const flow = defineFlow({
        name: 'limited',
        triggers: ['x.limited'],
        retry: { maxAttempts: 1 },
        async run(ctx) {
          return ctx.step('call', () => {
            calls += 1;
            if (calls < 3) throw new RateLimitedError('slow down', { retryAfterMs: 7000 });
            return calls;
          });
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('x.limited', {}, { entitykey: 'k' }));
      await e.runUntilIdle();
      let [run] = await store.runs.list(store.db, { flow: 'limited' });
      expect(run?.status).toBe('queued');
      expect(run!.availableAt - clock.now()).toBeGreaterThanOrEqual(7000);
      clock.advance(8000);
      await e.runUntilIdle();
      clock.advance(8000);
      await e.runUntilIdle();
      [run] = await store.runs.list(store.db, { flow: 'limited' });
      expect(run?.status).toBe('completed');
      expect(run?.output).toBe(3);
    });

    it("writes a local step's checkpoint with the next checkpoint or the outcome, not on a commit of its own", async () => {
      let lookups = 0;
      let flaky = 0;
      const seenByCall: string[][] = [];
      const flow = defineFlow({
        name: 'local-steps',
        triggers: ['x.local'],
        retry: { maxAttempts: 5, initialDelayMs: 1000 },
        async run(ctx) {
          const found = await ctx.step('look-up', () => ({ n: ++lookups }), { local: true });
          const called = await ctx.step('call', async () => {
            const stored = await store.steps.listForRun(store.db, ctx.runId);
            seenByCall.push(stored.map((st) => st.name));
            return found.n * 10;
          });
          await ctx.step('look-again', () => called + 1, { local: true });
          return ctx.step('flaky', () => {
            flaky += 1;
            if (flaky < 2) throw new RetryableError('not yet');
            return 'ok';
          });
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('x.local', {}, { entitykey: 'k-local' }));
      await e.runUntilIdle();
      // 'call' ran before anything was checkpointed: the local step waited for its commit.
      expect(seenByCall).toEqual([[]]);
      let [run] = await store.runs.list(store.db, { flow: 'local-steps' });
      expect(run?.status).toBe('queued');
      // The retry's transaction wrote the local step that came after 'call'.
      let steps = await store.steps.listForRun(store.db, run!.id);
      expect(steps.map((st) => [st.name, st.result])).toEqual([
        ['look-up', { n: 1 }],
        ['call', 10],
        ['look-again', 11],
      ]);
      clock.advance(10_000);
      await e.runUntilIdle();
      [run] = await store.runs.list(store.db, { flow: 'local-steps' });
      expect(run?.status).toBe('completed');
      // Replayed from their checkpoints, not run again.
      expect([lookups, seenByCall.length]).toEqual([1, 1]);
      steps = await store.steps.listForRun(store.db, run!.id);
      expect(steps.map((st) => st.name)).toEqual(['look-up', 'call', 'look-again', 'flaky']);
    });

    it("writes a run's last local step in the transaction that completes it", async () => {
      let lookups = 0;
      const flow = defineFlow({
        name: 'local-last',
        triggers: ['x.local-last'],
        async run(ctx) {
          return ctx.step('look-up', () => ++lookups, { local: true });
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('x.local-last', {}, { entitykey: 'k-local-last' }));
      await e.runUntilIdle();
      const [run] = await store.runs.list(store.db, { flow: 'local-last' });
      expect([run?.status, run?.output]).toEqual(['completed', 1]);
      // The completion's transaction wrote it.
      const steps = await store.steps.listForRun(store.db, run!.id);
      expect(steps.map((st) => [st.name, st.result])).toEqual([['look-up', 1]]);
    });

    it('parks a non-retryable failure in the exception queue with class, message, attempts and input', async () => {
      const flow = defineFlow({
        name: 'invalid',
        triggers: ['x.invalid'],
        async run(ctx) {
          await ctx.step('post', () => {
            throw new ValidationError('tax code missing');
          });
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('x.invalid', { invoice: 'in_1' }, { entitykey: 'k' }));
      await e.runUntilIdle();
      const [exc] = await e.exceptions.list({ status: 'open' });
      expect(exc).toMatchObject({
        kind: 'run',
        flow: 'invalid',
        stepName: 'post',
        errorCode: 'validation_failed',
        errorName: 'ValidationError',
        message: 'tax code missing',
        attempts: 1,
        lastInput: { invoice: 'in_1' },
      });
      const [run] = await store.runs.list(store.db, { flow: 'invalid' });
      expect(run?.status).toBe('parked');
    });

    it('parks a run whose retries are exhausted instead of looping', async () => {
      const flow = defineFlow({
        name: 'always-fails',
        triggers: ['x.fail'],
        retry: { maxAttempts: 3, initialDelayMs: 10 },
        async run(ctx) {
          await ctx.step('s', () => {
            throw new Error('socket hang up');
          });
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('x.fail', {}, { entitykey: 'k' }));
      for (let i = 0; i < 5; i++) {
        await e.runUntilIdle();
        clock.advance(1000);
      }
      const [exc] = await e.exceptions.list({ status: 'open' });
      expect(exc).toMatchObject({ attempts: 3, errorCode: 'internal', message: 'socket hang up' });
    });

    it('waits for a signal raised later, or earlier, and parks when the wait times out', async () => {
      const flow = defineFlow<{ invoice: string }>({
        name: 'waits',
        triggers: ['sub.created'],
        async run(ctx, input) {
          const inv = await ctx.waitForSignal<{ data: { total: number } }>(
            `invoice.finalized:${input.invoice}`,
            {
              timeoutMs: 60_000,
            },
          );
          return ctx.step('post', () => inv.data.total);
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('sub.created', { invoice: 'in_1' }, { entitykey: 'c1' }));
      await e.runUntilIdle();
      let runs = await store.runs.list(store.db, { flow: 'waits' });
      expect(runs[0]?.status).toBe('waiting');
      await e.inbox.append(
        event('invoice.finalized', { total: 990 }, { subject: 'in_1', entitykey: 'c1' }),
      );
      await e.runUntilIdle();
      runs = await store.runs.list(store.db, { flow: 'waits' });
      expect(runs[0]).toMatchObject({ status: 'completed', output: 990 });

      // signal first, wait second
      await e.signal('invoice.finalized:in_2', { data: { total: 5 } });
      await e.inbox.append(event('sub.created', { invoice: 'in_2' }, { entitykey: 'c2' }));
      await e.runUntilIdle();
      runs = await store.runs.list(store.db, { entityKey: 'c2' });
      expect(runs[0]).toMatchObject({ status: 'completed', output: 5 });

      // nobody signals in_3
      await e.inbox.append(event('sub.created', { invoice: 'in_3' }, { entitykey: 'c3' }));
      await e.runUntilIdle();
      clock.advance(60_001);
      await e.runUntilIdle();
      runs = await store.runs.list(store.db, { entityKey: 'c3' });
      expect(runs[0]?.status).toBe('parked');
      expect(runs[0]?.error?.code).toBe('wait_timed_out');
    });

    it('keeps a durable timer across executions', async () => {
      const flow = defineFlow({
        name: 'sleeper',
        triggers: ['x.sleep'],
        async run(ctx) {
          await ctx.sleep('cool-off', 5000);
          return 'woke';
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('x.sleep', {}, { entitykey: 'k' }));
      await e.runUntilIdle();
      expect((await store.runs.list(store.db, { flow: 'sleeper' }))[0]?.status).toBe('queued');
      clock.advance(4999);
      await e.runUntilIdle();
      expect((await store.runs.list(store.db, { flow: 'sleeper' }))[0]?.status).toBe('queued');
      clock.advance(1);
      await e.runUntilIdle();
      expect((await store.runs.list(store.db, { flow: 'sleeper' }))[0]).toMatchObject({
        status: 'completed',
        output: 'woke',
      });
    });

    it('runs one entity key in order, holding later runs behind a parked one until it is skipped', async () => {
      const seen: number[] = [];
      const flow = defineFlow<{ n: number }>({
        name: 'ordered',
        triggers: ['x.ordered'],
        async run(ctx, input) {
          await ctx.step('apply', () => {
            if (input.n === 2) throw new ValidationError('n=2 is bad');
            seen.push(input.n);
          });
        },
      });
      const e = engine([flow]);
      for (const i of [1, 2, 3, 4])
        await e.inbox.append(event('x.ordered', { n: i }, { entitykey: 'same' }));
      await e.inbox.append(event('x.ordered', { n: 100 }, { entitykey: 'other' }));
      await e.runUntilIdle();
      expect(seen).toEqual([1, 100]);
      const [exc] = await e.exceptions.list({ status: 'open' });
      await expect(
        e.exceptions.skip(exc!.id, { actor: 'ops@example.com', reason: '' }),
      ).rejects.toThrow('reason');
      await e.exceptions.skip(exc!.id, { actor: 'ops@example.com', reason: 'duplicate of n=1' });
      await e.runUntilIdle();
      expect(seen).toEqual([1, 100, 3, 4]);
      const audit = await store.audit.list(store.db, { targetId: exc!.id });
      expect(audit[0]).toMatchObject({ actor: 'ops@example.com', action: 'exception.skip' });
    });

    it('retries and edits-and-resubmits parked runs, recording who changed what', async () => {
      const keys: string[] = [];
      const flow = defineFlow<{ taxCode?: string }>({
        name: 'post-invoice',
        triggers: ['invoice.ready'],
        async run(ctx, input) {
          await ctx.step('prepare', () => 'prepared');
          return ctx.step('post', (s) => {
            keys.push(s.idempotencyKey);
            if (!input.taxCode) throw new ValidationError('taxCode is required');
            return input.taxCode;
          });
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('invoice.ready', { amount: 5 }, { entitykey: 'c' }));
      await e.runUntilIdle();
      let [exc] = await e.exceptions.list({ status: 'open' });
      await e.exceptions.retry(exc!.id, { actor: 'ops' });
      await e.runUntilIdle();
      [exc] = await e.exceptions.list({ status: 'open' });
      expect(exc).toBeDefined();
      await e.exceptions.resubmit(exc!.id, {
        actor: 'ana@example.com',
        input: { amount: 5, taxCode: 'VAT20' },
      });
      await e.runUntilIdle();
      const [run] = await store.runs.list(store.db, { flow: 'post-invoice' });
      expect(run).toMatchObject({ status: 'completed', output: 'VAT20', inputRevision: 1 });
      expect(keys).toEqual([`${run!.id}-post`, `${run!.id}-post`, `${run!.id}-post-r1`]);
      const audit = await store.audit.list(store.db, { targetId: exc!.id });
      expect(audit[0]).toMatchObject({
        actor: 'ana@example.com',
        action: 'exception.resubmit',
        details: { changes: [{ path: '$.taxCode', before: null, after: 'VAT20' }] },
      });
      expect(await e.exceptions.list({ status: 'open' })).toEqual([]);
    });

    it('replays one run, and every run of an entity key in order', async () => {
      const applied: string[] = [];
      const flow = defineFlow<{ n: number }>({
        name: 'replayable',
        triggers: ['x.replay'],
        async run(ctx, input) {
          await ctx.step('apply', () => applied.push(`${ctx.entityKey}:${input.n}`));
        },
      });
      const e = engine([flow]);
      for (const i of [1, 2])
        await e.inbox.append(event('x.replay', { n: i }, { entitykey: 'cust' }));
      await e.runUntilIdle();
      const [latest] = await store.runs.list(store.db, { entityKey: 'cust' });
      const one = await e.exceptions.replayRun(latest!.id, { actor: 'ops' });
      expect(one.replayOf).toBe(latest!.id);
      await e.runUntilIdle();
      const all = await e.exceptions.replayEntity('cust', { actor: 'ops' });
      expect(all).toHaveLength(3);
      await e.runUntilIdle();
      expect(applied).toEqual(['cust:1', 'cust:2', 'cust:2', 'cust:1', 'cust:2', 'cust:2']);
    });

    it('moves a poison event to the exception queue instead of crashing, and routes it after an edit', async () => {
      const flow = defineFlow<{ customer: string }>({
        name: 'needs-customer',
        triggers: ['x.poison'],
        entityKey: (ev) => (ev.data as { customer?: string }).customer ?? '',
        async run(ctx, input) {
          return ctx.step('s', () => input.customer);
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('x.poison', { nothing: true }));
      await e.inbox.append(event('x.poison', { customer: 'c-ok' }));
      await e.runUntilIdle();
      const [exc] = await e.exceptions.list({ status: 'open' });
      expect(exc).toMatchObject({
        kind: 'event',
        errorCode: 'invalid_event',
        flow: 'needs-customer',
      });
      expect(
        (await store.runs.list(store.db, { flow: 'needs-customer' })).map((r) => r.status),
      ).toEqual(['completed']);
      await e.exceptions.resubmit(exc!.id, { actor: 'ops', input: { customer: 'c-fixed' } });
      await e.runUntilIdle();
      const runs = await store.runs.list(store.db, { flow: 'needs-customer' });
      expect(runs.map((r) => [r.entityKey, r.status])).toContainEqual(['c-fixed', 'completed']);
      expect(await e.exceptions.list({ status: 'open' })).toEqual([]);
    });

    it('starts runs only for events that pass the flow filter', async () => {
      const flow = defineFlow<{ reason: string }>({
        name: 'renewals-only',
        triggers: ['invoice.finalized'],
        filter: (ev) => (ev.data as { reason?: string }).reason === 'subscription_cycle',
        async run(ctx, input) {
          return ctx.step('s', () => input.reason);
        },
      });
      const e = engine([flow]);
      await e.inbox.append(event('invoice.finalized', { reason: 'manual' }, { entitykey: 'k' }));
      await e.inbox.append(
        event('invoice.finalized', { reason: 'subscription_cycle' }, { entitykey: 'k' }),
      );
      await e.runUntilIdle();
      expect(
        (await store.runs.list(store.db, { flow: 'renewals-only' })).map((r) => r.output),
      ).toEqual(['subscription_cycle']);
      expect(await store.inbox.countByStatus(store.db)).toEqual({ routed: 2 });
    });

    it('carries correlation and causation ids from the event into runs, steps and logs', async () => {
      const { logger, lines } = captureLogs();
      let seen: { correlationId: string; causationId: string; traceparent: string } | undefined;
      const flow = defineFlow({
        name: 'traced',
        triggers: ['x.traced'],
        async run(ctx) {
          await ctx.step('call', (s) => {
            seen = {
              correlationId: s.correlationId,
              causationId: s.causationId,
              traceparent: s.traceparent,
            };
            s.log.info('calling out');
          });
        },
      });
      const e = engine([flow], { logger });
      const appended = await e.inbox.append(
        event('x.traced', {}, { entitykey: 'k', correlationid: 'corr-123' }),
      );
      await e.runUntilIdle();
      const [run] = await store.runs.list(store.db, { flow: 'traced' });
      // Runs are caused by the canonical event normalised from the vendor event.
      const canonicalId = stableId('evt', `${appended.eventId}:0`);
      expect(run).toMatchObject({ correlationId: 'corr-123', causationId: canonicalId });
      expect(seen).toMatchObject({ correlationId: 'corr-123', causationId: run!.id });
      expect(seen!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const line = lines.find((l) => l.msg === 'calling out');
      expect(line).toMatchObject({
        correlationId: 'corr-123',
        causationId: canonicalId,
        runId: run!.id,
        step: 'call',
      });
    });

    it('executes in the background with start/stop', async () => {
      const flow = defineFlow({
        name: 'bg',
        triggers: ['x.bg'],
        async run(ctx) {
          return ctx.step('s', () => 'done');
        },
      });
      const e = new Engine({
        store,
        flows: [flow],
        logger: pino({ level: 'silent' }),
        pollIntervalMs: 20,
      });
      engines.push(e);
      await e.start();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          e.inbox.append(event('x.bg', {}, { entitykey: `k${i % 3}` })),
        ),
      );
      for (let i = 0; i < 500; i++) {
        const counts = await store.runs.countByStatus(store.db);
        if (counts.completed === 20) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await store.runs.countByStatus(store.db)).toEqual({ completed: 20 });
    });
  });
}
