/**
 * The classes repair-emulators.test.ts does not inject, each corrupted directly in the NetSuite
 * emulator (its REST API, bypassing revsync) after a clean run: an invoice deleted
 * (`missing_in_erp`, with the payment that went with it), a refund's credit memo deleted
 * (`refund_missing_in_erp`), tax moved out of a line (`tax_mismatch`) and an invoice's date
 * moved a month back (`period_mismatch`) and an invoice's currency rewritten by hand
 * (`currency_mismatch`, through the emulator's admin route: its REST routes, like NetSuite's,
 * refuse a currency that is neither the customer's nor the subsidiary's).
 * Reconciliation reports exactly those; repair starts ordinary runs for the missing documents and
 * queues the others for a person. The next reconciliation shows the deleted invoice posted again
 * (the repair run checks the ERP instead of trusting revsync's cross-reference to it), its payment
 * applied and the refund's credit memo made again; only the classes queued for a person remain.
 */
import { describe, expect, it } from 'vitest';
import { repairDiscrepancies } from '../../src/app/recon-repair.ts';
import { createAccount, refundLatest, winDeal, billingOf } from '../../src/sim/actions.ts';
import { useFlowEnvironment } from '../support/flow-env.ts';
import {
  brief,
  netsuiteDocs as docsOf,
  NS_RECORDS as R,
  paymentsApplyingTo,
  reconcileEnvironment,
  rewriteCurrency,
} from '../support/netsuite-records.ts';

describe('recon classes injected in the emulators', () => {
  const t = useFlowEnvironment({ seed: 43 });

  const reconcile = () => reconcileEnvironment(t);
  const docs = (type: 'CustInvc' | 'CustCred', record: 'invoice' | 'creditmemo') =>
    docsOf(t, type, record);
  const paymentsOf = (invoiceId: string) => paymentsApplyingTo(t, invoiceId);
  const ok = (r: { status: number; body: unknown }, what: string) =>
    expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(204);

  it('reports exactly the injected classes; repair starts runs for the missing ones and queues the rest', async () => {
    const { env, rng } = t;
    const sims = [];
    for (const i of [0, 1, 2, 3, 4]) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      await winDeal(env.world, rng, sim);
      sims.push(sim);
    }
    await t.settle();
    const refunded = await billingOf(env.world, sims[4]!);
    expect(refunded, `the fifth deal was billed: ${JSON.stringify(sims[4])}`).toBeDefined();
    expect(await refundLatest(env.world, rng, refunded!.billingCustomerId)).toBe(true);
    await t.settle();
    expect((await reconcile()).discrepancies.map(brief), 'clean after the run').toEqual([]);

    const invoices = (await docs('CustInvc', 'invoice')).filter((i) =>
      i.externalId.startsWith('in_'),
    );
    const [a, b, c, d] = invoices;
    expect(d, 'four posted invoices besides the refunded one').toBeDefined();
    const memos = await docs('CustCred', 'creditmemo');
    expect(memos, 'one credit memo for the refund').toHaveLength(1);

    // A: deleted in the ERP with its payment (NetSuite refuses an invoice with payments applied).
    for (const p of await paymentsOf(a!.id))
      ok(await t.netsuite.delete(`${R}/customerpayment/${p}`), 'delete payment');
    ok(await t.netsuite.delete(`${R}/invoice/eid:${a!.externalId}`), 'delete invoice');
    // The refund's credit memo is deleted.
    ok(await t.netsuite.delete(`${R}/creditmemo/eid:${memos[0]!.externalId}`), 'delete memo');
    // B: 1.00 of a line moved into tax (the total is unchanged).
    const line = b!.item.items.findIndex((l) => l.quantity === 1);
    expect(line, 'a one-unit line').toBeGreaterThanOrEqual(0);
    ok(
      await t.netsuite.patch(`${R}/invoice/eid:${b!.externalId}?replace=item`, {
        taxTotal: (b!.taxTotal ?? 0) + 1,
        item: {
          items: b!.item.items.map((l, i) => ({
            item: { id: l.item.id },
            quantity: l.quantity,
            rate: i === line ? l.rate - 1 : l.rate,
          })),
        },
      }),
      'move tax',
    );
    // C: its currency changed by hand (amounts kept): USD becomes CAD, anything else USD.
    const usd = '1';
    const to = c!.currency.id === usd ? 'CAD' : 'USD';
    const rewritten = await rewriteCurrency(t, 'invoice', c!.externalId, to);
    expect(rewritten.status, JSON.stringify(rewritten.body)).toBe(200);
    // D: dated a month earlier.
    const earlier = new Date(`${d!.tranDate}T00:00:00Z`);
    earlier.setUTCMonth(earlier.getUTCMonth() - 1);
    ok(
      await t.netsuite.patch(`${R}/invoice/eid:${d!.externalId}`, {
        tranDate: earlier.toISOString().slice(0, 10),
      }),
      'period',
    );

    const before = await reconcile();
    const payOf = (invoiceId: string) =>
      [...before.billingDocuments.values()].find(
        (x) => x.kind === 'payment' && x.invoiceId === invoiceId,
      )!;
    const refund = [...before.billingDocuments.values()].find((x) => x.kind === 'refund')!;
    expect(before.discrepancies.map(brief).sort()).toEqual(
      [
        `missing_in_erp ${a!.externalId}`,
        `payment_missing_in_erp ${payOf(a!.externalId).id}`,
        `refund_missing_in_erp ${refund.id}`,
        `tax_mismatch ${b!.externalId}`,
        `currency_mismatch ${c!.externalId}`,
        `period_mismatch ${d!.externalId}`,
      ].sort(),
    );

    const { runtime } = env;
    const repairs = await repairDiscrepancies(
      {
        store: runtime.store,
        inbox: runtime.engine.inbox,
        billing: runtime.connectors.billing.port,
        clock: runtime.clock,
      },
      before.discrepancies,
      before.billingDocuments,
      { actor: 'controller@example.com' },
    );
    const outcome = (cls: string) => repairs.filter((r) => r.class === cls).map((r) => r.outcome);
    for (const cls of ['missing_in_erp', 'payment_missing_in_erp', 'refund_missing_in_erp'])
      expect(outcome(cls), cls).toEqual(['run_started']);
    for (const cls of ['tax_mismatch', 'currency_mismatch', 'period_mismatch'])
      expect(outcome(cls), cls).toEqual(['queued']);
    await t.settle();

    const after = await reconcile();
    expect(after.inFlight).toEqual([]);
    // The deleted invoice is posted again with its payment applied, the refund's credit memo is
    // created again; tax, currency and period wait for a person.
    expect(after.discrepancies.map(brief).sort()).toEqual(
      [
        `tax_mismatch ${b!.externalId}`,
        `currency_mismatch ${c!.externalId}`,
        `period_mismatch ${d!.externalId}`,
      ].sort(),
    );
    // Posted again under the same external id as a new ERP document, exactly once, and revsync's
    // cross-reference moved from the deleted document to it.
    const reposted = (await docs('CustInvc', 'invoice')).filter(
      (i) => i.externalId === a!.externalId,
    );
    expect(reposted, 'one ERP invoice for the deleted one').toHaveLength(1);
    expect(reposted[0]!.id).not.toBe(a!.id);
    const canonical = await runtime.store.xrefs.findCanonical(
      runtime.store.db,
      runtime.connectors.billing.system,
      'invoice',
      a!.externalId,
    );
    expect(canonical, 'the billing invoice is cross-referenced').toBeDefined();
    expect(
      await runtime.store.xrefs.findExternal(
        runtime.store.db,
        canonical!,
        runtime.connectors.erp.system,
        'invoice',
      ),
    ).toBe(reposted[0]!.id);
    expect(await paymentsOf(reposted[0]!.id), 'its payment applied once').toHaveLength(1);

    // Asking again starts no second run and posts nothing twice.
    const again = await repairDiscrepancies(
      {
        store: runtime.store,
        inbox: runtime.engine.inbox,
        billing: runtime.connectors.billing.port,
        clock: runtime.clock,
      },
      before.discrepancies,
      before.billingDocuments,
      { actor: 'controller@example.com' },
    );
    for (const cls of ['missing_in_erp', 'payment_missing_in_erp', 'refund_missing_in_erp'])
      expect(
        again.filter((r) => r.class === cls).map((r) => r.outcome),
        cls,
      ).toEqual(['run_already_started']);
    await t.settle();
    expect(
      (await docs('CustInvc', 'invoice')).filter((i) => i.externalId === a!.externalId),
    ).toHaveLength(1);
    expect((await reconcile()).discrepancies.map(brief).sort()).toEqual(
      [
        `tax_mismatch ${b!.externalId}`,
        `currency_mismatch ${c!.externalId}`,
        `period_mismatch ${d!.externalId}`,
      ].sort(),
    );
  }, 300_000);
});
