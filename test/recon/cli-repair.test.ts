/**
 * `revsync recon run --repair` as a real process against the emulators: after a clean run the ERP
 * is corrupted directly in the NetSuite emulator (an invoice deleted with its payment, another
 * invoice's payment deleted, a third invoice deleted and put back by hand under its external id
 * while revsync's link still names the deleted document), the repairing run exits 2 and reports exactly what it found and the
 * runs it started, the engine carries those runs out, and the next `recon run` exits 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RevsyncConfig } from '../../src/config/define-config.ts';
import type { Discrepancy } from '../../src/recon/index.ts';
import { createAccount, winDeal } from '../../src/sim/actions.ts';
import { revsyncCli, useFlowEnvironment } from '../support/flow-env.ts';
import { netsuiteDocs, NS_RECORDS as R, paymentsApplyingTo } from '../support/netsuite-records.ts';

interface ReportJson {
  period: string;
  discrepancies: Pick<Discrepancy, 'class' | 'billingId' | 'erpId'>[];
  inFlight: unknown[];
  summary: Record<string, number>;
}
interface RepairJson {
  outcome: string;
  class: string;
  billingId: string | null;
}

describe('revsync recon run --repair (a real process against the emulators)', () => {
  let config: RevsyncConfig | undefined;
  const t = useFlowEnvironment({ seed: 47, configure: (c) => (config = c) });
  const dir = mkdtempSync(join(tmpdir(), 'revsync-recon-repair-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function recon(...args: string[]) {
    const { code, out, err } = await revsyncCli(t.env, config, dir, [
      'recon run',
      '--json',
      ...args,
    ]);
    expect(
      code === 0 || code === 2,
      `recon run ${args.join(' ')} failed (${code}): ${err}${out}`,
    ).toBe(true);
    return { code, json: JSON.parse(out) as unknown };
  }
  const found = (reports: ReportJson[]) =>
    reports
      .flatMap((r) => r.discrepancies.map((d) => `${d.class} ${d.billingId ?? d.erpId}`))
      .sort();
  const ok = (r: { status: number; body: unknown }, what: string) =>
    expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(204);

  it('exits 2 with what it found and the runs it started, then a second run exits 0', async () => {
    const { env, rng } = t;
    for (const i of [0, 1, 2]) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      await winDeal(env.world, rng, sim);
    }
    await t.settle();
    const clean = await recon();
    expect(found(clean.json as ReportJson[]), 'clean after the run').toEqual([]);
    expect(clean.code).toBe(0);

    const invoices = (await netsuiteDocs(t, 'CustInvc', 'invoice')).filter((i) =>
      i.externalId.startsWith('in_'),
    );
    const [a, b, c] = invoices;
    expect(c, 'three posted invoices').toBeDefined();
    const paymentsOfA = await paymentsApplyingTo(t, a!.id);
    const paymentsOfB = await paymentsApplyingTo(t, b!.id);
    const paymentsOfC = await paymentsApplyingTo(t, c!.id);
    expect(paymentsOfA, 'A is paid').toHaveLength(1);
    expect(paymentsOfB, 'B is paid').toHaveLength(1);
    // The billing payment ids, which NetSuite keeps as the payments' external ids.
    const externalIdOf = async (id: string) =>
      (await t.netsuite.get<{ externalId: string }>(`${R}/customerpayment/${id}`)).body.externalId;
    const payA = await externalIdOf(paymentsOfA[0]!);
    const payB = await externalIdOf(paymentsOfB[0]!);
    const payC = await externalIdOf(paymentsOfC[0]!);
    // A: deleted by hand with its payment; B: only its payment deleted.
    ok(await t.netsuite.delete(`${R}/customerpayment/${paymentsOfA[0]}`), 'delete payment of A');
    ok(await t.netsuite.delete(`${R}/invoice/eid:${a!.externalId}`), 'delete A');
    ok(await t.netsuite.delete(`${R}/customerpayment/${paymentsOfB[0]}`), 'delete payment of B');
    // C: deleted with its payment and put back under the same external id as a new document — what
    // a repair that posted again and crashed before moving revsync's link leaves behind.
    ok(await t.netsuite.delete(`${R}/customerpayment/${paymentsOfC[0]}`), 'delete payment of C');
    ok(await t.netsuite.delete(`${R}/invoice/eid:${c!.externalId}`), 'delete C');
    ok(
      await t.netsuite.put(`${R}/invoice/eid:${c!.externalId}`, {
        entity: { id: c!.entity.id },
        currency: { id: c!.currency.id },
        tranDate: c!.tranDate,
        ...(c!.memo !== undefined && { memo: c!.memo }),
        taxTotal: c!.taxTotal ?? 0,
        item: {
          items: c!.item.items.map((l) => ({
            item: { id: l.item.id },
            quantity: l.quantity,
            rate: l.rate,
          })),
        },
      }),
      'post C again',
    );
    const { runtime } = t.env;
    const erpLinkOf = async (invoiceId: string) => {
      const canonical = await runtime.store.xrefs.findCanonical(
        runtime.store.db,
        runtime.connectors.billing.system,
        'invoice',
        invoiceId,
      );
      return runtime.store.xrefs.findExternal(
        runtime.store.db,
        canonical!,
        runtime.connectors.erp.system,
        'invoice',
      );
    };
    const cAgain = (await netsuiteDocs(t, 'CustInvc', 'invoice')).find(
      (i) => i.externalId === c!.externalId,
    )!;
    expect(cAgain.id, 'C is a new ERP document').not.toBe(c!.id);
    expect(await erpLinkOf(c!.externalId), "revsync's link to C is stale").toBe(c!.id);

    const repairing = await recon('--repair');
    expect(repairing.code, 'discrepancies were found').toBe(2);
    const { reports, repairs } = repairing.json as { reports: ReportJson[]; repairs: RepairJson[] };
    // B, paid in billing, is open in the ERP without its payment: a status_mismatch as well.
    expect(found(reports)).toEqual(
      [
        `missing_in_erp ${a!.externalId}`,
        `payment_missing_in_erp ${payA}`,
        `payment_missing_in_erp ${payB}`,
        `payment_missing_in_erp ${payC}`,
        `status_mismatch ${b!.externalId}`,
        `status_mismatch ${c!.externalId}`,
      ].sort(),
    );
    expect(
      repairs.map((r) => `${r.outcome} ${r.class}`).sort(),
      'one run started per discrepancy',
    ).toEqual([
      'run_started missing_in_erp',
      'run_started payment_missing_in_erp',
      'run_started payment_missing_in_erp',
      'run_started payment_missing_in_erp',
      'run_started status_mismatch',
      'run_started status_mismatch',
    ]);

    await t.settle();
    const after = await recon();
    expect(found(after.json as ReportJson[]), 'clean after the repair runs').toEqual([]);
    expect(after.code).toBe(0);
    // A is in the ERP once more (a new document under the same external id) and paid once.
    const again = (await netsuiteDocs(t, 'CustInvc', 'invoice')).filter(
      (i) => i.externalId === a!.externalId,
    );
    expect(again).toHaveLength(1);
    expect(await paymentsApplyingTo(t, again[0]!.id)).toHaveLength(1);
    expect(await paymentsApplyingTo(t, b!.id)).toHaveLength(1);
    // C was not posted a third time: the repair found it in the ERP and moved the link to it.
    expect(
      (await netsuiteDocs(t, 'CustInvc', 'invoice')).filter((i) => i.externalId === c!.externalId),
    ).toHaveLength(1);
    expect(await paymentsApplyingTo(t, cAgain.id)).toHaveLength(1);
    expect(await erpLinkOf(c!.externalId), 'the link moved to the document in the ERP').toBe(
      cAgain.id,
    );
    expect(await erpLinkOf(a!.externalId), 'and to A posted again').toBe(again[0]!.id);

    // Repairing a clean book starts nothing and exits 0.
    const nothing = await recon('--repair');
    expect(nothing.code).toBe(0);
    expect((nothing.json as { repairs: RepairJson[] }).repairs).toEqual([]);
  }, 300_000);
});
