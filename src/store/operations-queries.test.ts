import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import { Inbox } from './inbox.ts';
import type { Store } from './store.ts';

const T0 = Date.UTC(2026, 0, 1);
const error = {
  name: 'RetryableError',
  code: 'transient' as const,
  message: 'boom',
  retryable: true,
};

for (const dialect of DIALECTS) {
  describe(`store operations queries [${dialect}]`, () => {
    let store: Store & { dispose(): Promise<void> };

    beforeAll(async () => {
      store = await openTestStore(dialect);
    });
    afterAll(async () => store.dispose());

    async function run(id: string, entityKey: string, createdAt: number, completedAt?: number) {
      await store.runs.insert(store.db, {
        id,
        flow: 'f',
        flowVersion: 1,
        entityKey,
        priority: 10,
        input: {},
        triggerEventId: null,
        correlationId: `cor-${id}`,
        causationId: null,
        availableAt: createdAt,
        createdAt,
      });
      const rec = (await store.runs.getById(store.db, id))!;
      if (completedAt !== undefined) {
        await store.runs.transition(store.db, rec.seq, 'running', { at: createdAt });
        await store.runs.transition(store.db, rec.seq, 'completed', {
          at: completedAt,
          completedAt,
        });
      }
      return rec;
    }

    it('answers a ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('stores API keys by hash, keeps active names unique, revokes and touches', async () => {
      const base = { role: 'viewer', secretHash: 'h1', createdAt: T0, createdBy: 'cli' };
      await store.apiKeys.insert(store.db, { id: 'k1', name: 'ops', ...base });
      await expect(
        store.apiKeys.insert(store.db, { id: 'k2', name: 'ops', ...base }),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect(await store.apiKeys.revoke(store.db, 'k1', { at: T0 + 1, actor: 'root' })).toBe(true);
      expect(await store.apiKeys.revoke(store.db, 'k1', { at: T0 + 2, actor: 'root' })).toBe(false);
      // A revoked key's name can be used again.
      await store.apiKeys.insert(store.db, { id: 'k2', name: 'ops', ...base });
      await store.apiKeys.touch(store.db, 'k2', T0 + 5);
      expect(await store.apiKeys.get(store.db, 'k2')).toMatchObject({
        name: 'ops',
        role: 'viewer',
        secretHash: 'h1',
        lastUsedAt: T0 + 5,
        revokedAt: null,
      });
      expect((await store.apiKeys.list(store.db)).map((k) => k.id)).toEqual(['k2']);
      expect(
        (await store.apiKeys.list(store.db, { includeRevoked: true })).map((k) => k.id).sort(),
      ).toEqual(['k1', 'k2']);
      expect(await store.apiKeys.get(store.db, 'k1')).toMatchObject({
        revokedAt: T0 + 1,
        revokedBy: 'root',
      });
    });

    it('counts completions, failed attempts and exceptions per time bucket', async () => {
      const window = { from: T0, to: T0 + 3 * 60_000, bucketMs: 60_000 };
      await run('r1', 'k', T0, T0 + 1_000);
      await run('r2', 'k', T0, T0 + 2_000);
      await run('r3', 'k', T0 + 60_000, T0 + 125_000);
      await run('r4', 'k', T0 + 60_000); // still queued
      await run('r5', 'k', T0 - 10_000, T0 + 200_000); // completed after the window
      expect(await store.runs.countCompletedByBucket(store.db, window)).toEqual([
        { bucket: 0, count: 2 },
        { bucket: 2, count: 1 },
      ]);
      const completions = await store.runs.listCompletions(store.db, { ...window, limit: 10 });
      expect(completions.map((c) => c.completedAt - c.createdAt)).toEqual([65_000, 2_000, 1_000]);

      for (const [at, attempt] of [
        [T0 + 5, 1],
        [T0 + 70_000, 2],
        [T0 + 71_000, 3],
      ] as const) {
        await store.steps.recordFailedAttempt(store.db, {
          runId: 'r3',
          stepName: 's',
          attempt,
          at,
          durationMs: 3,
          error,
        });
      }
      expect(await store.steps.countFailedAttemptsByBucket(store.db, window)).toEqual([
        { bucket: 0, count: 1 },
        { bucket: 1, count: 2 },
      ]);

      const exc = (id: string, kind: 'run' | 'event', stepName: string | null, at: number) =>
        store.exceptions.open(store.db, {
          id,
          kind,
          runId: kind === 'run' ? 'r4' : null,
          eventSeq: kind === 'event' ? 1 : null,
          flow: 'f',
          entityKey: 'k',
          stepName,
          error,
          attempts: 1,
          lastInput: {},
          correlationId: null,
          createdAt: at,
        });
      await exc('x1', 'run', 's', T0 + 61_000);
      await exc('x2', 'run', null, T0 + 62_000);
      await exc('x3', 'event', null, T0 + 150_000);
      expect(await store.exceptions.countOpenedByBucket(store.db, window)).toEqual([
        { bucket: 1, parked: 2, parkedInStep: 1, poisoned: 0 },
        { bucket: 2, parked: 0, parkedInStep: 0, poisoned: 1 },
      ]);
    });

    it('lists steps and failed attempts of several runs, and an entity key’s newest events', async () => {
      for (const id of ['s1', 's2']) {
        await run(id, 'ent', T0);
        await store.steps.complete(store.db, {
          runId: id,
          name: 'a',
          position: 0,
          result: { id },
          attempts: 1,
          idempotencyKey: `${id}-a`,
          startedAt: T0,
          completedAt: T0 + 1,
        });
      }
      await store.steps.recordFailedAttempt(store.db, {
        runId: 's2',
        stepName: 'b',
        attempt: 1,
        at: T0 + 3,
        durationMs: 1,
        error,
      });
      expect((await store.steps.listForRuns(store.db, ['s1', 's2'])).map((s) => s.runId)).toEqual([
        's1',
        's2',
      ]);
      expect(await store.steps.listForRuns(store.db, [])).toEqual([]);
      expect(
        (await store.steps.listFailedAttemptsForRuns(store.db, ['s2'])).map((a) => a.stepName),
      ).toEqual(['b']);

      const inbox = new Inbox(store);
      for (const id of ['e1', 'e2', 'e3']) {
        await inbox.append({ specversion: '1.0', id, source: 't', type: 'x', entitykey: 'ent' });
      }
      await inbox.append({ specversion: '1.0', id: 'e4', source: 't', type: 'x', entitykey: 'o' });
      const newest = await store.inbox.listForEntity(store.db, 'ent', { limit: 2 });
      expect(newest.map((e) => e.sourceEventId)).toEqual(['e3', 'e2']);
      const older = await store.inbox.listForEntity(store.db, 'ent', {
        beforeSeq: newest[1]!.seq,
      });
      expect(older.map((e) => e.sourceEventId)).toEqual(['e1']);
    });

    it('filters the audit log by actor and pages it', async () => {
      for (const actor of ['ann', 'bob', 'ann']) {
        await store.audit.record(store.db, {
          at: T0,
          actor,
          action: 'x',
          targetType: 't',
          targetId: '1',
          details: {},
        });
      }
      const ann = await store.audit.list(store.db, { actor: 'ann' });
      expect(ann).toHaveLength(2);
      const page = await store.audit.list(store.db, { actor: 'ann', beforeId: ann[0]!.id });
      expect(page.map((a) => a.id)).toEqual([ann[1]!.id]);
    });
  });
}
