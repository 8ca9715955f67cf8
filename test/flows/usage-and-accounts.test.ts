import { describe, expect, it } from 'vitest';
import { billingOf, createAccount, reportUsage, winDeal } from '../../src/sim/actions.ts';
import { useFlowEnvironment } from '../support/flow-env.ts';

describe('usage-to-invoice and account-sync flows', () => {
  const t = useFlowEnvironment({ seed: 13 });

  it('holds a usage period back while a source’s data is incomplete, and bills it once complete', async () => {
    const { env, rng } = t;
    const sim = await createAccount(env.world, rng, 0);
    sim.interval = 'month';
    await winDeal(env.world, rng, sim);
    await t.settle();
    const billed = (await billingOf(env.world, sim))!;

    const { deliverLate } = await reportUsage(
      env.runtime.usage,
      rng,
      billed.subscriptionItemId,
      true,
    );
    // Let the flow check and find the period incomplete.
    const store = env.runtime.store;
    for (let i = 0; i < 100; i++) {
      const [run] = await store.runs.list(store.db, { flow: 'usage-to-invoice' });
      if (
        run &&
        (await store.steps.listForRun(store.db, run.id)).some(
          (s) => s.name === 'check-completeness-1',
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [held] = await store.runs.list(store.db, { flow: 'usage-to-invoice' });
    const check = (await store.steps.listForRun(store.db, held!.id)).find(
      (s) => s.name === 'check-completeness-1',
    );
    // The flow starts on meter-a's close; on a busy machine its first check may run before
    // meter-b has closed the period too. Either way the period is held for meter-b.
    expect(check?.result).toMatchObject({
      complete: false,
      problems: [
        expect.stringMatching(/^source meter-b(: \d+ of \d+ records| has not closed the period)/),
      ],
    });
    expect(
      (await t.stripe.invoiceItems.list({ customer: billed.billingCustomerId, pending: true }))
        .data,
    ).toHaveLength(0);

    await deliverLate!();
    await t.settle();
    const [done] = await store.runs.list(store.db, { flow: 'usage-to-invoice' });
    expect(done).toMatchObject({ status: 'completed', output: { reported: true } });
    const items = await t.stripe.invoiceItems.list({
      customer: billed.billingCustomerId,
      pending: true,
    });
    expect(items.data).toHaveLength(1);
    expect(items.data[0]!.quantity).toBe((done!.output as { quantity: number }).quantity);
  });

  it('catches a duplicate account by the match rules: queued as a conflict, no second customer anywhere', async () => {
    const { env, rng } = t;
    const original = await createAccount(env.world, rng, 1);
    await winDeal(env.world, rng, original);
    await t.settle();
    const duplicate = await createAccount(env.world, rng, 2, original);
    expect(duplicate.name).not.toBe(original.name);
    await winDeal(env.world, rng, duplicate);
    await t.settle();

    const store = env.runtime.store;
    const conflicts = await store.conflicts.list(store.db, { status: 'open' });
    expect(conflicts.map((c) => [c.kind, c.values.crmAccount])).toContainEqual([
      'duplicate',
      duplicate.accountId,
    ]);
    const parked = await store.exceptions.list(store.db, { status: 'open', flow: 'quote-to-cash' });
    expect(parked.map((e) => e.message)).toContainEqual(
      expect.stringContaining(`account ${duplicate.accountId} duplicates customer`),
    );
    const stripeCustomers = await t.stripe.customers.list({ limit: 100 });
    const names = stripeCustomers.data.map((c) => c.name);
    expect(names.filter((n) => n === original.name)).toHaveLength(1);
    expect(names).not.toContain(duplicate.name);
  });

  it('applies field ownership: the ERP’s currency change wins, and a CRM edit of it after that is queued as a conflict', async () => {
    const { env, rng } = t;
    const sim = await createAccount(env.world, rng, 3);
    await t.settle();
    const account = (await t.salesforce.sobject('Account').retrieve(sim.accountId)) as Record<
      string,
      unknown
    >;
    const customerId = String(account.Revsync_Id__c);
    const store = env.runtime.store;
    const before = await store.entities.get<{ fields: { currency: string; name: string } }>(
      store.db,
      customerId,
    );
    const currencies = await t.netsuite.suiteql<{ id: string; symbol: string }>(
      'SELECT id, symbol FROM currency',
    );
    const other = currencies.body.items.find(
      (c) => c.symbol !== before!.data.fields.currency && ['USD', 'EUR', 'GBP'].includes(c.symbol),
    )!;

    // Finance changes the customer's currency in the ERP, which owns it.
    const patched = await t.netsuite.patch(`/services/rest/record/v1/customer/eid:${customerId}`, {
      currency: { id: other.id },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(204);
    // NetSuite is polled; its poller reads a second only once it is over, so wait for the change.
    const currencyOf = async () =>
      (await store.entities.get<{ fields: { currency: string } }>(store.db, customerId))?.data
        .fields.currency;
    await expect.poll(currencyOf, { timeout: 20_000, interval: 250 }).toBe(other.symbol);
    await t.settle();

    // A rep edits the name (the CRM owns it) and the currency (it does not) in Salesforce.
    const third = ['USD', 'EUR', 'GBP'].find(
      (c) => c !== other.symbol && c !== before!.data.fields.currency,
    )!;
    await t.salesforce
      .sobject('Account')
      .update({ Id: sim.accountId, Name: `${sim.name} Holdings`, Currency__c: third });
    await t.settle();
    const after = await store.entities.get<{ fields: { currency: string; name: string } }>(
      store.db,
      customerId,
    );
    expect(after!.data.fields).toMatchObject({
      name: `${sim.name} Holdings`,
      currency: other.symbol,
    });
    const conflicts = await store.conflicts.list(store.db, {
      status: 'open',
      entityId: customerId,
    });
    expect(conflicts).toEqual([
      expect.objectContaining({
        kind: 'field',
        field: 'currency',
        values: { crm: third, erp: other.symbol },
      }),
    ]);
    const erpCustomer = await t.netsuite.get<{ companyName: string }>(
      `/services/rest/record/v1/customer/eid:${customerId}`,
    );
    expect(erpCustomer.body.companyName).toBe(`${sim.name} Holdings`);
  });
});
