import { afterEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import { bookInvoice, createReconLedger, LEDGER_SYSTEMS } from '../../test/support/recon-ledger.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { ReconRunner } from '../app/recon-runs.ts';

/** The value of one series in a Prometheus exposition, e.g. `name{a="b"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const dialect of DIALECTS) {
  describe(`reconciliation gauges [${dialect}]`, () => {
    let h: ApiHarness;
    afterEach(async () => h.close());

    it('exports the latest stored run of each period per class and subsidiary, and when it finished', async () => {
      h = await startApiHarness(dialect, { processMetrics: false });
      const scrape = async () => (await h.call('viewer', 'GET', '/metrics')).body;
      expect(sample(await scrape(), 'revsync_recon_last_run_timestamp_seconds')).toBe(0);

      const ledger = createReconLedger();
      const runner = new ReconRunner({
        store: h.store,
        systems: LEDGER_SYSTEMS,
        clock: h.clock,
        reconcile: ledger.reconcile,
      });
      bookInvoice(ledger, 'in_1', 1_000, { erpAmount: 1_001, subsidiary: 'SUB-2' });
      bookInvoice(ledger, 'in_2', 2_000, { erp: false });
      bookInvoice(ledger, 'in_3', 3_000, { period: '2026-12' });
      await runner.run({ trigger: 'cli', actor: 'cli:test' });

      let text = await scrape();
      const series = (cls: string, period: string, subsidiary: string) =>
        sample(
          text,
          `revsync_recon_discrepancies{class="${cls}",period="${period}",subsidiary="${subsidiary}"}`,
        );
      expect(series('amount_mismatch', '2026-11', 'SUB-2')).toBe(1);
      // The billing side does not know the subsidiary of a document missing in the ERP.
      expect(series('missing_in_erp', '2026-11', '')).toBe(1);
      expect(series('amount_mismatch', '2026-11', '')).toBe(0);
      expect(series('missing_in_erp', '2026-12', '')).toBe(0);
      expect(sample(text, 'revsync_recon_last_run_timestamp_seconds')).toBe(h.clock.now() / 1000);

      // Repaired: the latest run of 2026-11 is clean, and its series say so.
      bookInvoice({ billing: [], erp: ledger.erp }, 'in_2', 2_000);
      ledger.erp.find((d) => d.externalId === 'in_1')!.amount = 1_000;
      h.clock.advance(60_000);
      await runner.run({ trigger: 'schedule', actor: 'schedule', periods: ['2026-11'] });
      text = await scrape();
      expect(series('amount_mismatch', '2026-11', 'SUB-2')).toBeUndefined();
      expect(series('missing_in_erp', '2026-11', '')).toBe(0);
      expect(sample(text, 'revsync_recon_last_run_timestamp_seconds')).toBe(h.clock.now() / 1000);
    });
  });
}
