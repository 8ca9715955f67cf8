import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/engine/clock.ts';
import { Engine } from '../src/engine/engine.ts';
import { defineFlow, type Flow } from '../src/engine/flow.ts';
import { ValidationError } from '../src/model/revsync-error.ts';
import { UpcasterRegistry } from '../src/model/upcasters.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Store } from '../src/store/store.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/stores.ts';

/**
 * Events written by "v1 code" into a real inbox (a SQLite file, then a PostgreSQL database), read back by "v2 code" after a restart:
 * the router upcasts each event's data from its envelope's `schemaversion` (absent = 1), so a
 * flow built for v2 runs on v1 events; a parked v1 run is replayed through the v2 flow with its
 * stored input upcast by the flow's `upcastInput`.
 */

const TYPE = 'shop.order.placed';
// v1 data: { orderId, amountCents }; v2 data: { order: { id }, amount: { amount, currency } }
type V1 = { orderId: string; amountCents: number };
type V2 = { order: { id: string }; amount: { amount: number; currency: string } };
const toV2 = (value: unknown): V2 => {
  const v1 = value as V1;
  if (typeof v1.orderId !== 'string') throw new Error('orderId is missing');
  return { order: { id: v1.orderId }, amount: { amount: v1.amountCents, currency: 'USD' } };
};
const v2Upcasters = new UpcasterRegistry([{ schema: TYPE, from: 1, up: toV2 }]);

let database: TestDatabase;
let store: Store | undefined;
const clock = new ManualClock();

async function open(): Promise<Store> {
  store = await openStore({ url: database.url });
  return store;
}

async function close(): Promise<void> {
  await store?.close();
  store = undefined;
}

function engine(s: Store, flows: Flow[], upcasters?: UpcasterRegistry): Engine {
  return new Engine({
    store: s,
    flows,
    clock,
    random: () => 0.5,
    logger: pino({ level: 'silent' }),
    ...(upcasters && { upcasters }),
  });
}

function event(id: string, data: unknown, extra: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id,
    source: 'shop',
    type: TYPE,
    entitykey: 'cust-1',
    data,
    ...extra,
  };
}

describe.each(DIALECTS)('upcasting stored events and run inputs on replay [%s]', (dialect) => {
  beforeEach(async () => {
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await close();
    await database.dispose();
  });

  it('an inbox holding v1 events replays through a flow built for v2', async () => {
    // v1 code accepted two events (one from before version markers, one marked v1) and stopped
    // before routing them.
    let s = await open();
    const v1 = engine(s, []);
    await v1.inbox.append(event('o-1', { orderId: 'ord_1', amountCents: 1250 }));
    await v1.inbox.append(
      event('o-2', { orderId: 'ord_2', amountCents: 99 }, { schemaversion: 1 }),
    );
    await v1.stop();
    await close();

    // v2 code: the flow reads v2 data only; a v2 event (already current) comes in as well.
    s = await open();
    const seen: V2[] = [];
    const flow = defineFlow<V2>({
      name: 'post-order',
      version: 2,
      triggers: [TYPE],
      async run(ctx, input) {
        seen.push(input);
        return ctx.step(
          'post',
          () => `${input.order.id}:${input.amount.amount}${input.amount.currency}`,
        );
      },
    });
    const v2 = engine(s, [flow], v2Upcasters);
    await v2.inbox.append(
      event(
        'o-3',
        { order: { id: 'ord_3' }, amount: { amount: 5, currency: 'EUR' } },
        { schemaversion: 2 },
      ),
    );
    await v2.runUntilIdle();
    await v2.stop();

    expect(seen).toEqual([
      { order: { id: 'ord_1' }, amount: { amount: 1250, currency: 'USD' } },
      { order: { id: 'ord_2' }, amount: { amount: 99, currency: 'USD' } },
      { order: { id: 'ord_3' }, amount: { amount: 5, currency: 'EUR' } },
    ]);
    const runs = await s.runs.list(s.db, { flow: 'post-order' });
    expect(runs.map((r) => [r.status, r.output]).sort()).toEqual([
      ['completed', 'ord_1:1250USD'],
      ['completed', 'ord_2:99USD'],
      ['completed', 'ord_3:5EUR'],
    ]);
    // the event log keeps the canonical events as flows saw them, at the current version
    const logged = await s.events.listForInboxEvent(s.db, 1);
    expect(logged.map((e) => [e.schemaVersion, e.data])).toEqual([
      [2, { order: { id: 'ord_1' }, amount: { amount: 1250, currency: 'USD' } }],
    ]);
  });

  it('an event newer than the code, or one the upcaster cannot convert, is poison with the reason', async () => {
    const s = await open();
    const flow = defineFlow({ name: 'post-order', triggers: [TYPE], run: async () => 'ran' });
    const e = engine(s, [flow], v2Upcasters);
    await e.inbox.append(event('o-9', { whatever: true }, { schemaversion: 3 }));
    await e.inbox.append(event('o-10', { amountCents: 1 }, { schemaversion: 1 }));
    await e.runUntilIdle();
    await e.stop();
    const exceptions = await s.exceptions.list(s.db, {});
    expect(exceptions.map((x) => x.message).sort()).toEqual([
      expect.stringMatching(/o-10 .*upcasting v1 → v2 failed: orderId is missing/),
      expect.stringMatching(/o-9 .*schema version 3, newer than this code's v2/),
    ]);
    expect(await s.runs.list(s.db, { flow: 'post-order' })).toEqual([]);
  });

  it('a run parked under flow v1 is retried through flow v2 with its stored input upcast', async () => {
    let s = await open();
    const v1Flow = defineFlow<V1>({
      name: 'post-order',
      version: 1,
      triggers: [TYPE],
      async run(ctx) {
        return ctx.step('post', () => {
          throw new ValidationError('the ERP refused the order');
        });
      },
    });
    const v1 = engine(s, [v1Flow]);
    await v1.inbox.append(event('o-1', { orderId: 'ord_1', amountCents: 1250 }));
    await v1.runUntilIdle();
    await v1.stop();
    const [parked] = await s.runs.list(s.db, { flow: 'post-order' });
    expect(parked).toMatchObject({ status: 'parked', flowVersion: 1, input: { orderId: 'ord_1' } });
    await close();

    s = await open();
    const inputs: { fromVersion: number; input: unknown }[] = [];
    const v2Flow = defineFlow<V2>({
      name: 'post-order',
      version: 2,
      triggers: [TYPE],
      upcastInput: (input, fromVersion) => {
        inputs.push({ fromVersion, input });
        return toV2(input);
      },
      async run(ctx, input) {
        return ctx.step('post', () => `${input.order.id}:${input.amount.amount}`);
      },
    });
    const v2 = engine(s, [v2Flow], v2Upcasters);
    const [exception] = await s.exceptions.list(s.db, { runId: parked!.id });
    await v2.exceptions.retry(exception!.id, { actor: 'ops' });
    await v2.runUntilIdle();
    await v2.stop();
    const done = await s.runs.getById(s.db, parked!.id);
    expect(done).toMatchObject({ status: 'completed', output: 'ord_1:1250', flowVersion: 1 });
    expect(inputs).toEqual([{ fromVersion: 1, input: { orderId: 'ord_1', amountCents: 1250 } }]);
  });
});
