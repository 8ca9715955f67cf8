import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClock } from './clock.ts';
import { createEmulatorServer } from './emulator-server.ts';
import type { FaultConfigInput } from './fault-config.ts';
import { createFaultInjector } from './fault-injector.ts';
import { createRng } from './rng.ts';
import { createWebhookDispatcher, type WebhookEndpoint } from './webhook-dispatcher.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: { n: number };
}

/** A local webhook receiver answering with `statusFor(callIndex)`. */
async function receiver(statusFor: (call: number) => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(statusFor(received.length)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const close = () => new Promise<void>((r) => server.close(() => r()));
  cleanups.push(close);
  return { url, received, close };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

interface SecretEndpoint extends WebhookEndpoint {
  secret: string;
}

function dispatcher(config: FaultConfigInput = {}, seed = 1, backoffs: number[] = []) {
  const clock = createClock({ start: 1_700_000_000_000, frozen: true });
  const rng = createRng(seed);
  const faults = createFaultInjector({ rng: rng.fork('faults'), clock, config });
  const d = createWebhookDispatcher<SecretEndpoint>({
    rng: rng.fork('webhooks'),
    clock,
    faults,
    maxAttempts: 4,
    backoff: (n) => {
      backoffs.push(n);
      return 5;
    },
    sign: (payload, endpoint) => {
      const t = clock.nowSeconds();
      const v1 = createHmac('sha256', endpoint.secret).update(`${t}.${payload}`).digest('hex');
      return { 'stripe-signature': `t=${t},v1=${v1}` };
    },
  });
  cleanups.push(() => d.stop());
  return d;
}

describe('createWebhookDispatcher', () => {
  it('delivers signed JSON and retries with backoff until the receiver accepts', async () => {
    const hooks = await receiver((call) => (call <= 2 ? 500 : 200));
    const backoffs: number[] = [];
    const d = dispatcher({}, 1, backoffs);
    const id = d.send({ id: 'we_1', url: hooks.url, secret: 'whsec_x' }, { n: 1 });
    await d.idle();

    expect(hooks.received.map((r) => r.body)).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    expect(backoffs).toEqual([1, 2]);
    const sig = hooks.received[0]?.headers['stripe-signature'] as string;
    const expected = createHmac('sha256', 'whsec_x').update(`1700000000.{"n":1}`).digest('hex');
    expect(sig).toBe(`t=1700000000,v1=${expected}`);
    expect(hooks.received[0]?.headers['content-type']).toBe('application/json');

    const [delivery] = d.deliveries();
    expect(delivery).toMatchObject({
      id,
      endpointId: 'we_1',
      state: 'delivered',
      payload: { n: 1 },
    });
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
  });

  it('gives up after maxAttempts, also on network errors', async () => {
    const hooks = await receiver();
    await hooks.close();
    const d = dispatcher();
    d.send({ url: hooks.url, secret: 's' }, { n: 1 });
    await d.idle();
    const [delivery] = d.deliveries();
    expect(delivery?.state).toBe('failed');
    expect(delivery?.attempts).toHaveLength(4);
    expect(delivery?.attempts[0]?.error).toMatch(/fetch failed/);
  });

  it('lets later deliveries pass one that is waiting to retry', async () => {
    const hooks = await receiver((call) => (call === 1 ? 503 : 200));
    const d = dispatcher();
    const endpoint = { url: hooks.url, secret: 's' };
    d.send(endpoint, { n: 1 });
    d.send(endpoint, { n: 2 });
    await d.idle();
    expect(hooks.received.map((r) => r.body.n)).toEqual([1, 2, 1]);
  });

  it('sends one delivery at a time per URL by default, and up to `concurrency` when set', async () => {
    const maxInFlight = async (concurrency: number | undefined) => {
      let inFlight = 0;
      let max = 0;
      const server = createServer((req, res) => {
        inFlight++;
        max = Math.max(max, inFlight);
        req.resume();
        setTimeout(() => {
          inFlight--;
          res.writeHead(200).end();
        }, 30);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
      const d = createWebhookDispatcher({
        rng: createRng(1),
        clock: createClock(),
        ...(concurrency !== undefined && { concurrency }),
      });
      cleanups.push(() => d.stop());
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
      for (let n = 0; n < 12; n++) d.send({ url }, { n });
      await d.idle();
      expect(d.deliveries().every((x) => x.state === 'delivered')).toBe(true);
      return max;
    };
    expect(await maxInFlight(undefined)).toBe(1);
    expect(await maxInFlight(4)).toBe(4);
  });

  it('duplicates deliveries', async () => {
    const hooks = await receiver();
    const d = dispatcher({ webhooks: { duplicate: 1 } });
    const id = d.send({ url: hooks.url, secret: 's' }, { n: 1 });
    await d.idle();
    expect(hooks.received.map((r) => r.body)).toEqual([{ n: 1 }, { n: 1 }]);
    expect(d.deliveries().map((x) => x.duplicateOf)).toEqual([undefined, id]);
  });

  it('reorders held-back deliveries, the same way for the same seed', async () => {
    const order = async (seed: number) => {
      const hooks = await receiver();
      const d = dispatcher({ webhooks: { reorder: { p: 1, windowMs: 5 } } }, seed);
      for (let n = 1; n <= 8; n++) d.send({ url: hooks.url, secret: 's' }, { n });
      await d.idle();
      return hooks.received.map((r) => r.body.n);
    };
    const first = await order(11);
    expect([...first].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(first).not.toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await order(11)).toEqual(first);
  });

  it('delays deliveries and keeps their payloads intact', async () => {
    const hooks = await receiver();
    const d = dispatcher({ webhooks: { delay: { kind: 'uniform', min: 1, max: 10 } } });
    for (let n = 1; n <= 5; n++) d.send({ url: hooks.url, secret: 's' }, { n });
    await d.idle();
    expect(hooks.received.map((r) => r.body.n).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops: pending retries are cancelled and idle() resolves', async () => {
    const hooks = await receiver(() => 500);
    const d = createWebhookDispatcher({
      rng: createRng(1),
      clock: createClock(),
      backoff: () => 60_000,
    });
    d.send({ url: hooks.url }, { n: 1 });
    while (hooks.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    const idle = d.idle();
    await d.stop();
    await idle;
    expect(d.deliveries()[0]?.state).toBe('stopped');
    expect(() => d.send({ url: hooks.url }, { n: 2 })).toThrow(/stopped/);
  });

  it('shows deliveries in /_emulator/state and is stopped with the server', async () => {
    const hooks = await receiver();
    const d = dispatcher();
    const server = await createEmulatorServer({ name: 'wh', routes: [], webhooks: d });
    d.send({ url: hooks.url, secret: 's' }, { n: 1 });
    await d.idle();
    const state = (await (await fetch(`${server.url}/_emulator/state`)).json()) as {
      webhooks: { state: string }[];
    };
    expect(state.webhooks).toEqual([expect.objectContaining({ state: 'delivered' })]);
    await fetch(`${server.url}/_emulator/reset`, { method: 'POST' });
    expect(d.deliveries()).toEqual([]);
    await server.close();
    expect(() => d.send({ url: hooks.url, secret: 's' }, { n: 2 })).toThrow(/stopped/);
  });
});
