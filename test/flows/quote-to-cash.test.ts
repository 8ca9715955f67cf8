import { describe, expect, it } from 'vitest';
import { amend, billingOf, createAccount, winDeal } from '../../src/sim/actions.ts';
import { cents, netsuiteRecord, useFlowEnvironment } from '../support/flow-env.ts';

const DAY = 86_400_000;

describe('quote-to-cash and amendment flows (Salesforce → Stripe → NetSuite emulators)', () => {
  const t = useFlowEnvironment();

  it('turns a closed-won deal into a customer, a subscription, an ERP invoice and CRM status', async () => {
    const { env, rng } = t;
    const sim = await createAccount(env.world, rng, 0);
    sim.interval = 'month';
    await winDeal(env.world, rng, sim);
    await t.settle();

    const opp = (await t.salesforce.sobject('Opportunity').retrieve(sim.opportunityId!)) as Record<
      string,
      unknown
    >;
    const account = (await t.salesforce.sobject('Account').retrieve(sim.accountId)) as Record<
      string,
      unknown
    >;
    expect(opp.Subscription_Status__c).toBe('active');
    expect(account.Revsync_Id__c).toMatch(/^cus_/);
    const sub = await t.stripe.subscriptions.retrieve(String(opp.Subscription_Id__c));
    expect(sub.metadata).toMatchObject({
      revsync_customer_id: account.Revsync_Id__c,
      revsync_crm_opportunity_id: sim.opportunityId,
    });
    const byQuantity = (a: number, b: number) => a - b;
    expect(sub.items.data.map((i) => i.quantity!).sort(byQuantity)).toEqual(
      sim.lines.map((l) => l.quantity).sort(byQuantity),
    );
    const mrr = sub.items.data.reduce(
      (a, i) => a + (i.price.unit_amount ?? 0) * (i.quantity ?? 0),
      0,
    );
    expect(cents(opp.MRR__c)).toBe(mrr);

    const invoice = await t.stripe.invoices.retrieve(String(sub.latest_invoice));
    const erp = await netsuiteRecord(env, 'invoice', invoice.id!);
    expect(erp).toBeDefined();
    expect(cents(erp!.total)).toBe(invoice.total);
    expect((erp!.currency as { refName?: string }).refName ?? erp!.currency).toBeTruthy();
    const expectedSubsidiary = { NA: '1', UK: '2', EU: '3' }[sim.region];
    expect((erp!.subsidiary as { id: string }).id).toBe(expectedSubsidiary);
    const customer = await netsuiteRecord(env, 'customer', String(account.Revsync_Id__c));
    expect(customer?.companyName).toBe(sim.name);

    // Read-your-write: the first invoice came with the create (checkpointed in its step's
    // result) and was posted without being read again.
    const store = env.runtime.store;
    const [run] = await store.runs.list(store.db, { flow: 'quote-to-cash' });
    const steps = await store.steps.listForRun(store.db, run!.id);
    const created = steps.find((s) => s.name === 'create-subscription')?.result as
      { latestInvoice?: { id: string; status: string } } | undefined;
    expect(created?.latestInvoice).toMatchObject({ id: invoice.id, status: 'paid' });
    const names = steps.map((s) => s.name);
    expect(names).toContain('first-invoice:post');
    expect(names).not.toContain('first-invoice:read');
  });

  it('reads the deal, its lines and its account from Salesforce in one call', async () => {
    const { env, rng } = t;
    const sim = await createAccount(env.world, rng, 7);
    sim.interval = 'month';
    await t.settle(); // the account's own sync
    const calls = new Map<string, number>();
    const stop = env.gateway.onCall((r) => {
      if (r.system !== 'salesforce') return;
      calls.set(r.operation, (calls.get(r.operation) ?? 0) + 1);
    });
    try {
      await winDeal(env.world, rng, sim);
      await t.settle();
    } finally {
      stop();
    }
    expect(calls.get('opportunity.get')).toBe(1);
    expect(calls.get('opportunity.lines')).toBeUndefined();
    expect(calls.get('account.get')).toBeUndefined();
    const runs = await env.runtime.store.runs.list(env.runtime.store.db, {
      flow: 'quote-to-cash',
      limit: 10_000,
    });
    const run = runs.find(
      (r) => r.status === 'completed' && JSON.stringify(r).includes(sim.opportunityId!),
    );
    expect(run).toBeDefined();
    const account = (await t.salesforce.sobject('Account').retrieve(sim.accountId)) as Record<
      string,
      unknown
    >;
    expect(account.Revsync_Id__c).toMatch(/^cus_/);
    const customer = await netsuiteRecord(env, 'customer', String(account.Revsync_Id__c));
    expect(customer?.companyName).toBe(sim.name);
  });

  it('posts a mid-cycle upgrade’s proration invoice to NetSuite to the cent (Stripe’s documented method)', async () => {
    const { env, rng } = t;
    const sim = await createAccount(env.world, rng, 1);
    sim.interval = 'month';
    await winDeal(env.world, rng, sim);
    await t.settle();
    const billed = (await billingOf(env.world, sim))!;
    const before = await t.stripe.subscriptions.retrieve(billed.subscriptionId);
    const seatItem = before.items.data.find(
      (i) => i.quantity! > 0 && i.price.unit_amount === before.items.data[0]!.price.unit_amount,
    )!;
    const periodStart = seatItem.current_period_start;
    const periodEnd = seatItem.current_period_end;

    await env.world.billing.advanceClock(10 * DAY + 7_777_000);
    await amend(env.world, rng, billed);
    await t.settle();

    const after = await t.stripe.subscriptions.retrieve(billed.subscriptionId);
    const proration = await t.stripe.invoices.retrieve(String(after.latest_invoice));
    expect(proration.billing_reason).toBe('subscription_update');
    const lines = await t.stripe.invoices.listLineItems(proration.id!, { limit: 100 });
    const changedAt = lines.data[0]!.period.start;
    const remaining = periodEnd - changedAt;
    const period = periodEnd - periodStart;
    expect(remaining).toBeGreaterThan(0);
    // Stripe: credit unused time on the old quantity, charge remaining time on the new, each
    // rounded to the minor unit (halves away from zero), by seconds.
    const round = (x: number) => Math.sign(x) * Math.round(Math.abs(x));
    let expectedTotal = 0;
    for (const item of before.items.data) {
      const newQuantity = after.items.data.find((i) => i.id === item.id)!.quantity!;
      if (newQuantity === item.quantity) continue;
      const unit = item.price.unit_amount!;
      const credit = round((-unit * item.quantity! * remaining) / period);
      const charge = round((unit * newQuantity * remaining) / period);
      expect(lines.data.map((l) => l.amount)).toEqual(expect.arrayContaining([credit, charge]));
      expectedTotal += credit + charge;
    }
    expect(proration.total).toBe(expectedTotal);

    const kind = proration.total < 0 ? 'creditmemo' : 'invoice';
    const erp = await netsuiteRecord(env, kind, proration.id!);
    expect(erp, `NetSuite ${kind} eid:${proration.id}`).toBeDefined();
    expect(cents(erp!.total)).toBe(Math.abs(proration.total));
    const erpLines = (erp!.item as { items: { amount: number }[] }).items.map((l) =>
      cents(l.amount),
    );
    const sign = proration.total < 0 ? -1 : 1;
    expect(erpLines.sort((a, b) => a - b)).toEqual(
      lines.data.map((l) => sign * l.amount).sort((a, b) => a - b),
    );
    const opp = (await t.salesforce.sobject('Opportunity').retrieve(sim.opportunityId!)) as Record<
      string,
      unknown
    >;
    const mrr = after.items.data.reduce(
      (a, i) => a + (i.price.unit_amount ?? 0) * (i.quantity ?? 0),
      0,
    );
    expect(cents(opp.MRR__c)).toBe(mrr);
  });
});
