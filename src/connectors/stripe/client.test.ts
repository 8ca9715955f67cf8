import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultConfigInput } from '@revsync/emulators/kit';
import { money } from '../../model/money.ts';
import {
  AuthError,
  CircuitOpenError,
  ConflictError,
  RateLimitedError,
  RetryableError,
  RevsyncError,
  ValidationError,
} from '../../model/revsync-error.ts';
import { startStripeFixture, TEST_API_KEY, type StripeFixture } from './emulator-fixture.ts';
import { createStripeConnector } from './connector.ts';
import { OutboundConnection } from '../../gateway/outbound-gateway.ts';

let fx: StripeFixture;

beforeAll(async () => {
  fx = await startStripeFixture({ seed: 5 });
});
afterAll(() => fx.close());
afterEach(() => setFaults({}));

async function setFaults(config: FaultConfigInput): Promise<void> {
  const res = await fetch(`${fx.emu.url}/_emulator/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  expect(res.status).toBe(200);
}

async function failure(p: Promise<unknown>): Promise<RevsyncError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RevsyncError);
  return err as RevsyncError;
}

const customer = (revsyncId: string) => ({ revsyncId, name: revsyncId, currency: 'USD' });

describe('error classification against the emulator', () => {
  it('5xx → RetryableError, counted against the connection', async () => {
    await setFaults({ rules: [{ match: 'POST /v1/customers', error: { p: 1, statuses: [503] } }] });
    const connector = fx.connector();
    const err = await failure(
      connector.port.upsertCustomer(customer('cus_rs_503'), { idempotencyKey: fx.key() }),
    );
    expect(err).toBeInstanceOf(RetryableError);
    expect([err.retryable, err.status, err.system]).toEqual([true, 503, 'stripe']);
    const health = connector.connection.health();
    expect(health.failures).toBe(1);
    expect(health.lastError?.code).toBe('transient');
  });

  it('a 429 burst → RateLimitedError with Retry-After; the governor pauses the account', async () => {
    await setFaults({
      rules: [
        { match: 'GET /v1/customers', rateLimitBurst: { p: 1, length: 1, retryAfterSeconds: 2 } },
      ],
    });
    const connector = fx.connector();
    const err = await failure(connector.check());
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterMs).toBe(2000);
    expect(connector.connection.health().governor.pausedUntil).not.toBeNull();
    // A rate limit says nothing against the system's health.
    expect(connector.connection.health().circuit.consecutiveFailures).toBe(0);
  });

  it('the emulator’s own rate limit (StripeRateLimitError, no Retry-After) → RateLimitedError 1 s', async () => {
    const limited = await startStripeFixture({ rateLimit: 2 });
    try {
      const connector = limited.connector();
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => connector.check()));
      const errors = results
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => r.reason as unknown);
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e).toBeInstanceOf(RateLimitedError);
        expect((e as RateLimitedError).retryAfterMs).toBe(1000);
        expect(((e as RateLimitedError).cause as Error).constructor.name).toBe(
          'StripeRateLimitError',
        );
      }
    } finally {
      await limited.close();
    }
  });

  it('a bad key → AuthError', async () => {
    const connector = createStripeConnector({
      apiKey: 'sk_live_not_for_tests',
      baseUrl: fx.emu.url,
      connection: new OutboundConnection('stripe-auth', { system: 'stripe' }),
    });
    const err = await failure(connector.check());
    expect(err).toBeInstanceOf(AuthError);
    expect(err.retryable).toBe(false);
  });

  it('a refused parameter → ValidationError naming it', async () => {
    const connector = fx.connector({ defaultPaymentMethod: 'pm_card_visa' });
    const { id } = await connector.port.upsertCustomer(customer('cus_rs_400'), {
      idempotencyKey: fx.key(),
    });
    const { priceId } = await connector.port.ensurePrice(
      { productCode: 'V', productName: 'V', unitAmount: money(100, 'USD'), interval: 'month' },
      { idempotencyKey: fx.key() },
    );
    const err = await failure(
      connector.port.createSubscription(
        { customerId: id, items: [{ priceId, quantity: -1 }], metadata: {} },
        { idempotencyKey: fx.key() },
      ),
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.details?.[0]?.path).toMatch(/quantity/);
  });

  it('a price found by its lookup key is reused without asking Stripe again', async () => {
    const connector = fx.connector();
    const price = {
      productCode: 'C',
      productName: 'C',
      unitAmount: money(700, 'USD'),
      interval: 'month',
    } as const;
    const first = await connector.port.ensurePrice(price, { idempotencyKey: fx.key() });
    const calls = connector.connection.health().calls;
    const again = await connector.port.ensurePrice(price, { idempotencyKey: fx.key() });
    expect(again).toEqual(first);
    expect(connector.connection.health().calls).toBe(calls);
    // Another amount is another price: it is looked up (and created).
    const other = await connector.port.ensurePrice(
      { ...price, unitAmount: money(800, 'USD') },
      { idempotencyKey: fx.key() },
    );
    expect(other.priceId).not.toBe(first.priceId);
    expect(connector.connection.health().calls).toBeGreaterThan(calls);
    // A second connector (another process) finds the same price in Stripe.
    const elsewhere = await fx.connector().port.ensurePrice(price, { idempotencyKey: fx.key() });
    expect(elsewhere.priceId).toBe(first.priceId);
  });

  it('an idempotency key reused with other parameters → ConflictError; same parameters replay', async () => {
    const connector = fx.connector({ defaultPaymentMethod: 'pm_card_visa' });
    const { id } = await connector.port.upsertCustomer(customer('cus_rs_idem'), {
      idempotencyKey: fx.key(),
    });
    const { priceId } = await connector.port.ensurePrice(
      { productCode: 'I', productName: 'I', unitAmount: money(100, 'USD'), interval: 'month' },
      { idempotencyKey: fx.key() },
    );
    const key = fx.key();
    const input = { customerId: id, items: [{ priceId, quantity: 1 }], metadata: { a: '1' } };
    const first = await connector.port.createSubscription(input, { idempotencyKey: key });
    const replay = await connector.port.createSubscription(input, { idempotencyKey: key });
    expect(replay.id).toBe(first.id);
    const subs = await fx.sdk.subscriptions.list({ customer: id });
    expect(subs.data).toHaveLength(1);
    const err = await failure(
      connector.port.createSubscription(
        { ...input, metadata: { a: '2' } },
        { idempotencyKey: key },
      ),
    );
    expect(err).toBeInstanceOf(ConflictError);
  });

  it('no server → RetryableError (connection error)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const connector = createStripeConnector({
      apiKey: TEST_API_KEY,
      baseUrl: `http://127.0.0.1:${port}`,
      connection: new OutboundConnection('stripe-down', { system: 'stripe' }),
    });
    const err = await failure(connector.check());
    expect(err).toBeInstanceOf(RetryableError);
  });
});

describe('the outbound connection', () => {
  it('every HTTP request passes the governor', async () => {
    const connector = fx.connector({ settings: { limits: { maxConcurrent: 2 } } });
    const before = connector.connection.health();
    // First time: price lookup, product lookup (404), product create, price create.
    await connector.port.ensurePrice(
      { productCode: 'GOV', productName: 'Gov', unitAmount: money(500, 'USD'), interval: 'month' },
      { idempotencyKey: fx.key() },
    );
    const after = connector.connection.health();
    expect(after.calls - before.calls).toBe(4);
    expect(after.governor.granted - before.governor.granted).toBe(4);
    expect(after.governor.maxConcurrent).toBe(2);
  });

  it('repeated 5xx open the circuit; further calls fail fast without reaching Stripe', async () => {
    await setFaults({ rules: [{ match: '/v1/*', error: { p: 1, statuses: [500] } }] });
    const connector = fx.connector({
      settings: { circuit: { failureThreshold: 3, openMs: 60_000 } },
    });
    for (let i = 0; i < 3; i++) {
      expect(await failure(connector.check())).toBeInstanceOf(RetryableError);
    }
    expect(connector.connection.health().circuit.state).toBe('open');
    const requests = fx.emu.app.requests.list().length;
    const err = await failure(connector.check());
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(fx.emu.app.requests.list().length).toBe(requests);
  });

  it('an aborted signal stops the call before it is sent', async () => {
    const connector = fx.connector();
    const requests = fx.emu.app.requests.list().length;
    const err = await failure(connector.check({ signal: AbortSignal.abort() }));
    expect(err.retryable).toBe(true);
    expect(fx.emu.app.requests.list().length).toBe(requests);
  });
});

describe('headers', () => {
  it('sends the step’s idempotency key on writes and traceparent on every request', async () => {
    const seen: { method: string; path: string; headers: IncomingHttpHeaders }[] = [];
    const target = new URL(fx.emu.url);
    const proxy = createServer((req, res) => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const connector = createStripeConnector({
        apiKey: TEST_API_KEY,
        baseUrl: `http://127.0.0.1:${port}`,
        connection: new OutboundConnection('stripe-proxy', { system: 'stripe' }),
      });
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const key = fx.key();
      await connector.port.upsertCustomer(customer('cus_rs_headers'), {
        idempotencyKey: key,
        traceparent,
      });
      expect(seen.map((s) => `${s.method} ${s.path.split('?')[0]}`)).toEqual([
        'GET /v1/customers/search',
        'POST /v1/customers',
      ]);
      expect(seen.every((s) => s.headers['traceparent'] === traceparent)).toBe(true);
      expect(seen[1]?.headers['idempotency-key']).toBe(key);
      expect(seen[1]?.headers['stripe-version']).toBe('2026-10-28.endive');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
