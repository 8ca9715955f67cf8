import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { ApiKeys } from '../governance/api-keys.ts';
import { Approvals } from '../governance/approvals.ts';
import { KeyRateLimiter } from '../governance/rate-limiter.ts';
import { NotFoundError } from '../model/revsync-error.ts';
import { redactSecrets } from '../model/secret-redaction.ts';
import { RevsyncMetrics } from '../observability/revsync-metrics.ts';
import type { ApiContext } from './api-context.ts';
import { API_VERSION } from './api-version.ts';
import type { ApiOptions } from './api-options.ts';
import { authenticate } from './authenticate.ts';
import type { ApiDeps } from './deps.ts';
import { toErrorResponse } from './error-response.ts';
import { EventStreams } from './event-streams.ts';
import { registerDashboardRoutes } from './dashboard-routes.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { registerRoute, roleNeeded } from './register-route.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { scopeAreasOf, type Access } from './route-spec.ts';
import { API_ROUTES } from './routes/index.ts';

/** A route as Fastify registered it (what the auth-matrix and OpenAPI tests enumerate). */
export interface RegisteredRoute {
  method: string;
  url: string;
  access: Access | undefined;
  /** `api`: a route of the API (in the OpenAPI document); `dashboard`: the dashboard's files. */
  surface: 'api' | 'dashboard';
}

/**
 * How Fastify's request log lines show a request: its own fields, with secrets in the URL (an
 * API key in the path or the query string) masked; headers are never logged.
 */
const REQUEST_SERIALIZERS = {
  req(req: FastifyRequest) {
    return {
      method: req.method,
      url: redactSecrets(req.url),
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    };
  },
};

const registeredRoutes = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route registered on a server made by {@link createApiServer}, as Fastify saw it. */
export function routesOf(app: FastifyInstance): RegisteredRoute[] {
  return [...(registeredRoutes.get(app) ?? [])];
}

/**
 * Builds revsync's HTTP API on Fastify (without listening; see `listen`): every `/v1` route,
 * `/metrics`, API-key authentication with roles and per-key rate limits, one error body for
 * every failure, server-sent events, the OpenAPI document generated from the same route
 * definitions, and (unless `dashboard: false`) the dashboard at `/`. Closing the server ends open event streams and detaches the metrics listeners.
 */
export async function createApiServer(
  deps: ApiDeps,
  options: ApiOptions = {},
): Promise<FastifyInstance> {
  const clock = deps.clock ?? deps.engine.clock;
  const log = deps.logger ?? deps.engine.log.child({ component: 'api' });
  const metricsAuth = options.metricsAuth ?? 'viewer';

  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; naming the base type keeps the default instance type.
    // The child's serializers win over Fastify's: request URLs are logged with secrets masked.
    loggerInstance: log.child({}, { serializers: REQUEST_SERIALIZERS }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: options.requestLogging !== true }),
    exposeHeadRoutes: false,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
  });

  const routes: RegisteredRoute[] = [];
  registeredRoutes.set(app, routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      routes.push({
        method: String(method),
        url: route.url,
        access: route.config?.access,
        surface: route.config?.surface ?? 'api',
      });
    }
  });

  const api: ApiContext = {
    store: deps.store,
    engine: deps.engine,
    gateway: deps.gateway,
    usage: deps.usage,
    views: deps.views,
    close: deps.close,
    recon: deps.recon,
    systems: deps.systems,
    clock,
    log,
    keys: new ApiKeys(deps.store, {
      now: () => clock.now(),
      ...(options.bootstrapKeys && { bootstrapKeys: options.bootstrapKeys }),
      scopeAreas: scopeAreasOf(API_ROUTES),
    }),
    approvals: new Approvals(deps.store, deps.engine.exceptions, {
      now: () => clock.now(),
      ...(deps.approvalPolicy && { policy: deps.approvalPolicy }),
    }),
    rateLimiter: new KeyRateLimiter({
      now: () => clock.now(),
      ...(options.rateLimits && { limits: options.rateLimits }),
    }),
    metrics: new RevsyncMetrics({
      engine: deps.engine,
      store: deps.store,
      log,
      ...(deps.gateway && { gateway: deps.gateway }),
      ...(deps.views && { views: deps.views }),
      ...(options.processMetrics !== undefined && { processMetrics: options.processMetrics }),
      ...(options.viewCountTtlMs !== undefined && { viewCountTtlMs: options.viewCountTtlMs }),
    }),
    streams: new EventStreams(deps.engine.events, {
      clock,
      heartbeatMs: options.sseHeartbeatMs ?? 15_000,
      maxBufferedBytes: options.sseMaxBufferedBytes ?? 1_048_576,
    }),
    options,
    startedAt: clock.now(),
    openApi: () => openApi,
  };
  const openApi = buildOpenApiDocument(API_ROUTES, {
    version: API_VERSION,
    roleOf: (route) => roleNeeded(route.access, metricsAuth),
  });

  registerSecurityHeaders(app);
  app.setErrorHandler((error, request, reply) => {
    const response = toErrorResponse(error, request.id);
    if (response.serverFault) request.log.error({ err: error }, 'request failed');
    else request.log.debug({ err: error }, 'request refused');
    if (response.retryAfterMs !== undefined) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(response.retryAfterMs / 1000))));
    }
    void reply.code(response.status).send(response.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const response = toErrorResponse(
      new NotFoundError(`no route ${request.method} ${redactSecrets(request.url.split('?')[0]!)}`),
      request.id,
    );
    void reply.code(response.status).send(response.body);
  });
  app.addHook('onRequest', async (request) => {
    const { access, scope } = request.routeOptions.config;
    await authenticate(request, api, roleNeeded(access, metricsAuth), scope ?? null);
  });
  app.addHook('preClose', async () => api.streams.close());
  app.addHook('onClose', async () => api.metrics.dispose());

  for (const route of API_ROUTES) registerRoute(app, route, api);
  if (options.dashboard !== false) registerDashboardRoutes(app);
  return app;
}
