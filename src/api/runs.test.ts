import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import { DIALECTS } from '../../test/support/stores.ts';

for (const dialect of DIALECTS) {
  describe(`runs, replay and the metrics summary through the API [${dialect}]`, () => {
    let h: ApiHarness;

    beforeEach(async () => {
      h = await startApiHarness(dialect);
    });
    afterEach(async () => h.close());

    it('filters runs by status, flow, entity key and correlation id, and pages them', async () => {
      await h.send('cus_1', { n: 1 });
      await h.send('cus_1', { n: 2 });
      await h.send('cus_2', { fail: true });
      await h.settle();
      const all = (await h.call('viewer', 'GET', '/v1/runs')).json();
      expect(all.runs.map((r: { entityKey: string }) => r.entityKey)).toEqual([
        'cus_2',
        'cus_1',
        'cus_1',
      ]);
      expect(all.nextBefore).toBeNull();
      expect(all.runs[0]).not.toHaveProperty('input');

      const parked = (await h.call('viewer', 'GET', '/v1/runs?status=parked')).json().runs;
      expect(parked).toHaveLength(1);
      expect(parked[0]).toMatchObject({ status: 'parked', currentStep: 'work' });
      const done = (
        await h.call('viewer', 'GET', '/v1/runs?status=completed,parked&flow=tiny')
      ).json().runs;
      expect(done).toHaveLength(3);
      const ofKey = (await h.call('viewer', 'GET', '/v1/runs?entityKey=cus_1')).json().runs;
      expect(ofKey).toHaveLength(2);
      expect(ofKey[0]).toMatchObject({ status: 'completed', durationMs: 0 });
      expect(ofKey[0].completedAt).toBe(new Date(ofKey[0].completedAtMs).toISOString());
      const byCorrelation = (
        await h.call('viewer', 'GET', `/v1/runs?correlationId=${ofKey[1].correlationId}`)
      ).json().runs;
      expect(byCorrelation.map((r: { id: string }) => r.id)).toEqual([ofKey[1].id]);

      const page1 = (await h.call('viewer', 'GET', '/v1/runs?limit=2')).json();
      expect(page1.runs).toHaveLength(2);
      const page2 = (
        await h.call('viewer', 'GET', `/v1/runs?limit=2&before=${page1.nextBefore}`)
      ).json();
      expect(page2.runs.map((r: { id: string }) => r.id)).toEqual([all.runs[2].id]);

      const bad = await h.call('viewer', 'GET', '/v1/runs?status=finished');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatchObject({ code: 'invalid_request' });
      const badLimit = await h.call('viewer', 'GET', '/v1/runs?limit=0');
      expect(badLimit.statusCode).toBe(400);
      expect(badLimit.json().error.details[0].path).toBe('querystring.limit');
    });

    it('shows a run with its steps, failed attempts, open exception and trigger event', async () => {
      const eventId = await h.send('cus_9', { flaky: true, n: 3 });
      await h.settle();
      h.clock.advance(60_000);
      await h.settle();
      const [run] = (await h.call('viewer', 'GET', '/v1/runs?entityKey=cus_9')).json().runs;
      const detail = (await h.call('viewer', 'GET', `/v1/runs/${run.id}`)).json();
      expect(detail.run).toMatchObject({
        status: 'completed',
        input: { flaky: true, n: 3 },
        output: { done: 3 },
      });
      expect(
        detail.steps.map((s: { name: string; attempts: number }) => [s.name, s.attempts]),
      ).toEqual([
        ['first', 1],
        ['work', 2],
      ]);
      expect(detail.failedAttempts).toEqual([
        expect.objectContaining({
          step: 'work',
          attempt: 1,
          error: expect.objectContaining({ code: 'transient' }),
        }),
      ]);
      expect(detail.exception).toBeNull();
      expect(detail.triggerEvent).toMatchObject({ eventId, type: 'test.tiny', status: 'routed' });
      expect(detail.triggerEvent.envelope.data).toEqual({ flaky: true, n: 3 });

      await h.send('cus_8', { fail: true });
      await h.settle();
      const [parked] = (await h.call('viewer', 'GET', '/v1/runs?entityKey=cus_8')).json().runs;
      const parkedDetail = (await h.call('viewer', 'GET', `/v1/runs/${parked.id}`)).json();
      expect(parkedDetail.exception).toMatchObject({ status: 'open', runId: parked.id });

      const missing = await h.call('viewer', 'GET', '/v1/runs/run_nope');
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: { code: 'not_found', message: 'no run run_nope' } });
    });

    it('replays one run and every finished run of an entity key, audited', async () => {
      await h.send('cus_r', { n: 1 });
      await h.send('cus_r', { n: 2 });
      await h.settle();
      const runs = (await h.call('viewer', 'GET', '/v1/runs?entityKey=cus_r')).json().runs;
      const one = await h.call('operator', 'POST', `/v1/runs/${runs[1].id}/replay`);
      expect(one.statusCode).toBe(202);
      expect(one.json().run).toMatchObject({
        replayOf: runs[1].id,
        status: 'queued',
        entityKey: 'cus_r',
      });
      await h.settle();
      const all = await h.call('operator', 'POST', '/v1/replay', {
        entityKey: 'cus_r',
        flow: 'tiny',
      });
      expect(all.statusCode).toBe(202);
      expect(all.json().runs).toHaveLength(3);
      await h.settle();
      const after = (
        await h.call('viewer', 'GET', '/v1/runs?entityKey=cus_r&status=completed')
      ).json();
      expect(after.runs).toHaveLength(6);
      const audit = (await h.call('viewer', 'GET', '/v1/audit')).json().entries;
      expect(audit.map((a: { action: string; actor: string }) => [a.action, a.actor])).toEqual([
        ['entity.replay', 'operator-key'],
        ['run.replay', 'operator-key'],
      ]);
      expect((await h.call('operator', 'POST', '/v1/runs/run_nope/replay')).statusCode).toBe(404);
    });

    it('summarises throughput, latency, retries and parked runs per bucket, and the queue now', async () => {
      const t0 = h.clock.now();
      await h.send('cus_m1', { n: 1 });
      await h.send('cus_m2', { flaky: true });
      await h.settle();
      h.clock.advance(60_000);
      await h.settle(); // the flaky run completes one minute after it was created
      await h.send('cus_m3', { fail: true });
      await h.settle();

      const res = await h.call('viewer', 'GET', '/v1/metrics/summary?window=5m&bucket=1m');
      expect(res.statusCode).toBe(200);
      const summary = res.json();
      expect(summary).toMatchObject({ window: '5m', bucket: '1m' });
      expect(summary.buckets).toHaveLength(5);
      expect(summary.toMs).toBe(t0 + 120_000);
      expect(summary.totals).toMatchObject({
        completed: 2,
        retries: 1,
        failedAttempts: 2,
        parked: 1,
        poisoned: 0,
        p50Ms: 0,
        p95Ms: 60_000,
      });
      const firstMinute = summary.buckets.find((b: { startMs: number }) => b.startMs === t0);
      expect(firstMinute).toMatchObject({ completed: 1, retries: 1, parked: 0, p50Ms: 0 });
      const secondMinute = summary.buckets.find(
        (b: { startMs: number }) => b.startMs === t0 + 60_000,
      );
      expect(secondMinute).toMatchObject({ completed: 1, parked: 1, retries: 0, p95Ms: 60_000 });
      expect(summary.queue).toMatchObject({ parked: 1, completed: 2, queued: 0 });
      expect(summary.openExceptions).toBe(1);
      expect(summary.inbox).toEqual({ received: 0, routed: 3, failed: 0 });

      for (const query of ['window=forever', 'bucket=1s&window=7d', 'window=8d']) {
        const bad = await h.call('viewer', 'GET', `/v1/metrics/summary?${query}`);
        expect(bad.statusCode, query).toBe(400);
        expect(bad.json().error.code).toBe('invalid_request');
      }
    });
  });
}
