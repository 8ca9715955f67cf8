import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import { ManualClock } from '../engine/clock.ts';
import type { CrmWriteLedger } from '../flows/deps.ts';
import type { Store } from '../store/store.ts';
import { crmWriteLedger, DEFAULT_CRM_WRITE_TTL_MS } from './crm-write-ledger.ts';

const opp = { objectType: 'opportunity', id: '006A' } as const;
const active = {
  subscriptionId: 'sub_1',
  subscriptionStatus: 'active',
  mrr: { amount: 4_900, currency: 'USD' as const },
};

for (const dialect of DIALECTS) {
  describe(`CRM write-back ledger [${dialect}]`, () => {
    let store: Store & { dispose(): Promise<void> };
    const clock = new ManualClock();
    let ledger: CrmWriteLedger;

    beforeAll(async () => {
      store = await openTestStore(dialect);
      ledger = crmWriteLedger(store, clock, 'salesforce');
    });
    afterAll(async () => store.dispose());

    it('knows nothing before the first write, then the same values within the TTL', async () => {
      expect(await ledger.unchanged(opp, active)).toBe(false);
      await ledger.written(opp, active);
      expect(await ledger.unchanged(opp, active)).toBe(true);
      // Key order and a subset of what was written do not matter.
      expect(
        await ledger.unchanged(opp, {
          mrr: { currency: 'USD', amount: 4_900 },
          subscriptionStatus: 'active',
        }),
      ).toBe(true);
    });

    it('a changed value, or a field never written, is not unchanged', async () => {
      expect(await ledger.unchanged(opp, { ...active, subscriptionStatus: 'past_due' })).toBe(
        false,
      );
      expect(
        await ledger.unchanged(opp, { ...active, mrr: { amount: 4_901, currency: 'USD' } }),
      ).toBe(false);
      expect(
        await ledger.unchanged(opp, { ...active, mrr: { amount: 4_900, currency: 'EUR' } }),
      ).toBe(false);
      expect(await ledger.unchanged(opp, { ...active, churned: true })).toBe(false);
      expect(await ledger.unchanged({ objectType: 'account', id: '006A' }, active)).toBe(false);
      expect(await ledger.unchanged(opp, {})).toBe(false);
    });

    it('an identical write is due again once the TTL has passed', async () => {
      clock.advance(DEFAULT_CRM_WRITE_TTL_MS - 1);
      expect(await ledger.unchanged(opp, active)).toBe(true);
      clock.advance(1);
      expect(await ledger.unchanged(opp, active)).toBe(false);
      await ledger.written(opp, active);
      expect(await ledger.unchanged(opp, active)).toBe(true);
    });

    it('is shared: a second ledger on the same store (another worker) sees the writes', async () => {
      const other = crmWriteLedger(store, clock, 'salesforce');
      expect(await other.unchanged(opp, active)).toBe(true);
      await other.written(opp, { subscriptionStatus: 'canceled' });
      expect(await ledger.unchanged(opp, active)).toBe(false);
      expect(
        await ledger.unchanged(opp, { subscriptionId: 'sub_1', subscriptionStatus: 'canceled' }),
      ).toBe(true);
      // Another CRM system's ledger does not see Salesforce's writes.
      expect(await crmWriteLedger(store, clock, 'hubspot').unchanged(opp, active)).toBe(false);
    });

    it('with a TTL of 0 nothing is ever unchanged', async () => {
      const always = crmWriteLedger(store, clock, 'salesforce', 0);
      await always.written(opp, active);
      expect(await always.unchanged(opp, active)).toBe(false);
    });
  });
}
