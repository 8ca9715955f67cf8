import * as kit from '../kit/index.ts';
import { runDue } from './billing.ts';
import type { ChargebeeContext } from './context.ts';
import { chargebeeError, faultBody, formatKitError, rateLimitBody } from './errors.ts';
import { idempotencyMiddleware } from './idempotency.ts';
import { API_PATH, apiRoutes } from './routes.ts';
import {
  clearChargebeeState,
  createChargebeeState,
  createIdSource,
  dumpChargebeeState,
} from './state.ts';
import {
  createChargebeeWebhooks,
  type ChargebeeWebhookEndpoint,
  type ChargebeeWebhooks,
} from './webhooks.ts';

/** Everything {@link createChargebeeServer} needs, defaults applied. */
export interface ChargebeeServerConfig {
  port: number;
  host: string;
  seed: number;
  faults: kit.FaultConfigInput | kit.FaultPreset;
  /** Only this API key is accepted; `undefined` accepts any `test_…` key. */
  apiKey: string | undefined;
  /** Requests per minute per API key (Chargebee test sites: 150); 0 turns it off. */
  ratePerMinute: number;
  taxRates: Record<string, number>;
  webhookMaxAttempts: number;
  webhookBackoffMs: number;
  clock?: kit.Clock;
}

export interface ChargebeeServer {
  server: kit.EmulatorServer;
  ctx: ChargebeeContext;
  webhooks: ChargebeeWebhooks;
  reset(seed?: number): void;
}

const KEY_FORMAT = /^test_[A-Za-z0-9_]+$/;

function apiKeyOf(authorization: string | undefined): string | undefined {
  if (!authorization || !/^basic /i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const key = decoded.split(':')[0];
  return key === '' ? undefined : key;
}

/** Assembles the Chargebee emulator on the kit: Basic auth, rate limit, idempotency, routes, admin hooks. */
export async function createChargebeeServer(
  config: ChargebeeServerConfig,
): Promise<ChargebeeServer> {
  const rng = kit.createRng(config.seed);
  const clock = config.clock ?? kit.createClock();
  const faults = kit.createFaultInjector({ rng: rng.fork('faults'), clock, config: config.faults });
  const state = createChargebeeState(clock.nowSeconds());
  const ids = createIdSource(config.seed);
  const webhooks = createChargebeeWebhooks({
    rng: rng.fork('webhooks'),
    clock,
    faults,
    maxAttempts: config.webhookMaxAttempts,
    backoff: (n) => Math.min(30_000, config.webhookBackoffMs * 2 ** (n - 1)),
  });
  const ctx: ChargebeeContext = {
    state,
    ids,
    clock,
    taxRates: config.taxRates,
    source: 'api',
    deliver: (event) => webhooks.deliver(event),
  };
  const limiter =
    config.ratePerMinute > 0
      ? kit.createRateLimiter({ limit: config.ratePerMinute, windowMs: 60_000 })
      : null;
  const keys = new WeakMap<object, string>();

  const auth: kit.Middleware = (req, next) => {
    const key = apiKeyOf(req.headers['authorization']);
    const ok =
      key !== undefined &&
      (config.apiKey !== undefined ? key === config.apiKey : KEY_FORMAT.test(key));
    if (!ok) {
      throw chargebeeError(
        401,
        'api_authentication_failed',
        key === undefined
          ? 'Sorry, authentication failed. No API key provided (HTTP Basic auth, the API key as user name).'
          : 'Sorry, authentication failed. Invalid api key.',
        { errorCode: 'api_authentication_failed' },
      );
    }
    keys.set(req, key);
    if (!req.path.startsWith(`${API_PATH}/`)) {
      throw chargebeeError(404, 'resource_not_found', `Sorry, we couldn't find that resource`, {
        type: 'invalid_request',
      });
    }
    return next();
  };

  const rateLimit: kit.Middleware = (req, next) => {
    if (!limiter) return next();
    const decision = limiter.take(keys.get(req) ?? '');
    if (!decision.allowed) {
      return {
        status: 429,
        headers: { 'retry-after': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))) },
        body: rateLimitBody(),
      };
    }
    return next();
  };

  const endpointRoutes: kit.Route[] = [
    {
      method: 'POST',
      path: '/_emulator/webhooks',
      handler: (req) => {
        const body = req.json() as Partial<ChargebeeWebhookEndpoint> | undefined;
        if (!body || typeof body.url !== 'string') {
          return {
            status: 400,
            body: {
              error: {
                code: 'invalid_body',
                message: 'give {url, username?, password?, eventTypes?}',
              },
            },
          };
        }
        const ep: ChargebeeWebhookEndpoint = {
          id: `whep_${webhooks.endpoints.length + 1}`,
          url: body.url,
          ...(typeof body.username === 'string' && { username: body.username }),
          ...(typeof body.password === 'string' && { password: body.password }),
          ...(Array.isArray(body.eventTypes) && { eventTypes: body.eventTypes.map(String) }),
        };
        webhooks.endpoints.push(ep);
        return { status: 200, body: { id: ep.id, url: ep.url } };
      },
    },
    {
      method: 'GET',
      path: '/_emulator/webhooks',
      handler: () => ({
        status: 200,
        body: { data: webhooks.endpoints.map(({ password: _p, ...ep }) => ep) },
      }),
    },
    {
      method: 'POST',
      path: '/_emulator/billing/run',
      handler: () => ({ status: 200, body: { ok: true, ran: runDue(ctx) } }),
    },
  ];

  const reset = (seed?: number): void => {
    clearChargebeeState(state, clock.nowSeconds());
    ids.reseed(seed ?? config.seed);
    limiter?.reset();
  };

  const server = await kit.createEmulatorServer({
    name: 'chargebee',
    port: config.port,
    host: config.host,
    clock,
    rng,
    faults,
    routes: [...apiRoutes(ctx), ...endpointRoutes],
    middleware: [
      auth,
      rateLimit,
      idempotencyMiddleware(state, clock, (req) => keys.get(req) ?? ''),
    ],
    webhooks: webhooks.dispatcher,
    formatError: (info) => formatKitError(info),
    faultResponse: (kind, status) => ({ status, body: faultBody(kind, status) }),
    admin: {
      dumpState: () => dumpChargebeeState(state),
      reset: (body) => {
        const seed = (body as { seed?: unknown }).seed;
        reset(typeof seed === 'number' ? seed : undefined);
      },
    },
  });
  return { server, ctx, webhooks, reset };
}
