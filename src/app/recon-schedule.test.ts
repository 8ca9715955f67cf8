import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ManualClock } from '../engine/clock.ts';
import { resolveConfig } from '../config/load-config.ts';
import { openTestStore } from '../../test/support/stores.ts';
import { bookInvoice, createReconLedger, LEDGER_SYSTEMS } from '../../test/support/recon-ledger.ts';
import type { Store } from '../store/store.ts';
import { ReconRunner } from './recon-runs.ts';
import { ReconSchedule, reconIntervalMs } from './recon-schedule.ts';

const until = async (check: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('scheduled reconciliation', () => {
  let store: Store & { dispose(): Promise<void> };
  beforeAll(async () => {
    store = await openTestStore('sqlite');
  });
  afterAll(async () => store.dispose());

  it("periods 'open': the months of the window the ERP does not report locked", async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 9));
    const runner = new ReconRunner({ store, systems: LEDGER_SYSTEMS, clock });
    let locked = ['2026-09', '2026-10'];
    const schedule = new ReconSchedule({
      runner,
      everyMs: 60_000,
      periods: 'open',
      openWindow: 4,
      lockedPeriods: async () => locked,
      clock,
    });
    expect(await schedule.periods()).toEqual(['2026-11', '2026-12']);
    // The controller closes November: the next run no longer covers it.
    locked = [...locked, '2026-11'];
    expect(await schedule.periods()).toEqual(['2026-12']);
    // An ERP that cannot say: every month of the window.
    const unknown = new ReconSchedule({ runner, everyMs: 60_000, periods: 'open', clock });
    expect(await unknown.periods()).toHaveLength(12);
  });

  it('reconciles the last N periods every interval, stores each run, and never overlaps runs', async () => {
    const ledger = createReconLedger();
    bookInvoice(ledger, 'in_1', 1_000, { period: '2026-11' });
    bookInvoice(ledger, 'in_2', 2_000, { period: '2026-12', erp: false });
    // Each read takes longer than the interval: the next run waits for the previous one.
    ledger.delayMs = 60;
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 9));
    const runner = new ReconRunner({
      store,
      systems: LEDGER_SYSTEMS,
      clock,
      reconcile: ledger.reconcile,
      logger: pino({ level: 'silent' }),
    });
    const schedule = new ReconSchedule({ runner, everyMs: 20, periods: 2, clock });
    schedule.start();
    await until(async () => (await store.reconRuns.list(store.db, { limit: 100 })).length >= 6);
    await schedule.stop();
    const runs = await store.reconRuns.list(store.db, { limit: 100 });
    expect(ledger.reading.max, 'two reconciliations never read at once').toBe(1);
    expect(runs.every((r) => r.trigger === 'schedule' && r.actor === 'schedule')).toBe(true);
    expect(runs.every((r) => r.status !== 'running')).toBe(true);
    expect(new Set(runs.map((r) => r.period))).toEqual(new Set(['2026-11', '2026-12']));
    const batches = new Map<string, string[]>();
    for (const r of runs) batches.set(r.batchId, [...(batches.get(r.batchId) ?? []), r.period]);
    for (const periods of batches.values()) expect(periods.sort()).toEqual(['2026-11', '2026-12']);
    const latest = await store.reconRuns.latestPerPeriod(store.db);
    expect(latest.map((r) => [r.period, r.status, r.summary.missing_in_erp])).toEqual([
      ['2026-12', 'discrepancies', 1],
      ['2026-11', 'clean', 0],
    ]);
    // Stopped: nothing more is stored.
    const count = runs.length;
    await new Promise((r) => setTimeout(r, 150));
    expect((await store.reconRuns.list(store.db, { limit: 100 })).length).toBe(count);
  });

  it('skips a tick while another reconciliation (an API one) is running, and follows the clock into a new month', async () => {
    const ledger = createReconLedger();
    ledger.delayMs = 100;
    const clock = new ManualClock(Date.UTC(2027, 0, 31, 23, 59));
    const runner = new ReconRunner({
      store,
      systems: LEDGER_SYSTEMS,
      clock,
      reconcile: ledger.reconcile,
    });
    const schedule = new ReconSchedule({ runner, everyMs: 60_000, periods: 1, clock });
    const api = await runner.begin({ trigger: 'api', actor: 'op', periods: ['2026-06'] });
    expect(await schedule.tick()).toBeUndefined();
    await api.done;
    expect((await schedule.tick())?.runs.map((r) => r.period)).toEqual(['2027-01']);
    clock.advance(2 * 60_000);
    expect((await schedule.tick())?.runs.map((r) => r.period)).toEqual(['2027-02']);
  });

  it('reads recon.every as a duration or seconds, and the configuration refuses a bad one', () => {
    expect(reconIntervalMs('15m')).toBe(900_000);
    expect(reconIntervalMs('1h')).toBe(3_600_000);
    expect(reconIntervalMs(90)).toBe(90_000);
    expect(() => reconIntervalMs('soon')).toThrow(RangeError);
    const base = {
      connections: {},
      regions: { NA: { subsidiary: '1', currency: 'USD' } },
      defaultRegion: 'NA',
      flows: Object.fromEntries(
        [
          'accountSync',
          'quoteToCash',
          'amendment',
          'invoiceToErp',
          'renewal',
          'usage',
          'paymentStatus',
          'subscriptionStatus',
          'cancellation',
          'payoutDeposit',
        ].map((f) => [f, false]),
      ),
    };
    expect(
      resolveConfig({ ...base, recon: { every: '15m', periods: 'open', openWindow: 6 } }, {}).recon,
    ).toEqual({ every: '15m', periods: 'open', openWindow: 6 });
    const ok = resolveConfig({ ...base, recon: { every: '15m', periods: 3 } }, {});
    expect(ok.recon).toEqual({ every: '15m', periods: 3 });
    expect(resolveConfig(base, {}).recon).toBeUndefined();
    expect(() => resolveConfig({ ...base, recon: { every: 'often', periods: 3 } }, {})).toThrow(
      /problem/,
    );
    expect(() => resolveConfig({ ...base, recon: { every: 60, periods: 0 } }, {})).toThrow(
      /problem/,
    );
  });
});
