import { describe, expect, it } from 'vitest';
import {
  billingOf,
  cancelWithCreditNote,
  createAccount,
  refundLatest,
  winDeal,
  type BilledCustomer,
} from '../../src/sim/actions.ts';
import type { PaymentHistory } from '../../src/flows/payment-status.ts';
import type { RevenueScheduleV1 } from '../../src/model/entities/revenue-schedule.ts';
import { stableId } from '../../src/model/ids.ts';
import { cents, netsuiteRecord, useFlowEnvironment } from '../support/flow-env.ts';

const DAY = 86_400_000;

describe('renewal, payment-status and cancellation flows', () => {
  const t = useFlowEnvironment({ seed: 12 });
  let good: BilledCustomer;
  let declining: BilledCustomer;

  it('sets up two monthly customers', async () => {
    const { env, rng } = t;
    const customers: BilledCustomer[] = [];
    for (const i of [0, 1]) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      await winDeal(env.world, rng, sim);
    }
    await t.settle();
    const opps = await t.salesforce.query<{ Id: string; AccountId: string }>(
      "SELECT Id, AccountId FROM Opportunity WHERE Type = 'New Business'",
    );
    for (const opp of opps.records) {
      const account = (await t.salesforce.sobject('Account').retrieve(opp.AccountId)) as Record<
        string,
        unknown
      >;
      const billed = await billingOf(env.world, {
        index: 0,
        accountId: opp.AccountId,
        name: String(account.Name),
        region: String(account.Region__c),
        currency: String(account.Currency__c) as 'USD',
        interval: 'month',
        opportunityId: opp.Id,
        lines: [],
      });
      if (billed) customers.push(billed);
    }
    expect(customers).toHaveLength(2);
    [good, declining] = customers as [BilledCustomer, BilledCustomer];
  });

  it('fails a declined renewal payment, then applies it in the ERP once the customer pays', async () => {
    const { env } = t;
    await env.world.billing.setCard(declining.billingCustomerId, 'declining');
    await env.world.billing.advanceClock(32 * DAY);
    await t.settle();

    const open = await t.stripe.invoices.list({
      customer: declining.billingCustomerId,
      status: 'open',
    });
    expect(open.data).toHaveLength(1);
    const renewal = open.data[0]!;
    expect(renewal.billing_reason).toBe('subscription_cycle');
    expect(await netsuiteRecord(env, 'invoice', renewal.id!)).toMatchObject({
      status: { refName: 'Open' },
    });
    const account = (await t.salesforce
      .sobject('Account')
      .retrieve(declining.sim.accountId)) as Record<string, unknown>;
    expect(account.Payment_Status__c).toBe('failed');

    await env.world.billing.setCard(declining.billingCustomerId, 'good');
    expect(await env.world.billing.payOpenInvoices(declining.billingCustomerId)).toBe(1);
    await t.settle();

    const payments = await t.stripe.invoicePayments.list({ invoice: renewal.id! });
    const paid = payments.data.find((p) => p.status === 'paid')!;
    const pi = String(paid.payment.payment_intent);
    const erpPayment = await netsuiteRecord(env, 'customerpayment', pi);
    expect(cents(erpPayment!.payment)).toBe(renewal.total);
    expect(await netsuiteRecord(env, 'invoice', renewal.id!)).toMatchObject({
      status: { refName: 'Paid In Full' },
    });
    const history = await env.runtime.store.entities.get<PaymentHistory>(
      env.runtime.store.db,
      `payment:${pi}`,
    );
    expect(history?.data.history.map((h) => h.status)).toEqual(['failed', 'succeeded']);
    const after = (await t.salesforce
      .sobject('Account')
      .retrieve(declining.sim.accountId)) as Record<string, unknown>;
    expect(after.Payment_Status__c).toBe('paid');
  });

  it('posts the renewal with rev-rec dates and builds a revenue schedule for the new term', async () => {
    const { env } = t;
    const invoices = await t.stripe.invoices.list({ customer: good.billingCustomerId });
    const renewal = invoices.data.find((i) => i.billing_reason === 'subscription_cycle')!;
    const erp = await netsuiteRecord(env, 'invoice', renewal.id!);
    const line = (erp!.item as { items: { revRecStartDate?: string; revRecEndDate?: string }[] })
      .items[0]!;
    expect(line.revRecStartDate).toBeTruthy();
    expect(line.revRecEndDate! > line.revRecStartDate!).toBe(true);
    const lines = await t.stripe.invoices.listLineItems(renewal.id!);
    const first = lines.data[0]!;
    const schedule = await env.runtime.store.entities.get<RevenueScheduleV1>(
      env.runtime.store.db,
      stableId('rvs', `stripe:invoice_line:${first.id}`),
    );
    expect(schedule?.data.total.amount).toBe(first.amount);
    expect(schedule!.data.lines.reduce((a, l) => a + l.amount.amount, 0)).toBe(first.amount);
  });

  it('books a refund as an ERP credit memo and a cancellation’s credit note likewise, flagging churn', async () => {
    const { env, rng } = t;
    expect(await refundLatest(env.world, rng, good.billingCustomerId)).toBe(true);
    await t.settle();
    const refunds = await t.stripe.refunds.list({ limit: 10 });
    const refund = refunds.data[0]!;
    const memo = await netsuiteRecord(env, 'creditmemo', refund.id);
    expect(cents(memo!.total)).toBe(refund.amount);

    await cancelWithCreditNote(env.world, declining);
    await t.settle();
    const notes = await t.stripe.creditNotes.list({ limit: 10 });
    const note = notes.data[0]!;
    const erpNote = await netsuiteRecord(env, 'creditmemo', note.id);
    expect(cents(erpNote!.total)).toBe(note.total);
    const account = (await t.salesforce
      .sobject('Account')
      .retrieve(declining.sim.accountId)) as Record<string, unknown>;
    expect(account).toMatchObject({ Churned__c: true, Subscription_Status__c: 'canceled' });
  });
});
