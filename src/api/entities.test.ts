import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import { DIALECTS } from '../../test/support/stores.ts';

for (const dialect of DIALECTS) {
  describe(`entities and lineage through the API [${dialect}]`, () => {
    let h: ApiHarness;

    beforeEach(async () => {
      h = await startApiHarness(dialect);
    });
    afterEach(async () => h.close());

    it('shows the canonical record, its cross-references and a time-ordered lineage with correlation ids', async () => {
      const key = 'cus_01JLINEAGE0000000000000000';
      const t0 = h.clock.now();
      await h.store.entities.put(h.store.db, {
        id: key,
        type: 'customer',
        data: { name: 'Acme GmbH' },
        updatedBy: 'test',
        at: t0,
      });
      await h.store.xrefs.link(
        h.store.db,
        {
          canonicalId: key,
          entityType: 'customer',
          system: 'stripe',
          objectType: 'customer',
          externalId: 'cus_S1',
        },
        t0,
      );
      await h.store.xrefs.link(
        h.store.db,
        {
          canonicalId: key,
          entityType: 'customer',
          system: 'netsuite',
          objectType: 'customer',
          externalId: '4711',
        },
        t0,
      );

      const first = await h.send(key, { flaky: true, n: 1 });
      await h.settle();
      h.clock.advance(10_000);
      await h.settle();
      h.clock.advance(10_000);
      const second = await h.send(key, { fail: true });
      await h.settle();
      h.clock.advance(10_000);
      const [exc] = (await h.call('viewer', 'GET', `/v1/exceptions?entityKey=${key}`)).json()
        .exceptions;
      await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/skip`, { reason: 'not needed' });
      await h.send('cus_other', { n: 9 });
      await h.settle();

      const res = await h.call('viewer', 'GET', `/v1/entities/${key}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.entity).toMatchObject({
        id: key,
        type: 'customer',
        version: 1,
        data: { name: 'Acme GmbH' },
      });
      expect(body.xrefs).toEqual([
        { system: 'netsuite', objectType: 'customer', externalId: '4711', entityType: 'customer' },
        { system: 'stripe', objectType: 'customer', externalId: 'cus_S1', entityType: 'customer' },
      ]);

      const lineage = body.lineage as {
        atMs: number;
        at: string;
        kind: string;
        eventId: string | null;
        correlationId: string | null;
        step: string | null;
        runId: string | null;
        title: string;
      }[];
      const times = lineage.map((i) => i.atMs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(lineage.every((i) => i.at === new Date(i.atMs).toISOString())).toBe(true);
      expect(lineage.map((i) => [i.kind, i.step])).toEqual([
        ['event.received', null],
        ['event.routed', null],
        ['event.normalised', null],
        ['run.created', null],
        ['run.started', null],
        ['step.completed', 'first'],
        ['step.failed', 'work'],
        ['step.completed', 'work'],
        ['run.completed', null],
        ['event.received', null],
        ['event.routed', null],
        ['event.normalised', null],
        ['run.created', null],
        ['run.started', null],
        ['step.completed', 'first'],
        ['step.failed', 'work'],
        ['exception.opened', 'work'],
        ['exception.closed', 'work'],
        ['run.skipped', null],
      ]);
      // One correlation id per business change, on every item it caused.
      const firstChain = lineage.slice(0, 9);
      const secondChain = lineage.slice(9);
      expect(new Set(firstChain.map((i) => i.correlationId))).toEqual(new Set([first]));
      expect(new Set(secondChain.map((i) => i.correlationId))).toEqual(new Set([second]));
      expect(lineage.find((i) => i.kind === 'exception.closed')?.title).toContain(
        'skipped by operator-key (not needed)',
      );
      expect(lineage.some((i) => i.title.includes('cus_other'))).toBe(false);
    });

    it('shows the lineage of a key that has no canonical record yet, and 404s an unknown id', async () => {
      await h.send('acct_pending', { n: 1 });
      await h.settle();
      const res = await h.call('viewer', 'GET', '/v1/entities/acct_pending?limit=5');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: 'acct_pending', entity: null, xrefs: [] });
      expect(res.json().lineage.length).toBeGreaterThan(0);
      const missing = await h.call('viewer', 'GET', '/v1/entities/cus_unknown');
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('not_found');
    });
  });
}
