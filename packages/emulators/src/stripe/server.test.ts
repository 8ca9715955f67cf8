import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from './index.ts';

let emu: StripeEmulator;
let stripe: Stripe;

const client = (key: string, port: number) =>
  new Stripe(key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });

beforeAll(async () => {
  emu = await startStripeEmulator({ port: 0, rateLimit: 0 });
  stripe = client('sk_test_api', emu.port);
});
afterAll(() => emu.close());

async function fail(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Stripe.errors.StripeError);
  return err as Stripe.errors.StripeError;
}

describe('auth, errors and headers', () => {
  it('answers 401 as StripeAuthenticationError for a malformed or live key', async () => {
    const err = await fail(client('sk_live_nope', emu.port).customers.list());
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err.statusCode).toBe(401);
    expect(err.message).toMatch(/^Invalid API Key provided: sk_live_\*+nope$/);
    expect(err.requestId).toMatch(/^req_/);
  });

  it('accepts only the configured key when apiKey is set', async () => {
    const strict = await startStripeEmulator({ port: 0, apiKey: 'sk_test_only', rateLimit: 0 });
    try {
      await expect(client('sk_test_only', strict.port).customers.list()).resolves.toMatchObject({
        object: 'list',
      });
      const err = await fail(client('sk_test_other', strict.port).customers.list());
      expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      const res = await fetch(`${strict.url}/v1/customers`);
      expect(res.status).toBe(401);
      expect(res.headers.get('request-id')).toMatch(/^req_/);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe(
        'invalid_request_error',
      );
    } finally {
      await strict.close();
    }
  });

  it('uses Stripe’s error bodies: resource_missing, parameter_missing, parameter_unknown', async () => {
    const missing = await fail(stripe.customers.retrieve('cus_doesnotexist'));
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing.statusCode).toBe(404);
    expect(missing.code).toBe('resource_missing');
    expect(missing.param).toBe('id');
    expect(missing.message).toBe("No such customer: 'cus_doesnotexist'");
    expect(missing.doc_url).toBe('https://stripe.com/docs/error-codes/resource-missing');

    const noParam = await fail(stripe.prices.create({ currency: 'usd', unit_amount: 100 }));
    expect(noParam.code).toBe('parameter_missing');
    expect(noParam.param).toBe('product');

    const unknown = await fail(
      stripe.customers.create({ nickname: 'x' } as Stripe.CustomerCreateParams),
    );
    expect(unknown.code).toBe('parameter_unknown');
    expect(unknown.param).toBe('nickname');

    const badInt = await fail(stripe.customers.list({ limit: 101 }));
    expect(badInt.statusCode).toBe(400);
    expect(badInt.param).toBe('limit');

    const route = await fetch(`${emu.url}/v1/nothing_here`, {
      headers: { authorization: 'Bearer sk_test_api' },
    });
    expect(route.status).toBe(404);
    expect(((await route.json()) as { error: { message: string } }).error.message).toMatch(
      /^Unrecognized request URL \(GET: \/v1\/nothing_here\)/,
    );
  });

  it('sends Request-Id and Stripe-Version on every answer and accepts Stripe-Version', async () => {
    const c = await stripe.customers.create({ name: 'Headers' });
    const headers = c.lastResponse.headers;
    expect(c.lastResponse.requestId).toMatch(/^req_/);
    expect(headers['stripe-version']).toBe('2026-10-28.endive');
    expect(headers['idempotency-key']).toMatch(/^stripe-node-retry-/);
  });

  it('answers injected faults in Stripe’s shape (StripeAPIError on 5xx)', async () => {
    const faulty = await startStripeEmulator({
      port: 0,
      rateLimit: 0,
      faults: { rules: [{ match: 'POST /v1/customers', error: { p: 1, statuses: [503] } }] },
    });
    try {
      const err = await fail(client('sk_test_faults', faulty.port).customers.create({ name: 'x' }));
      expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect(err.statusCode).toBe(503);
      expect(err.rawType).toBe('api_error');
      expect(err.requestId).toMatch(/^req_/);
    } finally {
      await faulty.close();
    }
  });
});

describe('rate limit', () => {
  it('answers 429 as StripeRateLimitError past the configured rate', async () => {
    const limited = await startStripeEmulator({ port: 0, rateLimit: 3 });
    try {
      const s = client('sk_test_limited', limited.port);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => s.customers.list()));
      const rejected = results
        .filter((r) => r.status === 'rejected')
        .map((r) => (r as PromiseRejectedResult).reason as unknown);
      expect(rejected.length).toBeGreaterThan(0);
      const err = rejected[0] as Stripe.errors.StripeError;
      expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(err.statusCode).toBe(429);
      expect(err.code).toBe('rate_limit');
      // Another key has its own budget.
      await expect(
        client('sk_test_other_key', limited.port).customers.list(),
      ).resolves.toBeDefined();
    } finally {
      await limited.close();
    }
  });
});

describe('idempotency', () => {
  it('replays the first response for the same key and parameters', async () => {
    const key = 'order-42-create-customer';
    const first = await stripe.customers.create(
      { email: 'idem@example.com' },
      { idempotencyKey: key },
    );
    const again = await stripe.customers.create(
      { email: 'idem@example.com' },
      { idempotencyKey: key },
    );
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    const all = await stripe.customers.list({ email: 'idem@example.com' });
    expect(all.data).toHaveLength(1);
    expect(
      emu.events('customer.created').filter((e) => e.request.idempotency_key === key),
    ).toHaveLength(1);
  });

  it('raises StripeIdempotencyError for the same key with other parameters', async () => {
    const key = 'order-43';
    await stripe.customers.create({ email: 'one@example.com' }, { idempotencyKey: key });
    const err = await fail(
      stripe.customers.create({ email: 'two@example.com' }, { idempotencyKey: key }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err.statusCode).toBe(400);
    expect(err.message).toMatch(/same parameters/);
    const otherEndpoint = await fail(
      stripe.products.create({ name: 'x' }, { idempotencyKey: key }),
    );
    expect(otherEndpoint).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('replays errors too (a declined payment is not retried), and scopes keys per API key', async () => {
    const key = 'pay-declined-1';
    const params: Stripe.PaymentIntentCreateParams = {
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_chargeDeclined',
      confirm: true,
    };
    const e1 = await fail(stripe.paymentIntents.create(params, { idempotencyKey: key }));
    const e2 = await fail(stripe.paymentIntents.create(params, { idempotencyKey: key }));
    expect(e1).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(e2.charge).toBe(e1.charge);
    expect(e2.headers?.['idempotent-replayed']).toBe('true');
    const other = await fail(
      client('sk_test_second', emu.port).paymentIntents.create(params, { idempotencyKey: key }),
    );
    expect(other.charge).not.toBe(e1.charge);
  });

  it('expires keys after 24 hours of emulator time', async () => {
    const clock = await startStripeEmulator({ port: 0, rateLimit: 0 });
    try {
      const s = client('sk_test_ttl', clock.port);
      const a = await s.products.create({ name: 'p' }, { idempotencyKey: 'k' });
      clock.advanceClock(24 * 3600 * 1000 + 1000);
      const b = await s.products.create({ name: 'p' }, { idempotencyKey: 'k' });
      expect(b.id).not.toBe(a.id);
    } finally {
      await clock.close();
    }
  });
});

describe('lists, search and expand', () => {
  it('auto-paginates more than 250 customers, newest first', async () => {
    const own = await startStripeEmulator({ port: 0, rateLimit: 0, seed: 7 });
    try {
      const s = client('sk_test_pages', own.port);
      const created: string[] = [];
      for (let batch = 0; batch < 13; batch++) {
        const made = await Promise.all(
          Array.from({ length: 20 }, (_, i) => s.customers.create({ name: `C${batch * 20 + i}` })),
        );
        created.push(...made.map((c) => c.id));
      }
      const all = await s.customers.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
      expect(all).toHaveLength(260);
      expect(new Set(all.map((c) => c.id)).size).toBe(260);
      expect(new Set(all.map((c) => c.id))).toEqual(new Set(created));
      // Newest first: the stored order reversed.
      expect(all.map((c) => c.id)).toEqual([...own.state.customers.keys()].reverse());

      const firstPage = await s.customers.list({ limit: 3 });
      expect(firstPage.has_more).toBe(true);
      expect(firstPage.url).toBe('/v1/customers');
      const back = await s.customers.list({ limit: 2, ending_before: firstPage.data[2]!.id });
      expect(back.data.map((c) => c.id)).toEqual(firstPage.data.slice(0, 2).map((c) => c.id));
      expect(back.has_more).toBe(false);
    } finally {
      await own.close();
    }
  });

  it('searches customers by metadata, email and name with AND, paging with next_page', async () => {
    for (let i = 0; i < 12; i++) {
      await stripe.customers.create({
        email: `s${i}@search.test`,
        name: i % 2 === 0 ? 'Even Corp' : 'Odd Corp',
        metadata: { sf_account: i < 11 ? 'ACC-1' : 'ACC-2' },
      });
    }
    const page = await stripe.customers.search({
      query: "metadata['sf_account']:'ACC-1'",
      limit: 10,
    });
    expect(page.object).toBe('search_result');
    expect(page.data).toHaveLength(10);
    expect(page.has_more).toBe(true);
    expect(page.next_page).toBeTruthy();
    const all = await stripe.customers
      .search({ query: "metadata['sf_account']:'ACC-1'", limit: 4 })
      .autoPagingToArray({ limit: 100 });
    expect(all).toHaveLength(11);
    const both = await stripe.customers.search({
      query: "name:'Even Corp' AND metadata['sf_account']:'ACC-1'",
    });
    expect(both.data).toHaveLength(6);
    const one = await stripe.customers.search({ query: "email:'s3@search.test'" });
    expect(one.data.map((c) => c.name)).toEqual(['Odd Corp']);
    const bad = await fail(stripe.customers.search({ query: 'email = x' }));
    expect(bad.param).toBe('query');
  });

  it('expands customer, data.customer and latest_invoice', async () => {
    const customer = await stripe.customers.create({
      name: 'Expand',
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const price = await stripe.prices.create({
      product_data: { name: 'E' },
      currency: 'usd',
      unit_amount: 700,
      recurring: { interval: 'year' },
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      expand: ['customer', 'latest_invoice.payments'],
    });
    expect((sub.customer as Stripe.Customer).name).toBe('Expand');
    const inv = sub.latest_invoice as Stripe.Invoice;
    expect(inv.object).toBe('invoice');
    expect(inv.payments?.data[0]?.payment.payment_intent).toMatch(/^pi_/);
    const list = await stripe.subscriptions.list({
      customer: customer.id,
      expand: ['data.customer'],
    });
    expect((list.data[0]?.customer as Stripe.Customer).id).toBe(customer.id);
    const bad = await fail(stripe.subscriptions.retrieve(sub.id, { expand: ['status'] }));
    expect(bad.message).toMatch(/cannot be expanded/);
  });

  it('lists events with type and created filters and keeps previous_attributes', async () => {
    const c = await stripe.customers.create({ name: 'Before', metadata: { a: '1' } });
    await stripe.customers.update(c.id, { name: 'After', metadata: { a: '' } });
    const updates = await stripe.events.list({
      type: 'customer.updated',
      created: { gte: c.created },
    });
    const ev = updates.data.find(
      (e) => (e.data.object as Stripe.Customer).id === c.id,
    ) as Stripe.Event;
    expect(ev.object).toBe('event');
    expect(ev.api_version).toBe('2026-10-28.endive');
    expect(ev.livemode).toBe(false);
    expect(ev.request?.id).toMatch(/^req_/);
    expect(ev.request?.idempotency_key).toMatch(/^stripe-node-retry-/);
    expect(ev.data.previous_attributes).toEqual({ name: 'Before', metadata: { a: '1' } });
    expect((ev.data.object as Stripe.Customer).metadata).toEqual({});
    const same = await stripe.events.retrieve(ev.id);
    expect(same.id).toBe(ev.id);
    const wildcard = await stripe.events.list({ type: 'customer.*', limit: 100 });
    expect(wildcard.data.every((e) => e.type.startsWith('customer.'))).toBe(true);
  });
});

describe('resources', () => {
  it('creates, retrieves, updates and deletes customers with address and metadata', async () => {
    const c = await stripe.customers.create({
      email: 'ops@acme.test',
      name: 'Acme',
      address: { line1: '1 Main St', city: 'Springfield', country: 'US', postal_code: '12345' },
      metadata: { sf_id: '001xx' },
      tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    expect(c.address?.city).toBe('Springfield');
    const withTaxIds = await stripe.customers.retrieve(c.id, { expand: ['tax_ids'] });
    expect((withTaxIds as Stripe.Customer).tax_ids?.data[0]?.value).toBe('DE123456789');
    const u = await stripe.customers.update(c.id, { metadata: { sf_id: '002xx', extra: 'y' } });
    expect(u.metadata).toEqual({ sf_id: '002xx', extra: 'y' });
    const d = await stripe.customers.del(c.id);
    expect(d).toMatchObject({ id: c.id, object: 'customer', deleted: true });
    const again = await stripe.customers.retrieve(c.id);
    expect(again.deleted).toBe(true);
  });

  it('keeps prices’ lookup keys unique and filters lists', async () => {
    const product = await stripe.products.create({ name: 'Lookup' });
    const p1 = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 100,
      lookup_key: 'std_monthly',
      recurring: { interval: 'month', usage_type: 'licensed' },
    });
    const dup = await fail(
      stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 200,
        lookup_key: 'std_monthly',
      }),
    );
    expect(dup.param).toBe('lookup_key');
    const p2 = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 200,
      lookup_key: 'std_monthly',
      transfer_lookup_key: true,
    });
    const byKey = await stripe.prices.list({ lookup_keys: ['std_monthly'] });
    expect(byKey.data.map((p) => p.id)).toEqual([p2.id]);
    expect((await stripe.prices.retrieve(p1.id)).lookup_key).toBeNull();
    const metered = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 5,
      recurring: { interval: 'month', usage_type: 'metered' },
    });
    expect(metered.recurring?.usage_type).toBe('metered');
    expect(metered.type).toBe('recurring');
    const oneTime = await stripe.prices.list({ product: product.id, type: 'one_time' });
    expect(oneTime.data.map((p) => p.id)).toEqual([p2.id]);
  });
});

describe('admin routes', () => {
  it('dumps and resets the state, reseeding ids', async () => {
    const own = await startStripeEmulator({ port: 0, rateLimit: 0, seed: 3 });
    try {
      const s = client('sk_test_admin', own.port);
      const first = await s.customers.create({ name: 'Dump me' });
      const state = (await (await fetch(`${own.url}/_emulator/state`)).json()) as {
        name: string;
        state: { customers: { id: string }[]; events: unknown[] };
      };
      expect(state.name).toBe('stripe');
      expect(state.state.customers.map((c) => c.id)).toEqual([first.id]);
      expect(state.state.events.length).toBeGreaterThan(0);
      const reset = await fetch(`${own.url}/_emulator/reset`, { method: 'POST' });
      expect(reset.status).toBe(200);
      expect((await s.customers.list()).data).toHaveLength(0);
      // Same seed, same sequence: the first id comes back.
      expect((await s.customers.create({ name: 'Again' })).id).toBe(first.id);
    } finally {
      await own.close();
    }
  });
});
