import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import type { Store } from './store.ts';

for (const dialect of DIALECTS) {
  describe(`CRM write-back ledger table [${dialect}]`, () => {
    let store: Store & { dispose(): Promise<void> };
    const account = { system: 'salesforce', objectType: 'account', objectId: '001A' };

    beforeAll(async () => {
      store = await openTestStore(dialect);
    });
    afterAll(async () => store.dispose());

    it('answers nothing for an object never written', async () => {
      expect(await store.crmWritebacks.lastWritten(store.db, account, ['mrr'])).toEqual(new Map());
      expect(await store.crmWritebacks.lastWritten(store.db, account, [])).toEqual(new Map());
    });

    it('records per field and replaces a field written again, leaving the others', async () => {
      await store.grouped((trx) =>
        store.crmWritebacks.record(trx, account, { revsyncId: '"cus_1"', mrr: '{"a":1}' }, 1_000),
      );
      await store.grouped((trx) =>
        store.crmWritebacks.record(trx, account, { mrr: '{"a":2}', churned: 'true' }, 2_000),
      );
      const got = await store.crmWritebacks.lastWritten(store.db, account, [
        'revsyncId',
        'mrr',
        'churned',
        'paymentStatus',
      ]);
      expect(Object.fromEntries(got)).toEqual({
        revsyncId: { value: '"cus_1"', writtenAt: 1_000 },
        mrr: { value: '{"a":2}', writtenAt: 2_000 },
        churned: { value: 'true', writtenAt: 2_000 },
      });
    });

    it('keeps objects apart by system, object type and id', async () => {
      const others = [
        { ...account, system: 'hubspot' },
        { ...account, objectType: 'opportunity' },
        { ...account, objectId: '001B' },
      ];
      for (const other of others)
        expect((await store.crmWritebacks.lastWritten(store.db, other, ['mrr'])).size).toBe(0);
    });
  });
}
