import { beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/gateway/outbound-gateway.ts';
import { createAccount, winDeal, type SimCustomer } from '../../src/sim/actions.ts';
import { DEFAULT_CRM_WRITE_TTL_MS } from '../../src/app/crm-write-ledger.ts';
import { cents, useFlowEnvironment } from '../support/flow-env.ts';

/** Salesforce calls of the change feed (polling and its re-reads), not of any flow. */
const FEED = /^(cdc\.read|account\.read|opportunity\.read|[a-z]+\.poll)$/;

describe('CRM billing write-backs through the write-back ledger (Salesforce → Stripe → NetSuite emulators)', () => {
  const t = useFlowEnvironment();
  const sim: { customer?: SimCustomer; subscriptionId?: string } = {};

  /** The outside calls revsync makes while `act` runs and revsync settles. */
  async function callsDuring(act: () => Promise<unknown>): Promise<CallRecord[]> {
    const calls: CallRecord[] = [];
    const stop = t.env.gateway.onCall((r) => calls.push(r));
    try {
      await act();
      await t.settle();
    } finally {
      stop();
    }
    return calls;
  }
  const salesforceFlowCalls = (calls: CallRecord[]) =>
    calls
      .filter((c) => c.system === 'salesforce' && !FEED.test(c.operation))
      .map((c) => c.operation);

  /** Completed subscription-status runs, with the canonical event type that started each. */
  async function subscriptionStatusRuns() {
    const { store } = t.env.runtime;
    const runs = await store.runs.list(store.db, { flow: 'subscription-status', limit: 1_000 });
    const out = [];
    for (const run of runs) {
      const event = await store.db
        .selectFrom('canonical_events')
        .select('type')
        .where('event_id', '=', run.triggerEventId!)
        .executeTakeFirst();
      const steps = await store.steps.listForRun(store.db, run.id);
      out.push({ run, type: event?.type, steps });
    }
    return out;
  }

  async function opportunity(): Promise<Record<string, unknown>> {
    return (await t.salesforce
      .sobject('Opportunity')
      .retrieve(sim.customer!.opportunityId!)) as Record<string, unknown>;
  }

  beforeAll(async () => {
    const customer = await createAccount(t.env.world, t.rng, 0);
    customer.interval = 'month';
    await winDeal(t.env.world, t.rng, customer);
    await t.settle();
    sim.customer = customer;
    sim.subscriptionId = String((await opportunity()).Subscription_Id__c);
  }, 180_000);

  it('skips the created event of a subscription revsync created: no step reaches outside', async () => {
    const opp = await opportunity();
    expect(opp.Subscription_Status__c).toBe('active');
    const created = (await subscriptionStatusRuns()).filter(
      (r) => r.type === 'billing.subscription.created',
    );
    expect(created).toHaveLength(1);
    const [{ run, steps }] = created as [(typeof created)[number]];
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ skipped: expect.stringContaining('created by revsync') });
    // Its only step looked in revsync's cross-references; no read of the subscription, no write.
    expect(steps.map((s) => s.name)).toEqual(['created-by-revsync']);
  });

  it('a repeated identical write-back makes no Salesforce call at all', async () => {
    const before = new Set((await subscriptionStatusRuns()).map((r) => r.run.id));
    // A change the CRM does not show: the subscription is re-read, its values are unchanged.
    const calls = await callsDuring(() =>
      t.stripe.subscriptions.update(sim.subscriptionId!, { metadata: { note: 'unchanged' } }),
    );
    const fresh = (await subscriptionStatusRuns()).filter((r) => !before.has(r.run.id));
    expect(fresh.map((r) => [r.type, r.run.status])).toEqual([
      ['billing.subscription.updated', 'completed'],
    ]);
    expect(fresh[0]!.steps.map((s) => [s.name, s.result])).toContainEqual([
      'crm-opportunity',
      'unchanged',
    ]);
    expect(calls.filter((c) => c.system === 'stripe').map((c) => c.operation)).toContain(
      'stripe.subscriptions.retrieve',
    );
    expect(salesforceFlowCalls(calls)).toEqual([]);
  });

  it('a changed value is written, in one PATCH without a read first', async () => {
    const sub = await t.stripe.subscriptions.retrieve(sim.subscriptionId!);
    const item = sub.items.data[0]!;
    const calls = await callsDuring(() =>
      t.stripe.subscriptions.update(sim.subscriptionId!, {
        items: [{ id: item.id, quantity: item.quantity! + 1 }],
        proration_behavior: 'none',
      }),
    );
    const after = await t.stripe.subscriptions.retrieve(sim.subscriptionId!);
    const mrr = after.items.data.reduce(
      (a, i) => a + (i.price.unit_amount ?? 0) * (i.quantity ?? 0),
      0,
    );
    expect(cents((await opportunity()).MRR__c)).toBe(mrr);
    const billing = salesforceFlowCalls(calls).filter((op) => op.startsWith('opportunity.billing'));
    expect(billing).toEqual(['opportunity.billing.update']);
  });

  it('after the TTL an identical write-back is made again', async () => {
    const { store } = t.env.runtime;
    const repeat = (note: string) => () =>
      t.stripe.subscriptions.update(sim.subscriptionId!, { metadata: { note } });
    // Within the TTL: nothing.
    expect(salesforceFlowCalls(await callsDuring(repeat('again')))).toEqual([]);
    // The ledger's entries for the opportunity written longer ago than the TTL.
    await store.db
      .updateTable('crm_writebacks')
      .set({ written_at: Date.now() - DEFAULT_CRM_WRITE_TTL_MS - 1_000 })
      .where('object_id', '=', sim.customer!.opportunityId!)
      .execute();
    const calls = await callsDuring(repeat('after the TTL'));
    const billing = salesforceFlowCalls(calls).filter((op) => op.startsWith('opportunity.billing'));
    expect(billing).toEqual(['opportunity.billing.update']);
    // Recorded again: the next identical one is skipped.
    expect(salesforceFlowCalls(await callsDuring(repeat('once more')))).toEqual([]);
  });
});
