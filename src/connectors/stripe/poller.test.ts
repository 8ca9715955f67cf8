import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PollSource, VendorEvent } from '../ports.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import { startStripeFixture, type StripeFixture } from './emulator-fixture.ts';

let fx: StripeFixture;

beforeAll(async () => {
  fx = await startStripeFixture({ seed: 11 });
});
afterAll(() => fx.close());

async function drain(source: PollSource, cursor: string | undefined, limit: number) {
  const events: VendorEvent[] = [];
  const pages: { count: number; hasMore: boolean }[] = [];
  for (;;) {
    const result = await source.poll(cursor, { limit });
    events.push(...result.events);
    pages.push({ count: result.events.length, hasMore: result.hasMore });
    cursor = result.cursor;
    if (!result.hasMore) return { events, cursor, pages };
  }
}

describe('stripe /v1/events poller', () => {
  it('reads every event oldest first across pages: no duplicates, no gaps, hasMore', async () => {
    for (let i = 0; i < 7; i++) await fx.sdk.customers.create({ name: `Poll ${i}` });
    const source = fx.connector({ pageSize: 3 }).pollers[0]!;
    expect(source.cursorName).toBe('stripe:events');

    const first = await drain(source, undefined, 3);
    const expected = fx.emu.events().map((e) => e.id);
    expect(expected.length).toBeGreaterThanOrEqual(7);
    expect(first.events.map((e) => e.id)).toEqual(expected);
    expect(first.pages.map((p) => p.hasMore)).toEqual([
      ...first.pages.slice(0, -1).map(() => true),
      false,
    ]);
    expect(first.pages.length).toBeGreaterThan(2);
    expect(first.cursor).toMatch(/^evt_\w+@\d+$/);

    const envelope = first.events[0]!;
    expect(envelope).toMatchObject({
      specversion: '1.0',
      source: 'stripe',
      type: 'stripe.customer.created',
      datacontenttype: 'application/json',
    });
    expect(envelope.subject).toMatch(/^cus_/);
    expect((envelope.data as { id: string }).id).toBe(envelope.subject);

    // Nothing new: same cursor, nothing returned.
    const idle = await source.poll(first.cursor, { limit: 3 });
    expect(idle).toEqual({ events: [], cursor: first.cursor, hasMore: false });

    // New events after the cursor, and only those.
    for (let i = 0; i < 4; i++) await fx.sdk.customers.create({ name: `Later ${i}` });
    const next = await drain(source, first.cursor, 3);
    const all = fx.emu.events().map((e) => e.id);
    expect(next.events.map((e) => e.id)).toEqual(all.slice(expected.length));
    expect(next.events.every((e) => e.type === 'stripe.customer.created')).toBe(true);
  });

  it('starts at startAt and filters by type when asked', async () => {
    const created = await fx.sdk.customers.create({ name: 'Typed' });
    await fx.sdk.customers.update(created.id, { name: 'Typed 2' });
    const source = fx.connector({
      events: { types: ['customer.updated'], startAt: new Date(0).toISOString() },
    }).pollers[0]!;
    const { events } = await drain(source, undefined, 100);
    expect(events.map((e) => [e.type, e.subject])).toEqual([
      ['stripe.customer.updated', created.id],
    ]);
  });

  it('restarts from the cursor’s second when the cursor event is gone (duplicates, no gaps)', async () => {
    const source = fx.connector().pollers[0]!;
    const newest = fx.emu.events().at(-1)!;
    const result = await source.poll(`evt_expired@${newest.created}`, { limit: 100 });
    const ids = result.events.map((e) => e.id);
    expect(ids).toContain(newest.id);
    expect(result.cursor).toBe(`${newest.id}@${newest.created}`);
  });

  it('refuses a cursor that is not its own', async () => {
    const source = fx.connector().pollers[0]!;
    await expect(source.poll('12345')).rejects.toBeInstanceOf(ValidationError);
  });
});
