import { describe, expect, it } from 'vitest';
import { Governor } from './governor.ts';

describe('governor', () => {
  it('serves waiting requests by lane, highest first, whatever arrived first', async () => {
    const governor = new Governor({ maxConcurrent: 1 });
    const order: string[] = [];
    const hold = await governor.acquire('normal');
    const waiting = [
      governor.acquire('low').then((r) => (order.push('low'), r())),
      governor.acquire('normal').then((r) => (order.push('normal'), r())),
      governor.acquire('critical').then((r) => (order.push('critical'), r())),
      governor.acquire('high').then((r) => (order.push('high'), r())),
    ];
    expect(governor.state().queued).toEqual({ critical: 1, high: 1, normal: 1, low: 1 });
    hold();
    await Promise.all(waiting);
    expect(order).toEqual(['critical', 'high', 'normal', 'low']);
  });

  it('caps requests in flight', async () => {
    const governor = new Governor({ maxConcurrent: 2 });
    const a = await governor.acquire();
    await governor.acquire();
    let third = false;
    const pending = governor.acquire().then((r) => {
      third = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(third).toBe(false);
    expect(governor.state().inFlight).toBe(2);
    a();
    (await pending)();
    expect(third).toBe(true);
  });

  it('spaces grants by the rate and holds them during a Retry-After pause', async () => {
    let now = 0;
    const governor = new Governor({ ratePerSecond: 10 }, { now: () => now });
    (await governor.acquire())();
    let granted = false;
    const next = governor.acquire().then((r) => ((granted = true), r()));
    await new Promise((r) => setTimeout(r, 5));
    expect(granted).toBe(false); // no token yet: the clock has not moved
    now += 100;
    await next;
    expect(granted).toBe(true);
    governor.pause(1000);
    expect(governor.state().pausedUntil).toBe(1100);
  });

  it('drops a waiter whose signal aborts', async () => {
    const governor = new Governor({ maxConcurrent: 1 });
    const hold = await governor.acquire();
    const controller = new AbortController();
    const waiting = governor.acquire('normal', controller.signal);
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect(governor.state().queued.normal).toBe(0);
    hold();
  });
});
