import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createClock,
  createConcurrencyLimiter,
  createEmulatorServer,
  createFaultInjector,
  createRateLimiter,
  createRng,
  createWebhookDispatcher,
  EmulatorHttpError,
  type Clock,
  type EmulatorRequest,
  type EmulatorResponse,
  type EmulatorServer,
  type FaultConfigInput,
  type FaultPreset,
  type Middleware,
  type Route,
  type WebhookEndpoint,
} from '../kit/index.ts';
import {
  Books,
  ENTITIES,
  localDate,
  type Change,
  type EntityName,
  type RealmSeed,
} from './books.ts';
import {
  faultBody,
  invalidValue,
  objectNotFound,
  QboFault,
  qboTime,
  quickbooksFaultResponse,
  requiredParam,
  throttled,
} from './errors.ts';
import { QuickbooksOAuth, type QuickbooksOAuthConfig } from './oauth.ts';
import { parseQuery, runQuery } from './query.ts';
import { CURRENCY_NAMES } from './money.ts';

/** Everything the server is built from (defaults applied). */
export interface QuickbooksServerConfig {
  port: number;
  host: string;
  seed: number;
  faults: FaultConfigInput | FaultPreset;
  realms: readonly RealmSeed[];
  oauth: QuickbooksOAuthConfig;
  /** Requests per minute per realm (Intuit: 500); 0 switches the limit off. */
  ratePerMinute: number;
  /** Requests in flight per realm (Intuit: 10). */
  concurrencyLimit: number;
  latencyMs: number;
  /** Validation fault codes answered with HTTP 200 and a `Fault` body. */
  fault200Codes: readonly string[];
  /** Objects one CDC answer holds at most (Intuit: 1000). */
  cdcMaxResults: number;
  webhook?: { url: string; verifierToken: string };
}

/** The assembled server and what tests reach for. */
export interface QuickbooksServer {
  server: EmulatorServer;
  clock: Clock;
  books: Books;
  oauth: QuickbooksOAuth;
  reset(): void;
  /** Waits until queued webhook deliveries are done. */
  webhooksIdle(): Promise<void>;
}

/** URL segment → entity (`/v3/company/<realm>/creditmemo` → `CreditMemo`). */
const ENTITY_PATHS = new Map<string, EntityName>(ENTITIES.map((e) => [e.toLowerCase(), e]));

type Endpoint = WebhookEndpoint & { verifierToken: string };

/**
 * The QuickBooks Online v3 emulator: OAuth 2.0, then (on `/v3/company/<realm>/…`) the bearer
 * check, the per-realm rate and concurrency limits, `requestid` replay, and the entity, query,
 * CDC, preferences and exchange-rate routes.
 */
export async function createQuickbooksServer(
  config: QuickbooksServerConfig,
): Promise<QuickbooksServer> {
  const clock = createClock();
  const rng = createRng(config.seed);
  const faults = createFaultInjector({ rng: rng.fork('faults'), clock, config: config.faults });
  const fault200 = new Set(config.fault200Codes);
  const endpoints: Endpoint[] = config.webhook
    ? [{ id: 'default', url: config.webhook.url, verifierToken: config.webhook.verifierToken }]
    : [];
  const webhooks = createWebhookDispatcher<Endpoint>({
    rng: rng.fork('webhooks'),
    clock,
    faults,
    sign: (payload, ep) => ({
      'intuit-signature': createHmac('sha256', ep.verifierToken).update(payload).digest('base64'),
      'content-type': 'application/json',
    }),
  });
  const notify = (realmId: string, change: Change) => {
    for (const ep of endpoints) {
      webhooks.send(ep, {
        eventNotifications: [
          {
            realmId,
            dataChangeEvent: {
              entities: [
                {
                  name: change.entity,
                  id: change.id,
                  operation: change.operation,
                  lastUpdated: new Date(change.at).toISOString(),
                },
              ],
            },
          },
        ],
      });
    }
  };
  let books = new Books(config.realms, () => clock.now(), notify);
  const oauth = new QuickbooksOAuth(config.oauth, clock, rng.fork('tokens'));
  const limiter =
    config.ratePerMinute > 0
      ? createRateLimiter({ limit: config.ratePerMinute, windowMs: 60_000 })
      : undefined;
  const pool = createConcurrencyLimiter({ max: config.concurrencyLimit });
  let replays = new Map<string, EmulatorResponse>();

  const toResponse = (caught: unknown): EmulatorResponse => {
    if (caught instanceof QboFault) {
      const e = caught.toHttpError(clock.now(), fault200);
      return { status: e.status, headers: e.headers, body: e.body };
    }
    throw caught;
  };
  const realmOf = (req: EmulatorRequest) => {
    const realm = books.realm(req.params['realmId'] ?? '');
    if (!realm) throw objectNotFound(`company ${req.params['realmId']}`);
    return realm;
  };
  const entityOf = (req: EmulatorRequest): EntityName => {
    const entity = ENTITY_PATHS.get((req.params['entity'] ?? '').toLowerCase());
    if (!entity) {
      throw new QboFault(400, 'ValidationFault', {
        Message: 'Unsupported Operation',
        Detail: `Operation ${req.method} ${req.path} is not supported.`,
        code: '500',
      });
    }
    return entity;
  };
  const answer = (body: Record<string, unknown>): EmulatorResponse => ({
    status: 200,
    body: { ...body, time: qboTime(clock.now()) },
  });

  const isCompanyRoute = (req: EmulatorRequest) => req.path.startsWith('/v3/company/');
  const catchFaults: Middleware = async (req, next) => {
    try {
      return await next();
    } catch (caught) {
      return toResponse(caught);
    }
  };
  const authenticate: Middleware = (req, next) => {
    if (isCompanyRoute(req)) oauth.verify(req, req.params['realmId'] ?? '');
    return next();
  };
  const throttle: Middleware = async (req, next) => {
    if (!isCompanyRoute(req)) return next();
    const realmId = req.params['realmId'] ?? '';
    const rate = limiter?.take(realmId);
    if (rate && !rate.allowed) {
      throw throttled(
        'The request limit (500 a minute per company) was reached.',
        Math.max(1, Math.ceil(rate.retryAfterMs / 1000)),
      );
    }
    const release = pool.tryAcquire(realmId);
    if (!release)
      throw throttled(`More than ${config.concurrencyLimit} requests at once for this company.`, 1);
    try {
      if (config.latencyMs > 0) await sleep(config.latencyMs);
      return await next();
    } finally {
      release();
    }
  };
  // `?requestid=`: a write sent again with the same id answers the first answer, fault or not.
  const replay: Middleware = async (req, next) => {
    const requestId = req.searchParams.get('requestid');
    if (!isCompanyRoute(req) || req.method !== 'POST' || !requestId) return next();
    if (requestId.length > 50)
      throw invalidValue('requestid', 'requestid is longer than 50 characters');
    const key = `${req.params['realmId']}:${requestId}`;
    const seen = replays.get(key);
    if (seen) return seen;
    let res: EmulatorResponse;
    try {
      res = await next();
    } catch (caught) {
      res = toResponse(caught);
    }
    replays.set(key, res);
    return res;
  };

  const entityRoutes: Route[] = [
    {
      method: 'POST',
      path: '/v3/company/:realmId/:entity',
      handler: (req) => {
        const realm = realmOf(req);
        const entity = entityOf(req);
        const op = req.searchParams.get('operation');
        if (op !== null && op !== 'update') {
          throw invalidValue('operation', `operation=${op} is not implemented by the emulator`);
        }
        const body = req.json();
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw invalidValue(entity, 'the body must be one JSON object');
        }
        const record = books.write(realm, entity, body as Record<string, unknown>);
        return answer({ [entity]: record });
      },
    },
    {
      method: 'GET',
      path: '/v3/company/:realmId/:entity/:id',
      handler: (req) => {
        const realm = realmOf(req);
        const entity = entityOf(req);
        const record = books.get(realm, entity, req.params['id'] ?? '');
        if (!record) throw objectNotFound(`${entity} Id=${req.params['id']}`);
        return answer({ [entity]: record });
      },
    },
  ];

  const query = (req: EmulatorRequest) => {
    const realm = realmOf(req);
    const q = req.method === 'GET' ? req.searchParams.get('query') : req.text();
    if (!q) throw requiredParam('query');
    const parsed = parseQuery(q);
    return answer({ QueryResponse: runQuery(parsed, books.all(realm, parsed.entity)) });
  };

  const cdc = (req: EmulatorRequest) => {
    const realm = realmOf(req);
    const names = (req.searchParams.get('entities') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length === 0) throw requiredParam('entities');
    const entities = names.map((n) => {
      const e = ENTITY_PATHS.get(n.toLowerCase());
      if (!e) throw invalidValue('entities', `unknown entity ${n}`);
      return e;
    });
    const since = Date.parse(req.searchParams.get('changedSince') ?? '');
    if (Number.isNaN(since)) throw requiredParam('changedSince');
    if (since < clock.now() - 30 * 86_400_000) {
      throw invalidValue('changedSince', 'changedSince must be within the last 30 days');
    }
    const second = (ms: number) => Math.floor(ms / 1000);
    const changed = entities
      .flatMap((entity) =>
        books
          .all(realm, entity)
          .map((record) => ({ entity, record, stamp: books.stamp(realm, entity, record.Id) })),
      )
      .filter((c) => second(c.stamp.at) >= second(since))
      .sort((a, b) => a.stamp.at - b.stamp.at || a.stamp.seq - b.stamp.seq)
      .slice(0, config.cdcMaxResults);
    const responses = entities.map((entity) => {
      const rows = changed.filter((c) => c.entity === entity).map((c) => c.record);
      return rows.length === 0
        ? {}
        : { [entity]: rows, startPosition: 1, maxResults: rows.length, totalCount: rows.length };
    });
    return answer({ CDCResponse: [{ QueryResponse: responses }] });
  };

  const companyRoutes: Route[] = [
    { method: 'GET', path: '/v3/company/:realmId/query', handler: query },
    { method: 'POST', path: '/v3/company/:realmId/query', handler: query },
    { method: 'GET', path: '/v3/company/:realmId/cdc', handler: cdc },
    {
      method: 'GET',
      path: '/v3/company/:realmId/preferences',
      handler: (req) => {
        const realm = realmOf(req);
        return answer({
          Preferences: {
            Id: '1',
            SyncToken: '0',
            AccountingInfoPrefs: {
              FiscalYearStartMonth: new Date(2000, realm.fiscalYearStartMonth - 1).toLocaleString(
                'en-US',
                { month: 'long' },
              ),
              ...(realm.bookClose && { BookCloseDate: realm.bookClose.date }),
            },
            CurrencyPrefs: {
              MultiCurrencyEnabled: realm.multiCurrencyEnabled,
              HomeCurrency: { value: realm.homeCurrency },
            },
          },
        });
      },
    },
    {
      method: 'GET',
      path: '/v3/company/:realmId/companyinfo/:id',
      handler: (req) => {
        const realm = realmOf(req);
        if (req.params['id'] !== realm.realmId)
          throw objectNotFound(`CompanyInfo ${req.params['id']}`);
        return answer({
          CompanyInfo: {
            Id: '1',
            SyncToken: '0',
            CompanyName: realm.companyName,
            LegalName: realm.companyName,
            Country:
              realm.homeCurrency === 'USD' ? 'US' : realm.homeCurrency === 'GBP' ? 'GB' : 'FR',
            FiscalYearStartMonth: 'January',
          },
        });
      },
    },
    {
      method: 'GET',
      path: '/v3/company/:realmId/exchangerate',
      handler: (req) => {
        const realm = realmOf(req);
        const source = (req.searchParams.get('sourcecurrencycode') ?? '').toUpperCase();
        if (!source) throw requiredParam('sourcecurrencycode');
        return answer({
          ExchangeRate: {
            SourceCurrencyCode: source,
            TargetCurrencyCode: realm.homeCurrency,
            Rate: Number(books.rate(realm, source)),
            AsOfDate: req.searchParams.get('asofdate') ?? localDate(clock.now()),
          },
        });
      },
    },
  ];

  const adminObject = (req: EmulatorRequest): Record<string, unknown> => {
    const body = req.rawBody.length === 0 ? {} : req.json();
    if (typeof body !== 'object' || body === null) {
      throw new EmulatorHttpError(400, {
        error: { code: 'invalid_body', message: 'a JSON object' },
      });
    }
    return body as Record<string, unknown>;
  };
  const adminRealm = (req: EmulatorRequest) => {
    const realm = books.realm(req.params['realmId'] ?? '');
    if (!realm)
      throw new EmulatorHttpError(404, {
        error: { code: 'no_realm', message: `no realm ${req.params['realmId']}` },
      });
    return realm;
  };
  const adminRoutes: Route[] = [
    {
      method: 'POST',
      path: '/_emulator/realms',
      handler: (req) => {
        const body = adminObject(req) as unknown as RealmSeed;
        if (typeof body.realmId !== 'string') {
          throw new EmulatorHttpError(400, {
            error: { code: 'invalid_body', message: 'realmId is required' },
          });
        }
        const realm = books.addRealm(body);
        return { status: 201, body: { realmId: realm.realmId, homeCurrency: realm.homeCurrency } };
      },
    },
    {
      method: 'POST',
      path: '/_emulator/realms/:realmId/seed/:entity',
      handler: (req) => {
        const realm = adminRealm(req);
        const entity = ENTITY_PATHS.get((req.params['entity'] ?? '').toLowerCase());
        if (!entity)
          throw new EmulatorHttpError(404, {
            error: { code: 'no_entity', message: String(req.params['entity']) },
          });
        const raw = req.json();
        const items = Array.isArray(raw) ? raw : [raw];
        try {
          const ids = items.map((b) => books.write(realm, entity, b as Record<string, unknown>).Id);
          return { status: 200, body: { entity, ids } };
        } catch (caught) {
          return toResponse(caught);
        }
      },
    },
    {
      method: 'PUT',
      path: '/_emulator/realms/:realmId/book-close',
      handler: (req) => {
        const realm = adminRealm(req);
        const body = adminObject(req);
        if (typeof body.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(body.date)) {
          throw new EmulatorHttpError(400, {
            error: { code: 'invalid_body', message: 'date (yyyy-MM-dd) is required' },
          });
        }
        realm.bookClose = {
          date: body.date,
          ...(typeof body.password === 'string' && { password: body.password }),
        };
        return {
          status: 200,
          body: { date: realm.bookClose.date, passwordProtected: body.password !== undefined },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/_emulator/realms/:realmId/book-close',
      handler: (req) => {
        delete adminRealm(req).bookClose;
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/_emulator/realms/:realmId/periods',
      handler: (req) => {
        const realm = adminRealm(req);
        const year = Number(req.searchParams.get('year') ?? localDate(clock.now()).slice(0, 4));
        const periods = Array.from({ length: 12 }, (_, i) => {
          const month = ((realm.fiscalYearStartMonth - 1 + i) % 12) + 1;
          const y = year + Math.floor((realm.fiscalYearStartMonth - 1 + i) / 12);
          const start = `${y}-${String(month).padStart(2, '0')}-01`;
          const end = new Date(Date.UTC(y, month, 0)).toISOString().slice(0, 10);
          const closed = realm.bookClose !== undefined && end <= realm.bookClose.date;
          return { period: start.slice(0, 7), start, end, status: closed ? 'closed' : 'open' };
        });
        return {
          status: 200,
          body: { realmId: realm.realmId, bookClose: realm.bookClose?.date ?? null, periods },
        };
      },
    },
    {
      method: 'PUT',
      path: '/_emulator/realms/:realmId/exchange-rates',
      handler: (req) => {
        const realm = adminRealm(req);
        for (const [code, rate] of Object.entries(adminObject(req)))
          realm.exchangeRates.set(code, String(rate));
        return { status: 200, body: Object.fromEntries(realm.exchangeRates) };
      },
    },
    {
      method: 'PUT',
      path: '/_emulator/webhooks',
      handler: (req) => {
        const body = adminObject(req);
        endpoints.length = 0;
        if (typeof body.url === 'string' && typeof body.verifierToken === 'string') {
          endpoints.push({ id: 'default', url: body.url, verifierToken: body.verifierToken });
        }
        return { status: 200, body: { endpoints: endpoints.map((e) => ({ url: e.url })) } };
      },
    },
    {
      method: 'POST',
      path: '/_emulator/oauth/expire-access-tokens',
      handler: () => {
        oauth.expireAccessTokens();
        return { status: 204 };
      },
    },
  ];

  const reset = () => {
    books = new Books(config.realms, () => clock.now(), notify);
    oauth.reset();
    replays = new Map();
    limiter?.reset();
  };

  const server = await createEmulatorServer({
    name: 'quickbooks',
    port: config.port,
    host: config.host,
    clock,
    rng,
    faults,
    webhooks,
    middleware: [catchFaults, authenticate, throttle, replay],
    routes: [...oauth.routes(), ...companyRoutes, ...entityRoutes, ...adminRoutes],
    formatError: (e) => ({
      status: e.status,
      body: faultBody(
        e.status >= 500 ? 'SystemFault' : 'ValidationFault',
        [
          {
            Message: e.code,
            Detail: e.message,
            code: e.status === 404 ? '610' : e.status >= 500 ? '10000' : '2010',
          },
        ],
        clock.now(),
      ),
    }),
    faultResponse: quickbooksFaultResponse,
    admin: {
      dumpState: () => ({
        realms: [...books.realms.values()].map((r) => ({
          realmId: r.realmId,
          companyName: r.companyName,
          homeCurrency: r.homeCurrency,
          homeCurrencyName: CURRENCY_NAMES[r.homeCurrency],
          multiCurrencyEnabled: r.multiCurrencyEnabled,
          bookClose: r.bookClose?.date ?? null,
          entities: Object.fromEntries(ENTITIES.map((e) => [e, books.all(r, e)])),
        })),
        limits: { ratePerMinute: config.ratePerMinute, concurrencyLimit: config.concurrencyLimit },
        requestIds: replays.size,
      }),
      reset,
    },
  });
  return {
    server,
    clock,
    get books() {
      return books;
    },
    oauth,
    reset,
    webhooksIdle: () => webhooks.idle(),
  };
}
