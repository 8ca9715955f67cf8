/**
 * Payouts to the bank (issue 10 §2): revsync books a Stripe payout as a NetSuite deposit
 * through the payout-deposit flow, and the reconciliation ties the deposit to the payout
 * exactly; after one charge line is removed from the deposit directly in the emulator
 * (NetSuite REST, bypassing revsync) it reports `payout_residual` naming that charge and the
 * residual amount.
 */
import { describe, expect, it } from 'vitest';
import { runReconciliation } from '../../src/app/reconciliation.ts';
import { createAccount, winDeal } from '../../src/sim/actions.ts';
import { useFlowEnvironment } from '../support/flow-env.ts';

interface NsDeposit {
  id: string;
  externalId: string;
  total: number;
  payment: { items: { doc: { id: string }; paymentAmount: number }[] };
  other: { items: { amount: number; refNum?: string }[] };
  cashBack: { items: { account: { id: string }; amount: number }[] };
}

describe('payouts reconciled against deposits', () => {
  // One currency, so the three charges and the refund go out in one payout.
  const t = useFlowEnvironment({ seed: 31, currencies: ['USD'] });

  async function reconcile() {
    const { runtime } = t.env;
    const reports = await runReconciliation({
      billing: runtime.connectors.billing.port,
      erp: runtime.connectors.erp.port,
      store: runtime.store,
    });
    return {
      reports,
      payouts: reports.reduce(
        (n, r) => ({
          checked: n.checked + (r.payouts?.checked ?? 0),
          matched: n.matched + (r.payouts?.matched ?? 0),
        }),
        { checked: 0, matched: 0 },
      ),
      discrepancies: reports.flatMap((r) => r.discrepancies),
      inFlight: reports.flatMap((r) => r.inFlight),
    };
  }

  it('a payout with charges, one refund and fees reconciles to its deposit exactly; without one charge it reports the residual', async () => {
    const { env, rng } = t;
    for (const i of [0, 1, 2]) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      await winDeal(env.world, rng, sim);
    }
    await t.settle();
    const stripe = t.stripe;
    const charges = (await stripe.charges.list({ limit: 100 })).data.filter(
      (c) => c.status === 'succeeded' && c.currency === 'usd',
    );
    expect(charges.length).toBeGreaterThanOrEqual(3);
    const refunded = charges[0]!;
    const refund = await stripe.refunds.create({ charge: refunded.id, amount: 500 });
    await t.settle();

    // The emulator pays everything out: one USD payout, status paid, payout.paid delivered.
    const res = await fetch(`${env.urls.billing}/_emulator/payouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ currency: 'usd' }),
    });
    const { data } = (await res.json()) as { data: { id: string; amount: number }[] };
    expect(data).toHaveLength(1);
    const payout = await stripe.payouts.retrieve(data[0]!.id);
    expect(payout.status).toBe('paid');
    const txns = (await stripe.balanceTransactions.list({ payout: payout.id, limit: 100 })).data;
    const settled = txns.filter((x) => x.type !== 'payout');
    const fees = settled.reduce((s, x) => s + x.fee, 0);
    expect(fees).toBeGreaterThan(0);
    expect(settled.reduce((s, x) => s + x.net, 0)).toBe(payout.amount);
    expect(settled.find((x) => x.type === 'refund')).toMatchObject({ amount: -500, fee: 0 });
    await t.settle();

    // revsync booked the deposit: one payment line per charge, the refund, the fees.
    const deposit = (
      await t.netsuite.get<NsDeposit>(
        `/services/rest/record/v1/deposit/eid:${payout.id}?expandSubResources=true`,
      )
    ).body;
    expect(deposit.total).toBe(payout.amount / 100);
    expect(deposit.payment.items).toHaveLength(settled.filter((x) => x.type === 'charge').length);
    expect(deposit.other.items).toEqual([
      expect.objectContaining({ amount: -5, refNum: refund.id }),
    ]);
    expect(deposit.cashBack.items).toEqual([
      expect.objectContaining({
        account: expect.objectContaining({ id: '9' }),
        amount: fees / 100,
      }),
    ]);

    const clean = await reconcile();
    expect(clean.discrepancies).toEqual([]);
    expect(clean.inFlight).toEqual([]);
    expect(clean.payouts).toEqual({ checked: 1, matched: 1 });

    // Remove one charge's line from the deposit in NetSuite itself (the total drops with it).
    const removed = deposit.payment.items.find((l) => l.paymentAmount * 100 !== refunded.amount)!;
    const patched = await t.netsuite.patch(
      `/services/rest/record/v1/deposit/${deposit.id}?replace=payment`,
      {
        payment: {
          items: deposit.payment.items
            .filter((l) => l !== removed)
            .map((l) => ({ doc: { id: l.doc.id }, deposit: true, paymentAmount: l.paymentAmount })),
        },
      },
    );
    expect(patched.status).toBe(204);
    const removedPayment = (
      await t.netsuite.get<{ externalId: string }>(
        `/services/rest/record/v1/customerpayment/${removed.doc.id}`,
      )
    ).body.externalId;
    const amount = Math.round(removed.paymentAmount * 100);

    const broken = await reconcile();
    expect(broken.discrepancies.map((d) => d.class)).toEqual(['payout_residual']);
    const d = broken.discrepancies[0]!;
    expect(d).toMatchObject({
      billingId: payout.id,
      erpId: deposit.id,
      billingAmount: payout.amount,
      erpAmount: payout.amount - amount,
      currency: 'USD',
      payout: {
        residual: amount,
        missingTransactions: [
          expect.objectContaining({ type: 'charge', amount, sourceId: removedPayment }),
        ],
        unexpectedLines: [],
        feeDifference: 0,
      },
    });
    expect(d.message).toContain(removedPayment);
    expect(d.message).toContain(`${amount} unexplained`);
    expect(d.runIds?.length).toBeGreaterThan(0);
    expect(broken.payouts).toEqual({ checked: 1, matched: 0 });
  });
});
