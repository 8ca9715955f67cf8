/**
 * A controller closes the period in the ERP: revsync never back-dates a posting into it. The run
 * parks with the reason and a proposed fix; once the period is reopened a retry posts it and
 * the books reconcile.
 */
import { describe, expect, it } from 'vitest';
import { runReconciliation } from '../../src/app/reconciliation.ts';
import { amend, billingOf, createAccount, winDeal } from '../../src/sim/actions.ts';
import { useFlowEnvironment } from '../support/flow-env.ts';

describe('a closed accounting period in the ERP', () => {
  const t = useFlowEnvironment({ seed: 31 });

  it('parks a posting dated in it with the reason, and posts it after the period reopens', async () => {
    const { env, rng } = t;
    const sim = await createAccount(env.world, rng, 0);
    sim.interval = 'month';
    await winDeal(env.world, rng, sim);
    await t.settle();
    const posted = await t.netsuite.suiteql<{ trandate: string }>(
      "SELECT TO_CHAR(trandate, 'YYYY-MM-DD') AS trandate FROM transaction WHERE type = 'CustInvc'",
    );
    const period = posted.body.items[0]!.trandate.slice(0, 7);

    // The controller locks A/R through this month.
    const lock = await t.netsuite.post('/_emulator/periods', { arLockedThrough: period });
    expect(lock.status).toBe(200);
    const periods = await t.netsuite.suiteql<{ periodname: string; arlocked: string }>(
      `SELECT periodname, arlocked FROM accountingperiod WHERE TO_CHAR(startdate, 'YYYY-MM') = '${period}'`,
    );
    expect(periods.body.items[0]?.arlocked).toBe('T');

    // A mid-cycle upgrade now bills a proration invoice dated in the locked period.
    const billed = (await billingOf(env.world, sim))!;
    await amend(env.world, rng, billed);
    await t.settle();
    const store = env.runtime.store;
    const open = await store.exceptions.list(store.db, { status: 'open', limit: 100 });
    const parked = open.filter((e) => e.message.includes('reports closed'));
    expect(parked, JSON.stringify(open.map((e) => e.message))).toHaveLength(1);
    expect(parked[0]!.message).toContain(`accounting period ${period}`);
    expect(parked[0]!.message).toMatch(/next open period \(\d{4}-\d{2}\)/);
    const inErp = await t.netsuite.suiteql<{ n: number }>(
      "SELECT COUNT(*) AS n FROM transaction WHERE type IN ('CustInvc', 'CustCred')",
    );
    expect(Number(inErp.body.items[0]!.n), 'nothing back-dated into the closed period').toBe(1);

    // Reopened, a retry posts it and the books agree.
    await t.netsuite.post('/_emulator/periods', { arLockedThrough: null });
    await env.runtime.engine.exceptions.retry(parked[0]!.id, { actor: 'controller' });
    await t.settle();
    const reports = await runReconciliation({
      billing: env.runtime.connectors.billing.port,
      erp: env.runtime.connectors.erp.port,
      store,
    });
    expect(reports.flatMap((r) => r.discrepancies).map((d) => d.message)).toEqual([]);
    expect(reports.flatMap((r) => r.inFlight)).toEqual([]);
  }, 240_000);
});
