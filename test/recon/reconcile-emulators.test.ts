/**
 * Reconciliation against the real systems: after a clean run the books agree; then the ERP is
 * corrupted directly in the emulator (through NetSuite's REST API, bypassing revsync) and the
 * reconciliation reports exactly what was injected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RevsyncConfig } from '../../src/config/define-config.ts';
import { runReconciliation } from '../../src/app/reconciliation.ts';
import { matchedCount, type Discrepancy } from '../../src/recon/index.ts';
import { createAccount, winDeal } from '../../src/sim/actions.ts';
import { revsyncCli, useFlowEnvironment } from '../support/flow-env.ts';

interface NsLine {
  item: { id: string };
  quantity: number;
  rate: number;
  amount: number;
}
interface NsInvoice {
  id: string;
  externalId: string;
  entity: { id: string };
  currency: { id: string };
  subsidiary: { id: string };
  tranDate: string;
  memo?: string;
  total: number;
  item: { items: NsLine[] };
}

describe('reconciliation against the emulators', () => {
  let config: RevsyncConfig | undefined;
  const t = useFlowEnvironment({
    seed: 21,
    configure: (c) => (config = c),
  });
  const dir = mkdtempSync(join(tmpdir(), 'revsync-recon-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `revsync recon run --config … --json` in a child process, on the simulation's systems and store. */
  async function reconCli(): Promise<{
    code: number | null;
    reports: { summary: Record<string, number> }[];
  }> {
    const { code, out, err } = await revsyncCli(t.env, config, dir, ['recon run', '--json']);
    expect(code === 0 || code === 2, `recon run failed (${code}): ${err}${out}`).toBe(true);
    return { code, reports: JSON.parse(out) as { summary: Record<string, number> }[] };
  }

  async function reconcile() {
    const { runtime } = t.env;
    const reports = await runReconciliation({
      billing: runtime.connectors.billing.port,
      erp: runtime.connectors.erp.port,
      store: runtime.store,
    });
    const matched = reports.reduce((n, r) => n + matchedCount(r), 0);
    return {
      reports,
      matched,
      discrepancies: reports.flatMap((r) => r.discrepancies),
      inFlight: reports.flatMap((r) => r.inFlight),
    };
  }

  const brief = (d: Discrepancy) => `${d.class} ${d.billingId ?? '-'} ${d.erpId ?? '-'}`;

  async function invoices(): Promise<NsInvoice[]> {
    const rows = await t.netsuite.suiteql<{ externalid: string }>(
      "SELECT externalid FROM transaction WHERE type = 'CustInvc' ORDER BY id",
    );
    const out: NsInvoice[] = [];
    for (const row of rows.body.items) {
      const res = await t.netsuite.get<NsInvoice>(
        `/services/rest/record/v1/invoice/eid:${row.externalid}?expandSubResources=true`,
      );
      out.push(res.body);
    }
    return out;
  }

  it('finds the books in agreement after a clean run', async () => {
    const { env, rng } = t;
    for (const i of [0, 1, 2]) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      await winDeal(env.world, rng, sim);
    }
    await t.settle();
    const result = await reconcile();
    expect(result.discrepancies.map(brief)).toEqual([]);
    expect(result.inFlight).toEqual([]);
    // Three invoices and their three payments at least, each paired by external id.
    expect(result.matched).toBeGreaterThanOrEqual(6);
    for (const r of result.reports) expect(r.matches.fallback ?? 0).toBe(0);

    const cli = await reconCli();
    expect(cli.code, 'revsync recon run exits 0 when the books agree').toBe(0);
    expect(cli.reports.every((r) => Object.values(r.summary).every((n) => n === 0))).toBe(true);
  }, 240_000);

  it('reports exactly the differences injected into the ERP behind revsync', async () => {
    const [a, b, c] = (await invoices()).filter((i) => i.externalId.startsWith('in_'));
    expect(c, 'three posted invoices').toBeDefined();
    const path = '/services/rest/record/v1';
    const copyLines = (inv: NsInvoice, bump = 0) => ({
      items: inv.item.items.map((l, i) => ({
        item: { id: l.item.id },
        quantity: l.quantity,
        rate: i === 0 ? l.rate + bump : l.rate,
      })),
    });

    // 1. Someone edits invoice A by hand: its first line is 1.00 dearer.
    const edited = await t.netsuite.patch(`${path}/invoice/eid:${a!.externalId}?replace=item`, {
      item: copyLines(a!, 1),
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(204);

    // 2. An earlier script posted invoice B a second time under its own external id.
    const copied = await t.netsuite.post(`${path}/invoice`, {
      externalId: 'legacy-script-0001',
      entity: { id: b!.entity.id },
      currency: { id: b!.currency.id },
      tranDate: b!.tranDate,
      ...(b!.memo !== undefined && { memo: b!.memo }),
      item: copyLines(b!),
    });
    expect(copied.status, JSON.stringify(copied.body)).toBe(204);

    // 3. A manual invoice no billing document explains.
    const manual = await t.netsuite.post(`${path}/invoice`, {
      externalId: 'manual-adjustment-0001',
      entity: { id: c!.entity.id },
      currency: { id: c!.currency.id },
      tranDate: c!.tranDate,
      memo: 'manual adjustment',
      item: { items: [{ item: { id: c!.item.items[0]!.item.id }, quantity: 1, rate: 7 }] },
    });
    expect(manual.status, JSON.stringify(manual.body)).toBe(204);

    const result = await reconcile();
    const found = result.discrepancies.map((d) => `${d.class} ${d.billingId ?? d.erpId}`).sort();
    expect(found).toEqual(
      [
        `amount_mismatch ${a!.externalId}`,
        `duplicate_in_erp ${b!.externalId}`,
        `missing_in_billing ${result.discrepancies.find((d) => d.class === 'missing_in_billing')?.erpId}`,
      ].sort(),
    );
    const mismatch = result.discrepancies.find((d) => d.class === 'amount_mismatch')!;
    expect(mismatch.erpAmount! - mismatch.billingAmount!).toBe(100);
    expect(mismatch.runIds?.length, 'lineage names the runs that posted it').toBeGreaterThan(0);
    expect(mismatch.correlationId).toBeDefined();

    const cli = await reconCli();
    expect(cli.code, 'revsync recon run exits 2 on discrepancies').toBe(2);
    const summary: Record<string, number> = {};
    for (const r of cli.reports)
      for (const [k, n] of Object.entries(r.summary)) if (n > 0) summary[k] = (summary[k] ?? 0) + n;
    expect(summary).toEqual({ amount_mismatch: 1, duplicate_in_erp: 1, missing_in_billing: 1 });
  }, 240_000);
});
