/**
 * Conformance: the emulator driven only through the official `chargebee` SDK (v3) — create,
 * retrieve, update, list with offset paging, idempotent replay, a 429 the SDK retries, and
 * webhook deliveries with Basic auth — plus the proration arithmetic.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Chargebee, { basicAuthValidator } from 'chargebee';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuthHeader,
  prorate,
  startChargebeeEmulator,
  type ChargebeeEmulator,
} from './index.ts';

const KEY = 'test_conformance';
let emu: ChargebeeEmulator;

function sdk(options: { retry?: boolean; apiKey?: string } = {}): Chargebee {
  return new Chargebee({
    site: emu.site,
    apiKey: options.apiKey ?? KEY,
    hostSuffix: '',
    protocol: 'http',
    port: emu.port,
    ...(options.retry && { retryConfig: { enabled: true, maxRetries: 3, delayMs: 10 } }),
  });
}

async function catalog(cb: Chargebee, code: string, price: number) {
  await cb.itemFamily.create({ id: `fam-${code}`, name: `Family ${code}` }).catch(() => undefined);
  await cb.item.create({ id: code, name: code, type: 'plan', item_family_id: `fam-${code}` });
  const { item_price } = await cb.itemPrice.create({
    id: `${code}-USD-monthly`,
    item_id: code,
    name: `${code} monthly`,
    pricing_model: 'per_unit',
    price,
    currency_code: 'USD',
    period: 1,
    period_unit: 'month',
  });
  return item_price.id;
}

beforeAll(async () => {
  emu = await startChargebeeEmulator({ port: 0, ratePerMinute: 0 });
});
afterAll(async () => {
  await emu.close();
});

describe('chargebee emulator × chargebee SDK', () => {
  it('refuses a request without a valid key (401, Chargebee error body)', async () => {
    const error = await sdk({ apiKey: 'live_wrong' })
      .customer.list({ limit: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({
      http_status_code: 401,
      api_error_code: 'api_authentication_failed',
    });
  });

  it('creates, retrieves, updates and lists customers with offset paging', async () => {
    const cb = sdk();
    const created = await cb.customer.create({
      id: 'cus_conformance_1',
      company: 'Acme',
      email: 'a@acme.test',
      meta_data: { revsync_customer_id: 'cus_conformance_1' },
      billing_address: { line1: '1 Main St', country: 'GB' },
    });
    expect(created.customer).toMatchObject({
      id: 'cus_conformance_1',
      company: 'Acme',
      object: 'customer',
    });
    expect(created.customer.meta_data).toEqual({ revsync_customer_id: 'cus_conformance_1' });
    const dup = await cb.customer.create({ id: 'cus_conformance_1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(dup).toMatchObject({
      http_status_code: 400,
      api_error_code: 'duplicate_entry',
      type: 'invalid_request',
    });

    await cb.customer.update('cus_conformance_1', { company: 'Acme Ltd' });
    expect((await cb.customer.retrieve('cus_conformance_1')).customer.company).toBe('Acme Ltd');
    const missing = await cb.customer.retrieve('nope').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ http_status_code: 404, api_error_code: 'resource_not_found' });

    for (let i = 2; i <= 5; i++) await cb.customer.create({ id: `cus_conformance_${i}` });
    const seen: string[] = [];
    let offset: string | undefined;
    let pages = 0;
    do {
      const res = await cb.customer.list({ limit: 2, ...(offset !== undefined && { offset }) });
      pages += 1;
      seen.push(...res.list.map((e) => e.customer.id));
      offset = res.next_offset;
    } while (offset !== undefined);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    const filtered = await cb.customer.list({ id: { is: 'cus_conformance_3' } });
    expect(filtered.list.map((e) => e.customer.id)).toEqual(['cus_conformance_3']);
  });

  it('replays an idempotent POST and refuses the key with other parameters', async () => {
    const cb = sdk();
    const headers = { 'chargebee-idempotency-key': 'conformance-key-1' };
    const first = await cb.customer.create({ company: 'Once' }, headers);
    const again = await cb.customer.create({ company: 'Once' }, headers);
    expect(again.customer.id).toBe(first.customer.id);
    expect(again.isIdempotencyReplayed).toBe('true');
    expect(first.isIdempotencyReplayed).toBe(false);
    const other = await cb.customer.create({ company: 'Twice' }, headers).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(other).toMatchObject({ http_status_code: 409 });
    const all = await cb.customer.list({ limit: 100, company: { is: 'Once' } });
    expect(all.list).toHaveLength(1);
  });

  it('bills a subscription, prorates a mid-term upgrade day by day and renews through the time machine', async () => {
    const cb = sdk();
    const priceId = await catalog(cb, 'SEAT', 3_000);
    await cb.customer.create({ id: 'cus_sub', billing_address: { country: 'GB' } });
    await cb.paymentSource.createUsingTempToken({
      customer_id: 'cus_sub',
      type: 'card',
      tmp_token: 'tok_visa',
    });
    const created = await cb.subscription.createWithItems('cus_sub', {
      subscription_items: [{ item_price_id: priceId, quantity: 2 }],
      meta_data: { revsync_customer_id: 'cus_sub' },
    });
    const sub = created.subscription;
    expect(created.invoice).toMatchObject({
      status: 'paid',
      sub_total: 6_000,
      tax: 1_200,
      total: 7_200,
      first_invoice: true,
    });

    // Ten days into the term: 2 → 5 seats, prorated and invoiced at once.
    const start = sub.current_term_start!;
    const end = sub.current_term_end!;
    emu.clock.set((start + 10 * 86_400) * 1000);
    const updated = await cb.subscription.updateForItems(sub.id, {
      subscription_items: [{ item_price_id: priceId, quantity: 5 }],
      prorate: true,
      invoice_immediately: true,
    });
    const expected = prorate(9_000, start, end, start + 10 * 86_400);
    expect(updated.invoice?.line_items).toEqual([
      expect.objectContaining({
        amount: expected,
        proration_mode: 'delta',
        date_from: start + 10 * 86_400,
      }),
    ]);
    expect(updated.invoice).toMatchObject({ status: 'paid', sub_total: expected });
    expect(updated.subscription.subscription_items?.[0]).toMatchObject({
      quantity: 5,
      amount: 15_000,
    });

    // A downgrade credits the unused part as an adjustment credit note.
    const down = await cb.subscription.updateForItems(sub.id, {
      subscription_items: [{ item_price_id: priceId, quantity: 4 }],
    });
    expect(down.invoice).toBeUndefined();
    expect(down.credit_notes?.[0]).toMatchObject({
      type: 'adjustment',
      reference_invoice_id: updated.invoice!.id,
    });

    await cb.timeMachine.travelForward('delorean', { destination_time: end + 3_600 });
    const tm = await cb.timeMachine.retrieve('delorean');
    expect(tm.time_machine.time_travel_status).toBe('succeeded');
    const invoices = await cb.invoice.list({ subscription_id: { is: sub.id }, limit: 10 });
    expect(invoices.list[0]!.invoice).toMatchObject({
      sub_total: 12_000,
      date: expect.any(Number),
    });
    expect(emu.events('subscription_renewed')).toHaveLength(1);
  });

  it('pages the events list after a time, oldest first', async () => {
    const cb = sdk();
    const after = emu.state.events[0]!.occurred_at - 1;
    const ids: string[] = [];
    let offset: string | undefined;
    do {
      const res = await cb.event.list({
        limit: 3,
        occurred_at: { after },
        'sort_by[asc]': 'occurred_at',
        ...(offset !== undefined && { offset }),
      });
      ids.push(...res.list.map((e) => e.event.id));
      offset = res.next_offset;
    } while (offset !== undefined);
    expect(ids).toEqual(emu.state.events.map((e) => e.id));
    const one = await cb.event.retrieve(ids[0]!);
    expect(one.event).toMatchObject({ id: ids[0], api_version: 'v2', object: 'event' });
  });

  it('answers a 429 with Retry-After over the site limit, which the SDK retries', async () => {
    const limited = await startChargebeeEmulator({ port: 0, ratePerMinute: 60 });
    try {
      const client = (retry: boolean) =>
        new Chargebee({
          site: limited.site,
          apiKey: KEY,
          hostSuffix: '',
          protocol: 'http',
          port: limited.port,
          ...(retry && { retryConfig: { enabled: true, maxRetries: 3, delayMs: 10 } }),
        });
      for (let i = 0; i < 60; i++) await client(false).customer.list({ limit: 1 });
      const error = await client(false)
        .customer.list({ limit: 1 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toMatchObject({
        http_status_code: 429,
        api_error_code: 'api_request_limit_exceeded',
      });
      expect((error as { headers: Record<string, string> }).headers['retry-after']).toBe('1');
      const res = await client(true).customer.list({ limit: 1 });
      expect(res.list).toEqual([]);
      const statuses = limited.app.requests.list().map((r) => r.status);
      expect(statuses.slice(-2)).toEqual([429, 200]);
    } finally {
      await limited.close();
    }
  }, 20_000);

  it('delivers webhooks with Basic auth, which the SDK handler verifies', async () => {
    const received: { auth: string | undefined; body: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      emu.webhookEndpoint(url, { username: 'hook-user', password: 'hook-pass' });
      await sdk().customer.create({ id: 'cus_webhook' });
      await emu.flushWebhooks();
      const delivery = received.find((r) => r.body.includes('cus_webhook'))!;
      expect(delivery.auth).toBe(basicAuthHeader('hook-user', 'hook-pass'));
      const cb = sdk();
      const handler = cb.webhooks.createHandler({
        requestValidator: basicAuthValidator((u, p) => u === 'hook-user' && p === 'hook-pass'),
      });
      const events: string[] = [];
      const refused: unknown[] = [];
      handler.on('customer_created', ({ event }) => {
        events.push(event.id);
      });
      handler.on('error', (error) => {
        refused.push(error);
      });
      await handler.handle({ body: delivery.body, headers: { authorization: delivery.auth! } });
      expect(events).toHaveLength(1);
      await handler.handle({
        body: delivery.body,
        headers: { authorization: basicAuthHeader('hook-user', 'wrong') },
      });
      expect(events).toHaveLength(1);
      expect(refused).toEqual([expect.objectContaining({ name: 'WebhookAuthenticationError' })]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
