import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ManualClock } from '../engine/clock.ts';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import {
  bookInvoice,
  createReconLedger,
  LEDGER_SYSTEMS,
  type ReconLedger,
} from '../../test/support/recon-ledger.ts';
import type { Store } from '../store/store.ts';
import { lastPeriods, ReconRunner } from './recon-runs.ts';

for (const dialect of DIALECTS) {
  describe(`stored reconciliation runs [${dialect}]`, () => {
    let store: Store & { dispose(): Promise<void> };
    let ledger: ReconLedger;
    let runner: ReconRunner;
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 10));

    beforeAll(async () => {
      store = await openTestStore(dialect);
    });
    afterAll(async () => store.dispose());
    beforeEach(() => {
      ledger = createReconLedger();
      runner = new ReconRunner({
        store,
        systems: LEDGER_SYSTEMS,
        clock,
        logger: pino({ level: 'silent' }),
        reconcile: ledger.reconcile,
      });
    });

    it('stores each period of a run: status, counts per class, discrepancies with amounts and matches with their rule', async () => {
      bookInvoice(ledger, 'in_ok', 10_000);
      bookInvoice(ledger, 'in_missing', 2_500, { erp: false });
      bookInvoice(ledger, 'in_edited', 7_000, { erpAmount: 7_100 });
      bookInvoice(ledger, 'in_dec', 4_000, { period: '2026-12' });
      const { runs, reports } = await runner.run({ trigger: 'cli', actor: 'cli:test' });
      expect(reports.map((r) => r.period)).toEqual(['2026-11', '2026-12']);
      expect(runs.map((r) => [r.period, r.status, r.discrepancyCount, r.matchedCount])).toEqual([
        ['2026-11', 'discrepancies', 2, 2],
        ['2026-12', 'clean', 0, 1],
      ]);
      const [nov, dec] = runs;
      expect(nov!.batchId).toBe(dec!.batchId);
      const stored = await store.reconRuns.get(store.db, nov!.id);
      expect(stored).toMatchObject({
        trigger: 'cli',
        actor: 'cli:test',
        subsidiary: null,
        startedAt: clock.now(),
        finishedAt: clock.now(),
        error: null,
      });
      expect(stored!.summary).toMatchObject({
        missing_in_erp: 1,
        amount_mismatch: 1,
        tax_mismatch: 0,
      });
      expect(stored!.matches).toEqual({ external_id: 2, cross_reference: 0, fallback: 0 });

      const items = await store.reconRuns.items(store.db, nov!.id);
      const discrepancies = items.filter((i) => i.kind === 'discrepancy');
      expect(
        discrepancies.map((d) => [
          d.class,
          d.billingId,
          d.erpId,
          d.billingAmount,
          d.erpAmount,
          d.currency,
        ]),
      ).toEqual(
        expect.arrayContaining([
          ['missing_in_erp', 'in_missing', null, 2_500, null, 'USD'],
          ['amount_mismatch', 'in_edited', 'ns_in_edited', 7_000, 7_100, 'USD'],
        ]),
      );
      expect(discrepancies.find((d) => d.class === 'amount_mismatch')).toMatchObject({
        rule: 'external_id',
        tolerance: { amount: 0 },
      });
      const matches = items.filter((i) => i.kind === 'match');
      expect(matches.map((m) => [m.billingId, m.erpId, m.rule, m.tolerance]).sort()).toEqual([
        ['in_edited', 'ns_in_edited', 'external_id', { amount: 0, tax: 0 }],
        ['in_ok', 'ns_in_ok', 'external_id', { amount: 0, tax: 0 }],
      ]);
      expect(await store.reconRuns.items(store.db, nov!.id, { kind: 'match' })).toHaveLength(2);
    });

    it('answers the latest finished run of each period, newest period first', async () => {
      bookInvoice(ledger, 'in_a', 1_000, { erp: false });
      clock.advance(60_000);
      const first = await runner.run({ trigger: 'api', actor: 'op', periods: ['2026-11'] });
      // Someone posts the missing invoice: the next run is clean.
      bookInvoice({ billing: [], erp: ledger.erp }, 'in_a', 1_000);
      clock.advance(60_000);
      const second = await runner.run({
        trigger: 'schedule',
        actor: 'schedule',
        periods: ['2026-11'],
      });
      expect(first.runs[0]!.status).toBe('discrepancies');
      expect(second.runs[0]!.status).toBe('clean');
      const latest = await store.reconRuns.latestPerPeriod(store.db);
      const nov = latest.find((r) => r.period === '2026-11');
      expect(nov?.id).toBe(second.runs[0]!.id);
      expect(latest.map((r) => r.period)).toEqual(
        [...latest.map((r) => r.period)].sort().reverse(),
      );
      expect(
        (await store.reconRuns.list(store.db, { period: '2026-11', limit: 2 })).map((r) => r.id),
      ).toEqual([second.runs[0]!.id, first.runs[0]!.id]);
      expect((await store.reconRuns.list(store.db, { trigger: 'api' })).map((r) => r.id)).toContain(
        first.runs[0]!.id,
      );
    });

    it('records runs as running at once, refuses an overlapping run, and marks a failed read failed', async () => {
      bookInvoice(ledger, 'in_b', 500);
      ledger.delayMs = 100;
      const { runs, done } = await runner.begin({
        trigger: 'api',
        actor: 'op',
        periods: ['2026-10', '2026-11'],
      });
      expect(runs.map((r) => r.status)).toEqual(['running', 'running']);
      expect(runner.running).toEqual(runs.map((r) => r.id));
      await expect(
        runner.begin({ trigger: 'api', actor: 'op2', periods: ['2026-11'] }),
      ).rejects.toMatchObject({
        code: 'conflict',
      });
      await done;
      expect(runner.running).toEqual([]);
      expect((await store.reconRuns.get(store.db, runs[1]!.id))?.status).toBe('clean');

      ledger.failNext = new Error('NetSuite said no');
      const failing = await runner.begin({ trigger: 'api', actor: 'op', periods: ['2026-11'] });
      await expect(failing.done).rejects.toThrow('NetSuite said no');
      const failed = await store.reconRuns.get(store.db, failing.runs[0]!.id);
      expect(failed).toMatchObject({ status: 'failed', error: { message: 'NetSuite said no' } });
      expect(await store.reconRuns.items(store.db, failed!.id)).toEqual([]);
      expect(ledger.reading.max).toBe(1);
    });

    it('marks runs a stopped process left running as failed (interrupted)', async () => {
      await store.reconRuns.start(store.db, {
        id: 'rcn_left_behind',
        batchId: 'rcb_left',
        period: '2026-09',
        subsidiary: null,
        currency: null,
        trigger: 'schedule',
        actor: 'schedule',
        startedAt: clock.now() - 1,
      });
      expect(await store.reconRuns.failInterrupted(store.db, clock.now(), clock.now())).toBe(1);
      expect(await store.reconRuns.get(store.db, 'rcn_left_behind')).toMatchObject({
        status: 'failed',
        error: { code: 'interrupted' },
      });
      // A finished run cannot be finished again.
      expect(
        await store.reconRuns.fail(store.db, 'rcn_left_behind', clock.now(), {
          code: 'x',
          message: 'y',
        }),
      ).toBe(false);
    });
  });
}

describe('lastPeriods', () => {
  it('counts back from the current month across a year end', () => {
    expect(lastPeriods(Date.UTC(2027, 0, 15), 3)).toEqual(['2026-11', '2026-12', '2027-01']);
    expect(lastPeriods(Date.UTC(2026, 11, 31, 23, 59), 1)).toEqual(['2026-12']);
  });
});
