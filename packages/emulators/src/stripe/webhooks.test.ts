import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from './index.ts';
import { signPayload } from './webhooks.ts';

interface Received {
  body: string;
  signature: string;
}

/** A local webhook receiver; `failFirst` answers 500 to that many requests first. */
async function startReceiver(failFirst = 0) {
  const received: Received[] = [];
  let failures = failFirst;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('not yet');
        return;
      }
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers['stripe-signature']),
      });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const sdk = (emu: StripeEmulator) =>
  new Stripe('sk_test_webhooks', {
    host: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });

describe('signed webhooks', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let emu: StripeEmulator;
  const secret = 'whsec_test_listen';

  beforeAll(async () => {
    receiver = await startReceiver();
    emu = await startStripeEmulator({
      port: 0,
      rateLimit: 0,
      webhookUrl: receiver.url,
      webhookSecret: secret,
    });
  });
  afterAll(async () => {
    await emu.close();
    await receiver.close();
  });

  it('delivers events that stripe.webhooks.constructEvent accepts, and rejects a tampered one', async () => {
    const stripe = sdk(emu);
    const customer = await stripe.customers.create({ email: 'hook@example.com' });
    await emu.flushWebhooks();
    expect(receiver.received.length).toBeGreaterThan(0);
    const events = receiver.received.map((r) =>
      stripe.webhooks.constructEvent(r.body, r.signature, secret),
    );
    const created = events.find(
      (e) => e.type === 'customer.created',
    ) as Stripe.CustomerCreatedEvent;
    expect(created.data.object.id).toBe(customer.id);
    expect(created.id).toMatch(/^evt_/);
    expect(created.pending_webhooks).toBe(1);

    const { body, signature } = receiver.received[0] as Received;
    const tampered = body.replace('"livemode":false', '"livemode":true');
    expect(tampered).not.toBe(body);
    expect(() => stripe.webhooks.constructEvent(tampered, signature, secret)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(() => stripe.webhooks.constructEvent(body, signature, 'whsec_wrong')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it('signs exactly like Stripe: t=…,v1=HMAC-SHA256(secret, "t.body")', () => {
    const stripe = sdk(emu);
    const payload = JSON.stringify({ id: 'evt_1', object: 'event' });
    const header = signPayload(payload, secret, 1_700_000_000);
    const expected = stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      timestamp: 1_700_000_000,
    });
    expect(header).toBe(expected);
  });
});

describe('webhook endpoints', () => {
  it('returns the secret once, filters enabled_events and retries a failing receiver', async () => {
    const receiver = await startReceiver(2);
    const emu = await startStripeEmulator({ port: 0, rateLimit: 0, webhookBackoffMs: 5 });
    try {
      const stripe = sdk(emu);
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['product.created'],
      });
      expect(endpoint.secret).toMatch(/^whsec_/);
      const again = await stripe.webhookEndpoints.retrieve(endpoint.id);
      expect(again.secret).toBeUndefined();
      expect((await stripe.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([endpoint.id]);

      await stripe.customers.create({ name: 'not delivered' });
      const product = await stripe.products.create({ name: 'delivered' });
      await emu.flushWebhooks();
      expect(receiver.received).toHaveLength(1);
      const event = stripe.webhooks.constructEvent(
        receiver.received[0]!.body,
        receiver.received[0]!.signature,
        endpoint.secret!,
      );
      expect(event.type).toBe('product.created');
      expect((event.data.object as Stripe.Product).id).toBe(product.id);
      const state = (await (await fetch(`${emu.url}/_emulator/state`)).json()) as {
        webhooks: { state: string; attempts: unknown[] }[];
      };
      expect(state.webhooks[0]?.state).toBe('delivered');
      expect(state.webhooks[0]?.attempts).toHaveLength(3);

      const removed = await stripe.webhookEndpoints.del(endpoint.id);
      expect(removed.deleted).toBe(true);
    } finally {
      await emu.close();
      await receiver.close();
    }
  });

  it('applies the kit’s webhook faults (duplicates keep the event id)', async () => {
    const receiver = await startReceiver();
    const emu = await startStripeEmulator({
      port: 0,
      rateLimit: 0,
      faults: { webhooks: { duplicate: 1 } },
    });
    try {
      const stripe = sdk(emu);
      const { secret } = emu.webhookEndpoint(receiver.url, ['customer.created']);
      await stripe.customers.create({ name: 'twice' });
      await emu.flushWebhooks();
      expect(receiver.received).toHaveLength(2);
      const ids = receiver.received.map(
        (r) => stripe.webhooks.constructEvent(r.body, r.signature, secret).id,
      );
      expect(ids[0]).toBe(ids[1]);
    } finally {
      await emu.close();
      await receiver.close();
    }
  });
});
