/**
 * The CRM side of reconciliation: after a clean run every subscription's status and MRR agree
 * with what the CRM shows; then the CRM is edited directly in the emulator (through the
 * Salesforce API, bypassing revsync) and the reconciliation reports exactly those edits.
 */
import { describe, expect, it } from 'vitest';
import { runReconciliation } from '../../src/app/reconciliation.ts';
import type { Discrepancy } from '../../src/recon/index.ts';
import { createAccount, winDeal } from '../../src/sim/actions.ts';
import { useFlowEnvironment } from '../support/flow-env.ts';

describe('reconciliation of billing against the CRM', () => {
  const t = useFlowEnvironment({ seed: 23 });

  async function reconcile(withCrm = true) {
    const { runtime } = t.env;
    const reports = await runReconciliation({
      billing: runtime.connectors.billing.port,
      erp: runtime.connectors.erp.port,
      ...(withCrm && { crm: runtime.connectors.crm.port }),
      store: runtime.store,
    });
    return reports.flatMap((r) => r.discrepancies);
  }
  const brief = (d: Discrepancy) => `${d.class} ${d.billingId ?? '-'} ${d.crmId ?? '-'}`;

  it('finds status and MRR in agreement, then reports the CRM edited behind revsync', async () => {
    const { env, rng } = t;
    for (const i of [0, 1, 2]) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      await winDeal(env.world, rng, sim);
    }
    await t.settle();
    expect((await reconcile()).map(brief)).toEqual([]);

    const subs = await t.stripe.subscriptions.list({ limit: 10 });
    const linked = subs.data.filter((s) => s.metadata['revsync_crm_opportunity_id']);
    expect(linked.length, 'three subscriptions linked to their deals').toBe(3);
    const [a, b] = linked.map((s) => ({
      sub: s.id,
      opp: s.metadata['revsync_crm_opportunity_id']!,
    }));

    // Sales edits deal A's status and deal B's MRR by hand.
    const opps = t.salesforce.sobject('Opportunity');
    await opps.update({ Id: a!.opp, Subscription_Status__c: 'canceled' });
    const before = (await opps.retrieve(b!.opp)) as { MRR__c: number };
    await opps.update({ Id: b!.opp, MRR__c: before.MRR__c + 10 });

    const found = (await reconcile()).map(brief).sort();
    expect(found).toEqual(
      [`crm_status_mismatch ${a!.sub} ${a!.opp}`, `mrr_mismatch ${b!.sub} ${b!.opp}`].sort(),
    );
    const mrr = (await reconcile()).find((d) => d.class === 'mrr_mismatch')!;
    expect(mrr.erpAmount! - mrr.billingAmount!, 'the CRM shows 10.00 more (minor units)').toBe(
      1000,
    );

    // Without the CRM in the deps, it is not compared at all.
    expect((await reconcile(false)).map(brief)).toEqual([]);
  }, 240_000);
});
