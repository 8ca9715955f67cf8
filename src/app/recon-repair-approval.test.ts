import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import type { BillingSystem } from '../connectors/ports.ts';
import { ManualClock } from '../engine/clock.ts';
import { ExceptionQueue } from '../engine/exception-queue.ts';
import { resolveApprovalPolicy } from '../governance/approval-policy.ts';
import { Approvals } from '../governance/approvals.ts';
import type { BillingDocument, Discrepancy } from '../recon/index.ts';
import { Inbox } from '../store/inbox.ts';
import type { Store } from '../store/store.ts';
import {
  RECON_REPAIR_SOURCE,
  repairDiscrepancies,
  repairKey,
  type RepairDeps,
} from './recon-repair.ts';

const missing = (id: string, amount: number): Discrepancy => ({
  class: 'missing_in_erp',
  billingId: id,
  erpId: null,
  crmId: null,
  subsidiary: '1',
  currency: 'USD',
  billingAmount: amount,
  erpAmount: null,
  correlationId: `cor_${id}`,
  message: 'the ERP has no invoice for it',
});
const invoice = (id: string, amount: number): BillingDocument =>
  ({
    kind: 'invoice',
    id,
    customer: 'cus_1',
    currency: 'USD',
    amount,
    period: '2026-11',
    date: '2026-11-02',
    status: 'open',
  }) as BillingDocument;
const billing = {
  getInvoice: (id: string) => Promise.resolve({ id, billingReason: 'subscription_create' }),
} as unknown as BillingSystem;

/**
 * Four-eyes approval of reconciliation repairs: a repair at or above the policy's amount waits
 * as a change request and starts (its canonical event reaches the inbox) only when another
 * person approves; below it, it starts at once.
 */
describe.each(DIALECTS)('recon repairs above the approval threshold [%s]', (dialect) => {
  let store: Store & { dispose(): Promise<void> };
  const clock = new ManualClock(Date.UTC(2026, 11, 7, 9, 0));
  let approvals: Approvals;
  let deps: RepairDeps;
  const big = missing('in_big', 2_500_00);
  const small = missing('in_small', 40_00);
  const docs = new Map([
    ['in_big', invoice('in_big', 2_500_00)],
    ['in_small', invoice('in_small', 40_00)],
  ]);
  const repairEvents = async () =>
    (await store.inbox.list(store.db, { limit: 1000 })).filter(
      (e) => e.source === RECON_REPAIR_SOURCE,
    );

  beforeAll(async () => {
    store = await openTestStore(dialect);
    const queue = new ExceptionQueue(store, clock, () => {});
    approvals = new Approvals(store, queue, {
      now: () => clock.now(),
      policy: resolveApprovalPolicy({ actions: { 'recon.repair': { minAmount: 1_000_00 } } }),
    });
    deps = {
      store,
      inbox: new Inbox(store, { now: () => clock.now() }),
      billing,
      clock,
      approvals,
    };
  });
  afterAll(() => store.dispose());

  it('starts the small repair, and holds the large one as a change request', async () => {
    const out = await repairDiscrepancies(deps, [big, small], docs, { actor: 'alice' });
    expect(out.map((o) => [o.billingId, o.outcome])).toEqual([
      ['in_big', 'awaiting_approval'],
      ['in_small', 'run_started'],
    ]);
    const request = await approvals.get(out[0]!.changeRequest!);
    expect(request).toMatchObject({
      action: 'recon.repair',
      targetType: 'discrepancy',
      targetId: repairKey(big),
      requestedBy: 'alice',
      status: 'pending',
      amountMinor: 2_500_00,
      currency: 'USD',
    });
    expect((await repairEvents()).map((e) => e.sourceEventId)).toEqual([repairKey(small)]);
  });

  it('asking again reports the same waiting request and starts nothing', async () => {
    const [again] = await repairDiscrepancies(deps, [big], docs, { actor: 'alice' });
    const [pending] = await approvals.pendingFor('discrepancy', repairKey(big));
    expect(again).toMatchObject({ outcome: 'awaiting_approval', changeRequest: pending!.id });
    expect(await repairEvents()).toHaveLength(1);
  });

  it('refuses self-approval, and starts the repair run when another approver approves', async () => {
    const [pending] = await approvals.pendingFor('discrepancy', repairKey(big));
    await expect(
      approvals.approve(pending!.id, { actor: 'alice', role: 'approver' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(await repairEvents()).toHaveLength(1);

    const done = await approvals.approve(pending!.id, { actor: 'bob', role: 'approver' });
    expect(done.status).toBe('executed');
    const started = (await repairEvents()).find((e) => e.sourceEventId === repairKey(big));
    expect(started).toMatchObject({
      type: 'billing.invoice.finalized',
      entityKey: 'cus_1',
      correlationId: 'cor_in_big',
    });
    expect(started!.envelope['data']).toEqual({
      invoiceId: 'in_big',
      reason: 'subscription_create',
    });
    const audit = await store.audit.list(store.db, { targetId: repairKey(big), limit: 100 });
    expect(audit.map((a) => a.action).sort()).toEqual([
      'recon.repair',
      'recon.repair_awaiting_approval',
      'recon.repair_awaiting_approval',
    ]);
    const repair = audit.find((a) => a.action === 'recon.repair')!;
    expect(repair).toMatchObject({ actor: 'alice', details: { changeRequest: pending!.id } });
  });

  it('after approval, repairing again is idempotent and needs no second approval', async () => {
    const [again] = await repairDiscrepancies(deps, [big], docs, { actor: 'carol' });
    expect(again!.outcome).toBe('run_already_started');
    expect(await approvals.list({ action: 'recon.repair' })).toHaveLength(1);
  });

  it('a claimed name without a key cannot file the request: the large repair fails, saying why', async () => {
    const unverified = new Approvals(store, new ExceptionQueue(store, clock, () => {}), {
      now: () => clock.now(),
      requesterVerified: false,
    });
    const other = missing('in_other', 5_000_00);
    const [out] = await repairDiscrepancies(
      { ...deps, approvals: unverified },
      [other],
      new Map([['in_other', invoice('in_other', 5_000_00)]]),
      { actor: 'cli:mallory' },
    );
    expect(out).toMatchObject({ outcome: 'failed' });
    expect(out!.error).toMatch(/API key/);
    expect((await repairEvents()).some((e) => e.sourceEventId === repairKey(other))).toBe(false);
  });
});
