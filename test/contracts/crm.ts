/**
 * The CRM contract: what flows rely on from any `CrmSystem`. Sales' side (accounts, deals, their
 * lines, closing won) is done through the simulator driver's actor, as people would in the CRM;
 * revsync's side through the port.
 */
import { expect } from 'vitest';
import { stableId } from '../../src/model/ids.ts';
import { NotFoundError, ValidationError } from '../../src/model/revsync-error.ts';
import { commonChecks, pollAll, rejection, type PortRead } from './common.ts';
import { missingId } from './fixtures/index.ts';
import { unique, type ContractSubject } from './harness.ts';

/** What the CRM checks share: one account with a won deal, created once per connector. */
export interface CrmWorld {
  subject: ContractSubject<'crm'>;
  accountId: string;
  dealId: string;
}

/** Creates the catalog, an account and a won deal of two seats at $49.00 a month. */
export async function setUpCrmWorld(subject: ContractSubject<'crm'>): Promise<CrmWorld> {
  const actor = subject.started.actor;
  await actor.setUpCatalog([{ code: 'PLAT', name: 'Platform seat', listPrice: 4_900 }]);
  const name = unique('Contract Account');
  const accountId = await actor.createAccount({
    name,
    domain: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example`,
    country: 'US',
    region: 'NA',
    currency: 'USD',
    email: 'billing@contract.example',
  });
  const dealId = await actor.createDeal({
    accountId,
    name: `${name} deal`,
    currency: 'USD',
    kind: 'new',
  });
  await actor.addLine(dealId, {
    productCode: 'PLAT',
    currency: 'USD',
    quantity: 2,
    unitAmount: 4_900,
    interval: 'month',
  });
  await actor.win(dealId);
  return { subject, accountId, dealId };
}

const readAccount =
  (world: CrmWorld): PortRead<'crm'> =>
  (crm) =>
    crm.getAccount(world.accountId);

/** The checks, by name; each gets the world {@link setUpCrmWorld} made. */
export const crmChecks: Record<string, (world: CrmWorld) => Promise<void>> = {
  async 'reads an account and a won opportunity with its lines by id'({
    subject,
    accountId,
    dealId,
  }) {
    const { port } = await subject.connect();
    const account = await port.getAccount(accountId);
    expect(account).toMatchObject({ id: accountId, currency: 'USD' });
    expect(account.name).toMatch(/^Contract Account/);
    expect(account.modifiedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const deal = await port.getOpportunity(dealId);
    expect(deal).toMatchObject({
      id: dealId,
      accountId,
      isWon: true,
      isClosed: true,
      currency: 'USD',
    });
    expect(deal.lines).toHaveLength(1);
    expect(deal.lines[0]).toMatchObject({
      productCode: 'PLAT',
      quantity: 2,
      unitAmount: { amount: 4_900, currency: 'USD' },
      interval: 'month',
    });
  },

  async 'writes billing status back idempotently: a retried update reads back the same'({
    subject,
    accountId,
    dealId,
  }) {
    const { port } = await subject.connect();
    const status = {
      revsyncId: stableId('cus', 'contract:crm'),
      billingCustomerId: 'bc-contract-1',
      subscriptionId: 'sub-contract-1',
      subscriptionStatus: 'active',
      mrr: { amount: 9_800, currency: 'USD' as const },
    };
    await port.updateAccountBilling(accountId, status, { idempotencyKey: 'contract-acct-1' });
    await port.updateAccountBilling(accountId, status, { idempotencyKey: 'contract-acct-1' });
    expect(await port.getAccountBilling(accountId)).toMatchObject(status);
    await port.updateOpportunityBilling(
      dealId,
      { subscriptionId: 'sub-contract-1', subscriptionStatus: 'active' },
      { idempotencyKey: 'contract-opp-1' },
    );
    await port.updateOpportunityBilling(
      dealId,
      { subscriptionId: 'sub-contract-1', subscriptionStatus: 'active' },
      { idempotencyKey: 'contract-opp-1' },
    );
    expect(await subject.started.actor.dealBilling(dealId)).toMatchObject({
      subscriptionId: 'sub-contract-1',
      subscriptionStatus: 'active',
    });
    // A partial update keeps what it does not name.
    await port.updateAccountBilling(
      accountId,
      { paymentStatus: 'paid' },
      { idempotencyKey: 'contract-acct-2' },
    );
    expect(await port.getAccountBilling(accountId)).toMatchObject({
      ...status,
      paymentStatus: 'paid',
    });
  },

  async 'lists the opportunities carrying a subscription with their billing fields'({
    subject,
    dealId,
  }) {
    const { port } = await subject.connect();
    if (!port.pageOpportunityBilling) return;
    const status = {
      subscriptionId: 'sub-contract-2',
      subscriptionStatus: 'past_due',
      mrr: { amount: 12_345, currency: 'USD' as const },
    };
    await port.updateOpportunityBilling(dealId, status, { idempotencyKey: 'contract-opp-2' });
    const listed = [];
    for await (const page of port.pageOpportunityBilling()) listed.push(...page);
    expect(listed.filter((o) => o.opportunityId === dealId)).toEqual([
      { opportunityId: dealId, ...status },
    ]);
    expect(
      listed.every((o) => o.subscriptionId !== undefined),
      'only opportunities with a subscription',
    ).toBe(true);
  },

  async 'answers NotFoundError for an id that names nothing'({ subject }) {
    const { port } = await subject.connect();
    await rejection(
      () => port.getAccount(missingId(subject.fixture, 'account')),
      NotFoundError,
      'getAccount',
    );
    await rejection(
      () => port.getOpportunity(missingId(subject.fixture, 'opportunity')),
      NotFoundError,
      'getOpportunity',
    );
  },

  async 'refuses a malformed id as ValidationError, a missing one on write as NotFoundError'({
    subject,
  }) {
    const { port } = await subject.connect();
    const write = { subscriptionStatus: 'active' };
    await rejection(
      () => port.updateAccountBilling('not an id!', write, { idempotencyKey: unique('bad-id') }),
      ValidationError,
      'a malformed account id',
    );
    await rejection(
      () =>
        port.updateAccountBilling(missingId(subject.fixture, 'account'), write, {
          idempotencyKey: unique('missing'),
        }),
      NotFoundError,
      'a write to a missing account',
    );
  },

  async 'pages its change feed and keys events by account'({ subject, accountId, dealId }) {
    const connector = await subject.connect();
    const events = await pollAll(connector, [accountId, dealId]);
    const accountEvents = events.filter((e) => e.subject === accountId);
    const dealEvents = events.filter((e) => e.subject === dealId);
    for (const event of [...accountEvents, ...dealEvents]) {
      expect(subject.definition.entityKey(event), event.type).toEqual({
        objectType: 'account',
        id: accountId,
      });
    }
    const canonical = [...accountEvents, ...dealEvents].flatMap((e) =>
      subject.definition.normalise(e),
    );
    expect(canonical.map((c) => c.type)).toContain('crm.account.changed');
    // The change feed may show the deal won only in its latest state: won once, whatever it took.
    const won = canonical.filter((c) => c.type === 'crm.opportunity.won');
    expect(won.length, 'the won deal is crm.opportunity.won').toBeGreaterThanOrEqual(1);
    expect(won[0]!.data).toMatchObject({
      opportunityId: dealId,
      accountId,
      dealType: 'new_business',
    });
  },

  ...commonChecks(readAccount),
};
