import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import { ConflictError } from '../model/revsync-error.ts';
import { Inbox } from './inbox.ts';
import type { Store } from './store.ts';

function envelope(id: string, extra: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id,
    source: 'test',
    type: 'test.happened',
    subject: `subj_${id}`,
    data: { n: id },
    ...extra,
  };
}

for (const dialect of DIALECTS) {
  describe(`store [${dialect}]`, () => {
    let store: Store & { dispose(): Promise<void> };
    let inbox: Inbox;

    beforeAll(async () => {
      store = await openTestStore(dialect);
      inbox = new Inbox(store);
    });
    afterAll(async () => store.dispose());

    describe('inbox', () => {
      it('appends once per (source, id) and reports duplicates', async () => {
        const first = await inbox.append(envelope('e1'));
        const again = await inbox.append(envelope('e1', { data: { changed: true } }));
        expect(first.duplicate).toBe(false);
        expect(again).toEqual({ duplicate: true, seq: first.seq, eventId: first.eventId });
        const stored = await store.inbox.getBySeq(store.db, first.seq);
        expect(stored?.envelope.data).toEqual({ n: 'e1' });
        expect(stored?.status).toBe('received');
        expect(stored?.correlationId).toBe(first.eventId);
      });

      it('refuses a malformed event before writing anything', async () => {
        const before = await store.inbox.countByStatus(store.db);
        await expect(inbox.append({ id: 'x', type: 'no.source' })).rejects.toMatchObject({
          code: 'invalid_event',
        });
        await expect(
          inbox.appendMany([envelope('ok-1'), { specversion: '0.3' }], {
            source: 'p',
            cursor: 'c1',
          }),
        ).rejects.toMatchObject({
          code: 'invalid_event',
        });
        expect(await store.inbox.countByStatus(store.db)).toEqual(before);
        expect(await inbox.cursor('p')).toBeUndefined();
      });

      it('commits concurrent appends together (group commit)', async () => {
        const statsBefore = { ...store.commits.stats };
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => inbox.append(envelope(`gc-${i}`))),
        );
        expect(new Set(results.map((r) => r.seq)).size).toBe(200);
        const commits = store.commits.stats.commits - statsBefore.commits;
        expect(commits).toBeGreaterThan(0);
        expect(commits).toBeLessThan(200);
      });

      it('puts concurrent webhook batches into one commit, each answered with its own results', async () => {
        const statsBefore = { ...store.commits.stats };
        const batches = Array.from({ length: 20 }, (_, i) => [
          envelope(`wh-${i}-a`),
          envelope(`wh-${i}-b`),
        ]);
        // The same event delivered twice at once (a vendor retry racing its original).
        batches.push([envelope('wh-0-a'), envelope('wh-extra')]);
        const results = await Promise.all(batches.map((b) => inbox.appendMany(b)));
        expect(store.commits.stats.commits - statsBefore.commits).toBe(1);
        for (const [i, batch] of batches.entries()) {
          expect(results[i]).toHaveLength(batch.length);
        }
        expect(results[20]![0]).toEqual({ ...results[0]![0], duplicate: true });
        expect(results[20]![1]!.duplicate).toBe(false);
        const stored = await store.inbox.getBySeq(store.db, results[7]![1]!.seq);
        expect(stored?.sourceEventId).toBe('wh-7-b');
      });

      it('saves a poll cursor in the same transaction as its events', async () => {
        const results = await inbox.appendMany([envelope('p-1'), envelope('p-2')], {
          source: 'poller',
          cursor: '42',
        });
        expect(results.map((r) => r.duplicate)).toEqual([false, false]);
        expect(await inbox.cursor('poller')).toBe('42');
      });

      it('follows the inbox state machine', async () => {
        const { seq } = await inbox.append(envelope('sm-1'));
        expect(await store.inbox.transition(store.db, seq, 'routed', { at: 1 })).toBe(true);
        expect(await store.inbox.transition(store.db, seq, 'received', { at: 2 })).toBe(false);
        expect(await store.inbox.transition(store.db, seq, 'failed', { at: 3 })).toBe(false);
      });

      it('marks a batch routed in one call, leaving events that may not become routed alone', async () => {
        const [a, b, c] = await inbox.appendMany([
          envelope('mr-1'),
          envelope('mr-2'),
          envelope('mr-3'),
        ]);
        expect(await store.inbox.transition(store.db, c!.seq, 'routed', { at: 1 })).toBe(true);
        expect(await store.inbox.transition(store.db, c!.seq, 'failed', { at: 1 })).toBe(false);
        await store.inbox.markRouted(store.db, [a!.seq, b!.seq, c!.seq], 5);
        for (const { seq } of [a!, b!]) {
          const row = await store.inbox.getBySeq(store.db, seq);
          expect([row?.status, row?.routedAt]).toEqual(['routed', 5]);
        }
        expect((await store.inbox.getBySeq(store.db, c!.seq))?.routedAt).toBe(1);
      });
    });

    describe('group commit', () => {
      it('rolls back only the item that failed', async () => {
        const ok = store.grouped((trx) => store.cursors.set(trx, 'gc-ok', 'a', 1));
        const bad = store.grouped(async (trx) => {
          await store.cursors.set(trx, 'gc-bad', 'b', 1);
          throw new Error('boom');
        });
        await Promise.all([
          expect(ok).resolves.toBeUndefined(),
          expect(bad).rejects.toThrow('boom'),
        ]);
        expect(await store.cursors.get(store.db, 'gc-ok')).toBe('a');
        expect(await store.cursors.get(store.db, 'gc-bad')).toBeUndefined();
      });
    });

    describe('cross-reference map', () => {
      it('is unique both ways and idempotent', async () => {
        const link = {
          canonicalId: 'cus_1',
          entityType: 'customer',
          system: 'stripe',
          objectType: 'customer',
          externalId: 'cus_S1',
        };
        await store.xrefs.link(store.db, link, 1);
        await store.xrefs.link(store.db, link, 2);
        await expect(
          store.xrefs.link(store.db, { ...link, canonicalId: 'cus_2' }, 3),
        ).rejects.toBeInstanceOf(ConflictError);
        await expect(
          store.xrefs.link(store.db, { ...link, externalId: 'cus_S2' }, 3),
        ).rejects.toBeInstanceOf(ConflictError);
        await store.xrefs.link(store.db, { ...link, system: 'netsuite', externalId: '901' }, 4);
        expect(await store.xrefs.findCanonical(store.db, 'stripe', 'customer', 'cus_S1')).toBe(
          'cus_1',
        );
        expect(await store.xrefs.findExternal(store.db, 'cus_1', 'netsuite', 'customer')).toBe(
          '901',
        );
        expect(
          (await store.xrefs.listForCanonical(store.db, 'cus_1')).map((x) => x.system),
        ).toEqual(['netsuite', 'stripe']);
      });
      it('relinks a stale link only from the id it still points at', async () => {
        const link = {
          canonicalId: 'inv_1',
          entityType: 'invoice',
          system: 'netsuite',
          objectType: 'invoice',
          externalId: '501',
        };
        await store.xrefs.link(store.db, link, 1);
        await store.xrefs.link(store.db, { ...link, canonicalId: 'inv_2', externalId: '777' }, 1);
        // The ERP document 501 was deleted and posted again as 502.
        await store.xrefs.relink(store.db, { ...link, externalId: '502' }, '501', 2);
        expect(await store.xrefs.findExternal(store.db, 'inv_1', 'netsuite', 'invoice')).toBe(
          '502',
        );
        expect(await store.xrefs.findCanonical(store.db, 'netsuite', 'invoice', '501')).toBe(
          undefined,
        );
        expect(await store.xrefs.findCanonical(store.db, 'netsuite', 'invoice', '502')).toBe(
          'inv_1',
        );
        // A retried repair: already relinked, a no-op.
        await store.xrefs.relink(store.db, { ...link, externalId: '502' }, '501', 3);
        // A second repair racing from the same stale id to another document loses.
        await expect(
          store.xrefs.relink(store.db, { ...link, externalId: '503' }, '501', 3),
        ).rejects.toBeInstanceOf(ConflictError);
        // Never onto a document another canonical record owns.
        await expect(
          store.xrefs.relink(store.db, { ...link, externalId: '777' }, '502', 3),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await store.xrefs.findExternal(store.db, 'inv_1', 'netsuite', 'invoice')).toBe(
          '502',
        );
        expect(await store.xrefs.findExternal(store.db, 'inv_2', 'netsuite', 'invoice')).toBe(
          '777',
        );
        // No link at all (dropped by hand): it links.
        await store.xrefs.relink(
          store.db,
          { ...link, canonicalId: 'inv_3', externalId: '504' },
          '499',
          4,
        );
        expect(await store.xrefs.findExternal(store.db, 'inv_3', 'netsuite', 'invoice')).toBe(
          '504',
        );
      });
    });

    describe('entities', () => {
      it('versions writes optimistically', async () => {
        const v1 = await store.entities.put(store.db, {
          id: 'cus_e',
          type: 'customer',
          data: { a: 1 },
          updatedBy: 't',
          at: 1,
          expectedVersion: 0,
        });
        expect(v1).toBe(1);
        await expect(
          store.entities.put(store.db, {
            id: 'cus_e',
            type: 'customer',
            data: { a: 2 },
            updatedBy: 't',
            at: 2,
            expectedVersion: 0,
          }),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(
          await store.entities.put(store.db, {
            id: 'cus_e',
            type: 'customer',
            data: { a: 3 },
            updatedBy: 't',
            at: 3,
          }),
        ).toBe(2);
        expect((await store.entities.get(store.db, 'cus_e'))?.data).toEqual({ a: 3 });
      });
    });

    describe('runs', () => {
      const newRun = (id: string, entityKey: string, at = 0) => ({
        id,
        flow: 'f',
        flowVersion: 1,
        entityKey,
        priority: 10,
        input: { id },
        triggerEventId: null,
        correlationId: `c-${id}`,
        causationId: null,
        availableAt: at,
        createdAt: at,
      });

      it('inserts many runs in list order, raises many signals (first payload wins) and wakes their waiters', async () => {
        await store.runs.insertMany(store.db, [
          newRun('r-m1', 'K-m1', 1),
          newRun('r-m2', 'K-m2', 1),
          newRun('r-m3', 'K-m3', 1),
        ]);
        const [m1, m2, m3] = await Promise.all(
          ['r-m1', 'r-m2', 'r-m3'].map((id) => store.runs.getById(store.db, id)),
        );
        expect(m1!.seq).toBeLessThan(m2!.seq);
        expect(m2!.seq).toBeLessThan(m3!.seq);
        expect(m3!.input).toEqual({ id: 'r-m3' });
        const claimed = await store.grouped((trx) =>
          store.runs.claim(trx, store.dialect, { owner: 'w', now: 2, leaseMs: 1000, limit: 100 }),
        );
        for (const [run, key] of [
          [m1!, 'sig-m-a'],
          [m2!, 'sig-m-b'],
          [m3!, 'sig-m-other'],
        ] as const) {
          expect(claimed.map((r) => r.id)).toContain(run.id);
          expect(
            await store.runs.transition(store.db, run.seq, 'waiting', { at: 3, waitSignal: key }),
          ).toBe(true);
        }
        await store.signals.raiseMany(
          store.db,
          [
            { key: 'sig-m-a', payload: { n: 1 } },
            { key: 'sig-m-a', payload: { n: 2 } },
            { key: 'sig-m-b', payload: { n: 3 } },
          ],
          4,
        );
        expect(await store.signals.get(store.db, 'sig-m-a')).toEqual({ payload: { n: 1 }, at: 4 });
        expect(
          await store.runs.wakeWaitingMany(store.db, ['sig-m-a', 'sig-m-b', 'sig-m-a'], 5),
        ).toBe(2);
        const after = await Promise.all(
          [m1!, m2!, m3!].map((r) => store.runs.getBySeq(store.db, r.seq)),
        );
        expect(after.map((r) => r?.status)).toEqual(['queued', 'queued', 'waiting']);
        expect(after[0]?.availableAt).toBe(5);
        for (const run of after)
          await store.runs.transition(store.db, run!.seq, 'cancelled', { at: 6 });
      });

      it('claims only the head of each entity key, and holds later runs behind a parked one', async () => {
        for (const [id, key] of [
          ['r-a1', 'K-a'],
          ['r-a2', 'K-a'],
          ['r-b1', 'K-b'],
        ] as const) {
          await store.runs.insert(store.db, newRun(id, key));
        }
        const claim = (owner: string) =>
          store.grouped((trx) =>
            store.runs.claim(trx, store.dialect, { owner, now: 10, leaseMs: 1000, limit: 10 }),
          );
        const first = await claim('w1');
        expect(first.map((r) => r.id)).toEqual(['r-a1', 'r-b1']);
        expect(await claim('w2')).toEqual([]);
        const a1 = first[0]!;
        expect(
          await store.runs.transition(store.db, a1.seq, 'parked', { at: 11 }, { leaseOwner: 'w1' }),
        ).toBe(true);
        expect(await claim('w2')).toEqual([]);
        expect(await store.runs.transition(store.db, a1.seq, 'skipped', { at: 12 })).toBe(true);
        expect((await claim('w2')).map((r) => r.id)).toEqual(['r-a2']);
      });

      it('fences writes by lease owner and lets an expired lease be taken over', async () => {
        await store.runs.insert(store.db, newRun('r-lease', 'K-lease', 100));
        const [run] = await store.grouped((trx) =>
          store.runs.claim(trx, store.dialect, { owner: 'w1', now: 100, leaseMs: 50, limit: 1 }),
        );
        expect(run?.id).toBe('r-lease');
        const stolen = await store.grouped((trx) =>
          store.runs.claim(trx, store.dialect, { owner: 'w2', now: 200, leaseMs: 50, limit: 10 }),
        );
        expect(stolen.map((r) => [r.id, r.leaseOwner])).toContainEqual(['r-lease', 'w2']);
        expect(
          await store.runs.transition(
            store.db,
            run!.seq,
            'completed',
            { at: 201 },
            { leaseOwner: 'w1' },
          ),
        ).toBe(false);
        expect(
          await store.runs.transition(
            store.db,
            run!.seq,
            'completed',
            { at: 201 },
            { leaseOwner: 'w2' },
          ),
        ).toBe(true);
        expect(await store.runs.transition(store.db, run!.seq, 'queued', { at: 202 })).toBe(false);
      });
    });
  });
}
