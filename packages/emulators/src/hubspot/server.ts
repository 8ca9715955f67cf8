import {
  createClock,
  createEmulatorServer,
  createFaultInjector,
  createRateLimiter,
  createRng,
  EmulatorHttpError,
  type EmulatorRequest,
  type EmulatorServer,
  type FaultConfigInput,
  type FaultPreset,
  type Middleware,
  type Route,
} from '../kit/index.ts';
import { associationRoutes } from './associations.ts';
import {
  errorBody,
  formatHubspotError,
  hubspotFaultResponse,
  secondlyLimit,
  tenSecondlyLimit,
} from './errors.ts';
import { metadataRoutes } from './metadata.ts';
import { objectRoutes } from './objects.ts';
import { objectTypeOf } from './schema.ts';
import {
  HubspotState,
  type AssociationInput,
  type InputValue,
  type ObjectChange,
} from './state.ts';
import { DEFAULT_SUBSCRIPTIONS, HubspotWebhooks, type HubspotWebhookTarget } from './webhooks.ts';

/** Everything {@link createHubspotServer} needs, defaults applied. */
export interface HubspotServerConfig {
  port: number;
  host: string;
  seed: number;
  faults: FaultConfigInput | FaultPreset;
  accessToken: string;
  clientSecret: string;
  appId: number;
  closedWonStage: string;
  /** Requests per rolling 10 s per token (0: unlimited). */
  tenSecondLimit: number;
  /** Search requests per second per token (0: unlimited). */
  searchPerSecond: number;
  dailyLimit: number;
  webhookUrl: string | undefined;
  webhookMaxAttempts: number;
}

/** The assembled emulator and its parts. */
export interface HubspotServer {
  server: EmulatorServer;
  state: HubspotState;
  webhooks: HubspotWebhooks;
}

const TEN_SECONDS = 10_000;

/**
 * Assembles the HubSpot emulator on the kit's server: private-app token auth and HubSpot's rate
 * limits (with `X-HubSpot-RateLimit-*` headers) around the CRM API, webhooks v3 for every
 * change a request commits, and `/_emulator/seed` and `/_emulator/webhooks` admin routes.
 */
export async function createHubspotServer(config: HubspotServerConfig): Promise<HubspotServer> {
  const rng = createRng(config.seed);
  const clock = createClock();
  const faults = createFaultInjector({ rng: rng.fork('faults'), clock, config: config.faults });
  let seed = config.seed;
  const state = new HubspotState(clock, seed, config.closedWonStage);
  const webhooks = new HubspotWebhooks({
    rng: rng.fork('webhooks'),
    clock,
    faults,
    portalId: () => state.portalId,
    appId: config.appId,
    maxAttempts: config.webhookMaxAttempts,
  });
  const defaultTarget = (url: string): HubspotWebhookTarget => ({
    id: 'app',
    url,
    clientSecret: config.clientSecret,
    subscriptions: [...DEFAULT_SUBSCRIPTIONS],
  });
  if (config.webhookUrl) webhooks.target = defaultTarget(config.webhookUrl);

  // Changes are collected per request and delivered together once it answered, as HubSpot
  // batches the events of one moment into one delivery.
  let pending: ObjectChange[] = [];
  state.onChange = (changes) => pending.push(...changes);
  const flush = () => {
    const changes = pending;
    pending = [];
    if (changes.length > 0) webhooks.publish(changes);
  };

  const now = () => clock.now();
  const tenSecond =
    config.tenSecondLimit > 0
      ? createRateLimiter({ limit: config.tenSecondLimit, windowMs: TEN_SECONDS })
      : undefined;
  const search =
    config.searchPerSecond > 0
      ? createRateLimiter({ limit: config.searchPerSecond, windowMs: 1000 })
      : undefined;
  let daily = 0;
  let dailyDay = Math.floor(clock.now() / 86_400_000);

  const limitHeaders = (remaining: number): Record<string, string> => ({
    'X-HubSpot-RateLimit-Interval-Milliseconds': String(TEN_SECONDS),
    'X-HubSpot-RateLimit-Max': String(config.tenSecondLimit || 1_000_000),
    'X-HubSpot-RateLimit-Remaining': String(Math.max(0, remaining)),
    'X-HubSpot-RateLimit-Secondly': String(Math.ceil((config.tenSecondLimit || 1_000_000) / 10)),
    'X-HubSpot-RateLimit-Daily': String(config.dailyLimit),
    'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, config.dailyLimit - daily)),
  });

  const auth: Middleware = async (req, next) => {
    const header = req.headers['authorization'] ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!token) {
      throw new EmulatorHttpError(
        401,
        errorBody(
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        ),
      );
    }
    if (token !== config.accessToken) {
      throw new EmulatorHttpError(
        401,
        errorBody(
          'INVALID_AUTHENTICATION',
          'The OAuth token used to make this call expired or is invalid.',
        ),
      );
    }
    const day = Math.floor(clock.now() / 86_400_000);
    if (day !== dailyDay) {
      dailyDay = day;
      daily = 0;
    }
    if (daily >= config.dailyLimit) {
      throw new EmulatorHttpError(
        429,
        errorBody('RATE_LIMITS', 'You have reached your daily limit.', {
          errorType: 'RATE_LIMIT',
          policyName: 'DAILY',
        }),
        limitHeaders(0),
      );
    }
    const decision = tenSecond?.take(token);
    if (decision && !decision.allowed) {
      throw new EmulatorHttpError(429, tenSecondlyLimit(`publicapi:private-app:${config.appId}`), {
        ...limitHeaders(0),
        'Retry-After': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))),
      });
    }
    if (search && isSearch(req)) {
      const s = search.take(token);
      if (!s.allowed) {
        throw new EmulatorHttpError(429, secondlyLimit(), {
          'Retry-After': String(Math.max(1, Math.ceil(s.retryAfterMs / 1000))),
        });
      }
    }
    daily += 1;
    const headers = limitHeaders(decision?.remaining ?? 1_000_000);
    try {
      const r = await next();
      flush();
      return { ...r, headers: { ...r.headers, ...headers } };
    } catch (err) {
      pending = []; // a refused request commits nothing
      if (err instanceof EmulatorHttpError)
        throw new EmulatorHttpError(err.status, err.body, { ...err.headers, ...headers });
      throw err;
    }
  };

  const routes: Route[] = [
    ...objectRoutes(state, now),
    ...associationRoutes(state, now),
    ...metadataRoutes(state, now),
    {
      method: 'GET',
      path: '/account-info/v3/details',
      handler: () => ({
        status: 200,
        body: {
          portalId: state.portalId,
          accountType: 'STANDARD',
          timeZone: 'Etc/UTC',
          companyCurrency: 'USD',
          additionalCurrencies: ['EUR', 'GBP'],
          utcOffset: '+00:00',
          utcOffsetMilliseconds: 0,
          uiDomain: 'app.hubspot.com',
          dataHostingLocation: 'na1',
        },
      }),
    },
    {
      method: 'POST',
      path: '/_emulator/seed',
      handler: (req) => {
        const body = (req.rawBody.length > 0 ? req.json() : {}) as Record<
          string,
          { properties?: Record<string, InputValue>; associations?: AssociationInput[] }[]
        >;
        const ids: Record<string, string[]> = {};
        for (const [name, records] of Object.entries(body)) {
          const type = objectTypeOf(name);
          if (!type || !Array.isArray(records)) {
            throw new EmulatorHttpError(400, {
              error: {
                code: 'invalid_body',
                message: `give {<objectType>: [{properties}]}; ${name}?`,
              },
            });
          }
          ids[type] = records.map(
            (r) => state.create(type, r.properties ?? {}, r.associations ?? []).id,
          );
        }
        pending = []; // seeding sends no webhooks
        return { status: 201, body: { ids } };
      },
    },
    {
      method: 'GET',
      path: '/_emulator/webhooks',
      handler: () => ({ status: 200, body: { target: webhooks.target ?? null } }),
    },
    {
      method: 'PUT',
      path: '/_emulator/webhooks',
      handler: (req) => {
        const body = (req.rawBody.length > 0 ? req.json() : {}) as Partial<HubspotWebhookTarget>;
        if (body.url === undefined || body.url === null) {
          webhooks.target = undefined;
          return { status: 200, body: { target: null } };
        }
        if (typeof body.url !== 'string' || !/^https?:\/\//.test(body.url)) {
          throw new EmulatorHttpError(400, {
            error: {
              code: 'invalid_body',
              message: 'give {url, clientSecret?, subscriptions?, properties?}',
            },
          });
        }
        webhooks.target = {
          ...defaultTarget(body.url),
          ...(typeof body.clientSecret === 'string' && { clientSecret: body.clientSecret }),
          ...(Array.isArray(body.subscriptions) && { subscriptions: body.subscriptions }),
          ...(Array.isArray(body.properties) && { properties: body.properties }),
        };
        return { status: 200, body: { target: webhooks.target } };
      },
    },
    {
      method: 'POST',
      path: '/_emulator/webhooks/flush',
      handler: async () => {
        await webhooks.dispatcher.idle();
        return { status: 200, body: { ok: true } };
      },
    },
  ];

  const server = await createEmulatorServer({
    name: 'hubspot',
    port: config.port,
    host: config.host,
    clock,
    rng,
    faults,
    routes,
    middleware: [auth],
    webhooks: webhooks.dispatcher,
    formatError: formatHubspotError,
    faultResponse: hubspotFaultResponse,
    admin: {
      dumpState: () => ({
        ...state.dump(),
        apiUsage: { daily, dailyLimit: config.dailyLimit },
        webhookTarget: webhooks.target ? { ...webhooks.target, clientSecret: '***' } : null,
      }),
      reset: (body) => {
        const next = (body as { seed?: unknown } | undefined)?.seed;
        if (typeof next === 'number' && Number.isFinite(next)) seed = next;
        state.reset(seed);
        pending = [];
        webhooks.reset();
        tenSecond?.reset();
        search?.reset();
        daily = 0;
      },
    },
  });
  return { server, state, webhooks };
}

function isSearch(req: EmulatorRequest): boolean {
  return req.method === 'POST' && /^\/crm\/v3\/objects\/[^/]+\/search$/.test(req.path);
}
