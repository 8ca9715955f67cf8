/**
 * Repair against the emulators: after a clean run the ERP is corrupted directly in the emulator
 * (NetSuite's REST API, bypassing revsync); reconciliation reports exactly what was injected;
 * repair starts ordinary engine runs for the safe fixes and queues the rest for a person; a
 * second reconciliation is clean except what was queued.
 */
import { describe, expect, it } from 'vitest';
import { repairDiscrepancies } from '../../src/app/recon-repair.ts';
import { createAccount, winDeal } from '../../src/sim/actions.ts';
import { useFlowEnvironment } from '../support/flow-env.ts';
import {
  brief,
  netsuiteDocs,
  NS_RECORDS as R,
  paymentsApplyingTo,
  reconcileEnvironment,
  type NsDoc,
} from '../support/netsuite-records.ts';

describe('recon repair against the emulators', () => {
  const t = useFlowEnvironment({ seed: 41 });

  const reconcile = () => reconcileEnvironment(t);
  const invoices = () => netsuiteDocs(t, 'CustInvc', 'invoice');
  async function paymentOf(invoiceId: string): Promise<string> {
    const [payment] = await paymentsApplyingTo(t, invoiceId);
    if (payment === undefined) throw new Error(`no payment applied to invoice ${invoiceId}`);
    return payment;
  }

  it('reports the injected differences, repairs the safe ones and queues the rest', async () => {
    const { env, rng } = t;
    for (const i of [0, 1, 2, 3, 4]) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      await winDeal(env.world, rng, sim);
    }
    await t.settle();
    expect((await reconcile()).discrepancies.map(brief), 'clean after the run').toEqual([]);

    const [a, b, c, d, e] = (await invoices()).filter((i) => i.externalId.startsWith('in_'));
    expect(e, 'five posted invoices').toBeDefined();
    const copyLines = (inv: NsDoc, bump = 0) => ({
      items: inv.item.items.map((l, i) => ({
        item: { id: l.item.id },
        quantity: l.quantity,
        rate: i === 0 ? l.rate + bump : l.rate,
      })),
    });

    // A: its customer payment is deleted in the ERP (the invoice reopens).
    const payA = await paymentOf(a!.id);
    expect((await t.netsuite.delete(`${R}/customerpayment/${payA}`)).status).toBe(204);
    // B: its payment is un-applied (kept, applied to nothing).
    const payB = await paymentOf(b!.id);
    const unapplied = await t.netsuite.patch(`${R}/customerpayment/${payB}?replace=apply`, {
      apply: { items: [] },
    });
    expect(unapplied.status, JSON.stringify(unapplied.body)).toBe(204);
    // C: edited by hand (1.00 dearer). D: posted a second time by a legacy script. E's customer
    // gets a manual invoice nothing in billing explains.
    expect(
      (
        await t.netsuite.patch(`${R}/invoice/eid:${c!.externalId}?replace=item`, {
          item: copyLines(c!, 1),
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await t.netsuite.post(`${R}/invoice`, {
          externalId: 'legacy-script-0001',
          entity: { id: d!.entity.id },
          currency: { id: d!.currency.id },
          tranDate: d!.tranDate,
          ...(d!.memo !== undefined && { memo: d!.memo }),
          item: copyLines(d!),
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await t.netsuite.post(`${R}/invoice`, {
          externalId: 'manual-adjustment-0001',
          entity: { id: e!.entity.id },
          currency: { id: e!.currency.id },
          tranDate: e!.tranDate,
          memo: 'manual adjustment',
          item: { items: [{ item: { id: e!.item.items[0]!.item.id }, quantity: 1, rate: 7 }] },
        })
      ).status,
    ).toBe(204);

    const before = await reconcile();
    const paymentOfA = [...before.billingDocuments.values()].find(
      (x) => x.kind === 'payment' && x.invoiceId === a!.externalId,
    )!;
    const paymentOfB = [...before.billingDocuments.values()].find(
      (x) => x.kind === 'payment' && x.invoiceId === b!.externalId,
    )!;
    const manual = before.discrepancies.find((x) => x.class === 'missing_in_billing');
    expect(before.discrepancies.map(brief).sort()).toEqual(
      [
        `payment_missing_in_erp ${paymentOfA.id}`,
        `status_mismatch ${a!.externalId}`,
        `payment_unapplied ${paymentOfB.id}`,
        `status_mismatch ${b!.externalId}`,
        `amount_mismatch ${c!.externalId}`,
        `duplicate_in_erp ${d!.externalId}`,
        `missing_in_billing ${manual?.erpId}`,
      ].sort(),
    );

    const { runtime } = env;
    const deps = {
      store: runtime.store,
      inbox: runtime.engine.inbox,
      billing: runtime.connectors.billing.port,
      clock: runtime.clock,
    };
    const repairs = await repairDiscrepancies(deps, before.discrepancies, before.billingDocuments, {
      actor: 'controller@example.com',
    });
    const outcome = (cls: string) => repairs.filter((r) => r.class === cls).map((r) => r.outcome);
    expect(outcome('payment_missing_in_erp')).toEqual(['run_started']);
    expect(outcome('payment_unapplied')).toEqual(['run_started']);
    expect(outcome('status_mismatch')).toEqual(['run_started', 'run_started']);
    for (const cls of ['amount_mismatch', 'duplicate_in_erp', 'missing_in_billing'])
      expect(outcome(cls), cls).toEqual(['queued']);
    // Asking again starts no second run and opens no second exception.
    const again = await repairDiscrepancies(deps, before.discrepancies, before.billingDocuments, {
      actor: 'controller@example.com',
    });
    expect(new Set(again.map((r) => r.outcome))).toEqual(
      new Set(['run_already_started', 'already_queued']),
    );
    await t.settle();

    const after = await reconcile();
    expect(after.inFlight).toEqual([]);
    expect(after.discrepancies.map(brief).sort()).toEqual(
      [
        `amount_mismatch ${c!.externalId}`,
        `duplicate_in_erp ${d!.externalId}`,
        `missing_in_billing ${manual?.erpId}`,
      ].sort(),
    );
    const queued = (
      await runtime.store.exceptions.list(runtime.store.db, { status: 'open' })
    ).filter((x) => x.kind === 'discrepancy');
    expect(queued.map((x) => x.stepName).sort()).toEqual(
      ['amount_mismatch', 'duplicate_in_erp', 'missing_in_billing'].sort(),
    );
    expect(queued.every((x) => x.message.includes('Proposed:'))).toBe(true);
    await expect(
      runtime.engine.exceptions.retry(queued[0]!.id, { actor: 'controller@example.com' }),
    ).rejects.toThrow(/discrepancy/);
    const audit = await runtime.store.audit.list(runtime.store.db, {
      targetType: 'discrepancy',
      limit: 100,
    });
    expect(audit.filter((x) => x.action === 'recon.repair')).toHaveLength(8);
    expect(audit.filter((x) => x.action === 'recon.queue_for_person')).toHaveLength(3);
  }, 300_000);
});
