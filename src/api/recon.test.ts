import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import {
  bookInvoice,
  createReconLedger,
  LEDGER_SYSTEMS,
  type ReconLedger,
} from '../../test/support/recon-ledger.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { ReconRunner } from '../app/recon-runs.ts';
import { csvField } from './routes/recon-routes.ts';

/** Splits RFC 4180 CSV into rows of fields (quoted fields may hold commas, quotes, newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

for (const dialect of DIALECTS) {
  describe(`reconciliation runs through the API [${dialect}]`, () => {
    let h: ApiHarness;
    let ledger: ReconLedger;

    beforeEach(async () => {
      ledger = createReconLedger();
      const box: { runner?: ReconRunner } = {};
      h = await startApiHarness(dialect, {
        deps: {
          recon: {
            async start(request) {
              const { runs, done } = await box.runner!.begin({
                trigger: 'api',
                actor: request.actor,
                periods: [request.period],
                ...(request.subsidiary !== undefined && { subsidiary: request.subsidiary }),
              });
              done.catch(() => undefined);
              return runs;
            },
          },
        },
      });
      box.runner = new ReconRunner({
        store: h.store,
        systems: LEDGER_SYSTEMS,
        clock: h.clock,
        reconcile: ledger.reconcile,
      });
    });
    afterEach(async () => h.close());

    async function finished(id: string) {
      for (let i = 0; i < 200; i++) {
        const res = await h.call('viewer', 'GET', `/v1/recon/runs/${id}`);
        expect(res.statusCode, res.body).toBe(200);
        if (res.json().run.status !== 'running') return res.json();
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`run ${id} did not finish`);
    }

    it('starts a run for a period (operator), lists it, and answers it with its discrepancies', async () => {
      bookInvoice(ledger, 'in_ok', 10_000);
      bookInvoice(ledger, 'in_missing', 2_500, { erp: false });
      bookInvoice(ledger, 'in_edited', 7_000, { erpAmount: 7_150 });
      ledger.delayMs = 400;

      expect(
        (await h.call('viewer', 'POST', '/v1/recon/runs', { period: '2026-11' })).statusCode,
      ).toBe(403);
      const bad = await h.call('operator', 'POST', '/v1/recon/runs', { period: '2026-13' });
      expect(bad.statusCode).toBe(400);

      const started = await h.call('operator', 'POST', '/v1/recon/runs', { period: '2026-11' });
      expect(started.statusCode, started.body).toBe(202);
      const run = started.json();
      expect(run).toMatchObject({
        period: '2026-11',
        status: 'running',
        trigger: 'api',
        actor: 'operator-key',
      });
      const again = await h.call('operator', 'POST', '/v1/recon/runs', { period: '2026-11' });
      expect(again.statusCode, 'one reconciliation at a time').toBe(409);
      expect(again.json().error.code).toBe('conflict');

      const detail = await finished(run.id);
      expect(detail.run).toMatchObject({
        id: run.id,
        status: 'discrepancies',
        discrepancyCount: 2,
        matchedCount: 2,
        summary: expect.objectContaining({ missing_in_erp: 1, amount_mismatch: 1 }),
      });
      expect(detail.run.finishedAt).toBe(new Date(h.clock.now()).toISOString());
      expect(detail.discrepancies).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            class: 'amount_mismatch',
            billingId: 'in_edited',
            erpId: 'ns_in_edited',
            billingAmount: 7_000,
            erpAmount: 7_150,
            currency: 'USD',
            match: { rule: 'external_id', tolerance: 0 },
          }),
          expect.objectContaining({
            class: 'missing_in_erp',
            billingId: 'in_missing',
            erpId: null,
          }),
        ]),
      );
      expect(detail.inFlight).toEqual([]);

      const list = (await h.call('viewer', 'GET', '/v1/recon/runs?period=2026-11')).json();
      expect(list.runs.map((r: { id: string }) => r.id)).toEqual([run.id]);
      expect(list.latestPerPeriod.map((r: { id: string }) => r.id)).toEqual([run.id]);
      expect((await h.call('viewer', 'GET', '/v1/recon/runs?period=2026-10')).json().runs).toEqual(
        [],
      );
      expect((await h.call('viewer', 'GET', '/v1/recon/runs/rcn_nope')).statusCode).toBe(404);

      const audit = await h.store.audit.list(h.store.db, {
        targetType: 'recon_run',
        targetId: run.id,
      });
      expect(audit.map((a) => [a.action, a.actor])).toEqual([['recon.run', 'operator-key']]);
    });

    it('exports the discrepancies as CSV: a header row, minor units and currency, escaped fields', async () => {
      // Billing ids a vendor would never issue, to prove the escaping: a comma, quotes, a newline, a formula.
      bookInvoice(ledger, 'in_a,b', 1_999, { erp: false });
      bookInvoice(ledger, 'in_"q"', 500, { erp: false });
      bookInvoice(ledger, 'in_line\nbreak', 250, { erpAmount: 275 });
      bookInvoice(ledger, '=HYPERLINK("x")', 100, { erp: false });
      const run = (
        await h.call('operator', 'POST', '/v1/recon/runs', { period: '2026-11' })
      ).json();
      await finished(run.id);

      const res = await h.call('viewer', 'GET', `/v1/recon/runs/${run.id}/discrepancies.csv`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="recon-2026-11-${run.id}-discrepancies.csv"`,
      );
      const rows = parseCsv(res.body);
      const [header, ...data] = rows;
      expect(header).toEqual([
        'period',
        'class',
        'billing_id',
        'erp_id',
        'crm_id',
        'subsidiary',
        'currency',
        'billing_amount_minor',
        'erp_amount_minor',
        'difference_minor',
        'match_rule',
        'tolerance_minor',
        'correlation_id',
        'run_ids',
        'recon_run_id',
        'message',
      ]);
      expect(data).toHaveLength(4);
      expect(data.every((r) => r.length === header!.length)).toBe(true);
      const byId = new Map(data.map((r) => [r[2], r]));
      expect(byId.get('in_a,b')!.slice(0, 10)).toEqual([
        '2026-11',
        'missing_in_erp',
        'in_a,b',
        '',
        '',
        '',
        'USD',
        '1999',
        '',
        '',
      ]);
      expect(byId.has('in_"q"')).toBe(true);
      expect(byId.get('in_line\nbreak')!.slice(1, 12)).toEqual([
        'amount_mismatch',
        'in_line\nbreak',
        'ns_in_line\nbreak',
        '',
        'SUB-1',
        'USD',
        '250',
        '275',
        '25',
        'external_id',
        '0',
      ]);
      // A formula is defused: it stays text in a spreadsheet.
      expect(byId.has(`'=HYPERLINK("x")`)).toBe(true);
      expect(data.every((r) => r[14] === run.id)).toBe(true);

      expect(csvField(-25)).toBe('-25');
      expect(csvField('-1+1')).toBe(`'-1+1`);
      expect(csvField('a"b')).toBe('"a""b"');
      expect(csvField(null)).toBe('');

      expect(
        (await h.call(null, 'GET', `/v1/recon/runs/${run.id}/discrepancies.csv`)).statusCode,
      ).toBe(401);
      expect(
        (await h.call('viewer', 'GET', '/v1/recon/runs/rcn_nope/discrepancies.csv')).statusCode,
      ).toBe(404);
    });

    it('stores a failed read as a failed run', async () => {
      ledger.failNext = new Error('ERP unreachable');
      const run = (
        await h.call('operator', 'POST', '/v1/recon/runs', { period: '2026-11' })
      ).json();
      const detail = await finished(run.id);
      expect(detail.run).toMatchObject({ status: 'failed', error: { message: 'ERP unreachable' } });
    });
  });
}

describe('reconciliation API without a runner [sqlite]', () => {
  it('answers 503 to POST and still reads what is stored', async () => {
    const h = await startApiHarness('sqlite');
    try {
      const res = await h.call('operator', 'POST', '/v1/recon/runs', { period: '2026-11' });
      expect(res.statusCode).toBe(503);
      expect((await h.call('viewer', 'GET', '/v1/recon/runs')).json()).toEqual({
        runs: [],
        nextBefore: null,
        latestPerPeriod: [],
      });
    } finally {
      await h.close();
    }
  });
});
