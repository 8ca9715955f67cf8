import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ValidationError } from '../../model/revsync-error.ts';
import { startStripeFixture, type StripeFixture } from './emulator-fixture.ts';
import { createStripeWebhookSource } from './webhooks.ts';

interface Delivery {
  body: Buffer;
  headers: IncomingHttpHeaders;
}

let fx: StripeFixture;
let receiver: Server;
const deliveries: Delivery[] = [];
let secret: string;

beforeAll(async () => {
  fx = await startStripeFixture({ seed: 3 });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ body: Buffer.concat(chunks), headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  secret = fx.emu.webhookEndpoint(`http://127.0.0.1:${port}/webhooks/stripe`).secret;
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await fx.close();
});

describe('stripe webhooks', () => {
  it('verifies an emulator delivery and maps it like the poller does', async () => {
    const connector = fx.connector({ webhookSecret: secret });
    const { id } = await connector.port.upsertCustomer(
      { revsyncId: 'cus_rs_hook', name: 'Hook Co', currency: 'USD' },
      { idempotencyKey: fx.key() },
    );
    await fx.emu.flushWebhooks();
    const delivery = deliveries.find((d) => d.body.toString('utf8').includes(id));
    expect(delivery).toBeDefined();
    expect(delivery!.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]+/);

    const events = connector.webhooks!.verify(delivery!.body, delivery!.headers);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toMatchObject({
      source: 'stripe',
      type: 'stripe.customer.created',
      subject: id,
      data: { id, object: 'customer', name: 'Hook Co' },
    });
    expect(event.id).toMatch(/^evt_/);
    const raw = JSON.parse(delivery!.body.toString('utf8')) as { created: number };
    expect(event.time).toBe(new Date(raw.created * 1000).toISOString());

    // The same event read by the poller is the same envelope (one inbox entry).
    const polled = await connector.pollers[0]!.poll(undefined);
    const same = polled.events.find((e) => e.id === event.id);
    expect(same).toEqual(event);

    // The body as a string verifies too.
    expect(connector.webhooks!.verify(delivery!.body.toString('utf8'), delivery!.headers)).toEqual(
      events,
    );
  });

  it('refuses a tampered body, a wrong secret, a stale or missing signature', async () => {
    const delivery = deliveries.find((d) => d.body.toString('utf8').includes('Hook Co'))!;
    const source = createStripeWebhookSource({ secret });
    expect(source.verify(delivery.body, delivery.headers)).toHaveLength(1);
    const tampered = Buffer.from(delivery.body.toString('utf8').replace('Hook Co', 'Evil Co'));
    expect(() => source.verify(tampered, delivery.headers)).toThrow(AuthError);
    expect(() =>
      createStripeWebhookSource({ secret: 'whsec_other' }).verify(delivery.body, delivery.headers),
    ).toThrow(AuthError);
    const { 'stripe-signature': _signature, ...unsigned } = delivery.headers;
    expect(() => source.verify(delivery.body, unsigned)).toThrow(AuthError);

    const payload = delivery.body.toString('utf8');
    const stale = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect(() => source.verify(payload, { 'Stripe-Signature': stale })).toThrow(AuthError);
    const fresh = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect(source.verify(payload, { 'Stripe-Signature': fresh })).toHaveLength(1);
  });

  it('refuses a signed body that is not a Stripe event', () => {
    const source = createStripeWebhookSource({ secret });
    for (const payload of ['{"hello":"world"}', 'not json']) {
      const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
      expect(() => source.verify(payload, { 'stripe-signature': header })).toThrow(ValidationError);
    }
  });
});
