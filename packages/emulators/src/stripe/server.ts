import * as kit from '../kit/index.ts';
import { balanceRoutes } from './balance.ts';
import type { RequestInfo, StripeContext } from './context.ts';
import { creditNoteRoutes } from './credit-notes.ts';
import { customerRoutes } from './customers.ts';
import { faultBody, formatKitError, rateLimitBody, stripeError, toResponse } from './errors.ts';
import { idempotencyMiddleware } from './idempotency.ts';
import { invoiceRoutes } from './invoices.ts';
import { paymentIntentRoutes } from './payment-intents.ts';
import { paymentMethodRoutes } from './payment-methods.ts';
import { productRoutes } from './products.ts';
import { refundRoutes } from './refunds.ts';
import { runDueWork } from './scheduler.ts';
import { clearStripeState, createIdSource, createStripeState, dumpStripeState } from './state.ts';
import { subscriptionRoutes } from './subscriptions.ts';
import { taxRateRoutes } from './tax-rates.ts';
import { createTestClocks } from './test-clocks.ts';
import { createStripeWebhooks, webhookRoutes, type StripeWebhooks } from './webhooks.ts';

/** Everything {@link createStripeServer} needs, defaults already applied. */
export interface StripeServerConfig {
  port: number;
  host: string;
  seed: number;
  faults: kit.FaultConfigInput | kit.FaultPreset;
  /** Only this key is accepted; `undefined` accepts any well-formed test key. */
  apiKey: string | undefined;
  /** Requests per second per API key; 0 turns the limiter off. */
  rateLimit: number;
  apiVersion: string;
  webhookUrl: string | undefined;
  webhookSecret: string;
  webhookMaxAttempts: number;
  webhookBackoffMs: number;
  webhookConcurrency?: number;
  clock?: kit.Clock;
}

/** The assembled emulator and the parts its handle reaches into. */
export interface StripeServer {
  server: kit.EmulatorServer;
  ctx: StripeContext;
  webhooks: StripeWebhooks;
  /** Bills what is due on the emulator clock (customers without a test clock). */
  sweep(): number;
  /** Resolves when no test clock advance is running. */
  testClocksIdle(): Promise<void>;
  reset(seed?: number): void;
}

const KEY_FORMAT = /^(sk|rk)_test_[A-Za-z0-9_]+$/;

function readApiKey(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  if (/^bearer /i.test(authorization)) return authorization.slice(7).trim() || undefined;
  if (/^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    return decoded.split(':')[0] || undefined;
  }
  return undefined;
}

function mask(key: string): string {
  const prefix = key.startsWith('rk_')
    ? 'rk_test_'
    : key.slice(0, key.indexOf('_', 3) + 1) || 'sk_';
  return `${prefix}${'*'.repeat(Math.max(4, key.length - prefix.length - 4))}${key.slice(-4)}`;
}

/** Assembles the Stripe emulator on the kit: auth, rate limit, idempotency, routes, admin hooks. */
export async function createStripeServer(config: StripeServerConfig): Promise<StripeServer> {
  const rng = kit.createRng(config.seed);
  const clock = config.clock ?? kit.createClock();
  const faults = kit.createFaultInjector({ rng: rng.fork('faults'), clock, config: config.faults });
  let requestIds = rng.fork('requests');
  const state = createStripeState();
  const ids = createIdSource(config.seed);
  const webhooks = createStripeWebhooks({
    rng: rng.fork('webhooks'),
    clock,
    faults,
    maxAttempts: config.webhookMaxAttempts,
    backoff: (n) => Math.min(30_000, config.webhookBackoffMs * 2 ** (n - 1)),
    ...(config.webhookConcurrency !== undefined && { concurrency: config.webhookConcurrency }),
  });
  if (config.webhookUrl) {
    webhooks.listeners.push({
      id: 'we_listen',
      url: config.webhookUrl,
      secret: config.webhookSecret,
      enabledEvents: ['*'],
    });
  }
  const ctx: StripeContext = {
    state,
    ids,
    clock,
    apiVersion: config.apiVersion,
    request: null,
    deliver: (event) => webhooks.deliver(ctx, event),
    requests: new WeakMap(),
  };
  const testClocks = createTestClocks(ctx);
  const limiter =
    config.rateLimit > 0
      ? kit.createRateLimiter({ limit: config.rateLimit, windowMs: 1000 })
      : null;
  const sweep = (): number => runDueWork(ctx, null, clock.nowSeconds());
  const newRequestId = (): string => `req_${requestIds.base62(14)}`;

  const meta: kit.Middleware = async (req, next) => {
    const info: RequestInfo = {
      id: newRequestId(),
      apiKey: '',
      idempotencyKey: req.headers['idempotency-key'] ?? null,
    };
    ctx.requests.set(req, info);
    let res: kit.EmulatorResponse;
    try {
      res = await next();
    } catch (err) {
      res = toResponse(err);
    }
    const headers: Record<string, string | string[]> = {
      ...res.headers,
      'Request-Id': info.id,
      'Stripe-Version': req.headers['stripe-version'] ?? config.apiVersion,
    };
    if (info.idempotencyKey !== null && req.method === 'POST') {
      headers['Idempotency-Key'] = info.idempotencyKey;
    }
    return { ...res, headers };
  };

  const auth: kit.Middleware = (req, next) => {
    const key = readApiKey(req.headers['authorization']);
    if (key === undefined) {
      throw stripeError(401, {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      });
    }
    const ok = config.apiKey !== undefined ? key === config.apiKey : KEY_FORMAT.test(key);
    if (!ok) {
      throw stripeError(401, {
        type: 'invalid_request_error',
        message: `Invalid API Key provided: ${mask(key)}`,
      });
    }
    const info = ctx.requests.get(req);
    if (info) info.apiKey = key;
    return next();
  };

  const rateLimit: kit.Middleware = (req, next) => {
    if (!limiter) return next();
    const key = ctx.requests.get(req)?.apiKey ?? '';
    if (!limiter.take(key).allowed) {
      return { status: 429, body: rateLimitBody() };
    }
    return next();
  };

  const billing: kit.Middleware = (_req, next) => {
    sweep();
    return next();
  };

  const routes: kit.Route[] = [
    ...customerRoutes(ctx),
    ...productRoutes(ctx),
    ...taxRateRoutes(ctx),
    ...paymentMethodRoutes(ctx),
    ...paymentIntentRoutes(ctx),
    ...refundRoutes(ctx),
    ...subscriptionRoutes(ctx),
    ...invoiceRoutes(ctx),
    ...creditNoteRoutes(ctx),
    ...balanceRoutes(ctx),
    ...testClocks.routes,
    ...webhookRoutes(ctx, webhooks),
    {
      method: 'POST',
      path: '/_emulator/billing/run',
      handler: () => ({ status: 200, body: { ok: true, ran: sweep() } }),
    },
  ];

  const reset = (seed?: number): void => {
    testClocks.stop();
    clearStripeState(state);
    const s = seed ?? config.seed;
    ids.reseed(s);
    requestIds = kit.createRng(s).fork('requests');
    limiter?.reset();
  };

  const server = await kit.createEmulatorServer({
    name: 'stripe',
    port: config.port,
    host: config.host,
    clock,
    rng,
    faults,
    routes,
    middleware: [meta, auth, rateLimit, billing, idempotencyMiddleware(ctx)],
    webhooks: webhooks.dispatcher,
    formatError: (info, req) => {
      const r = formatKitError(info, req);
      return { ...r, headers: { 'Request-Id': newRequestId() } };
    },
    faultResponse: (kind, status) => ({
      status,
      headers: { 'Request-Id': newRequestId() },
      body: faultBody(kind, status),
    }),
    admin: {
      dumpState: () => dumpStripeState(state),
      reset: (body) => {
        const seed = (body as { seed?: unknown } | undefined)?.seed;
        reset(typeof seed === 'number' ? seed : undefined);
      },
    },
  });

  const timer = setInterval(() => {
    try {
      sweep();
    } catch {
      // A failing sweep is retried on the next tick or request.
    }
  }, 1000);
  timer.unref();
  const close = server.close;
  server.close = async () => {
    clearInterval(timer);
    testClocks.stop();
    await close();
  };
  return { server, ctx, webhooks, sweep, testClocksIdle: testClocks.idle, reset };
}
