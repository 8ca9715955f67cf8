import {
  createClock,
  createEmulatorServer,
  createFaultInjector,
  createRng,
  EmulatorHttpError,
  type EmulatorServer,
  type FaultConfigInput,
  type FaultPreset,
  type Middleware,
  type Route,
} from '../kit/index.ts';
import { createApiDispatch, type ApiRoute, type SalesforceContext } from './api-router.ts';
import { changeEventRoutes } from './change-events.ts';
import { compositeRoutes } from './composite.ts';
import { Dml } from './dml.ts';
import {
  formatSalesforceError,
  notFound,
  SalesforceError,
  salesforceFaultResponse,
} from './errors.ts';
import { ApiUsage, limitsRoutes } from './limits.ts';
import { baseUrlOf, oauthRoutes, Sessions, type OAuthConfig } from './oauth.ts';
import { QueryCursors, queryRoutes } from './query.ts';
import { sobjectRoutes } from './sobjects.ts';
import { SalesforceState } from './state.ts';

/** Everything {@link createSalesforceServer} needs, defaults already applied. */
export interface SalesforceServerConfig {
  port: number;
  host: string;
  seed: number;
  faults: FaultConfigInput | FaultPreset;
  oauth: OAuthConfig;
  dailyApiLimit: number;
}

/** The assembled emulator and its parts. */
export interface SalesforceServer {
  server: EmulatorServer;
  state: SalesforceState;
  usage: ApiUsage;
}

/** The API versions `GET /services/data` lists (any `vNN.N` is served). */
const LISTED_VERSIONS = Array.from({ length: 66 - 20 + 1 }, (_, i) => `${20 + i}.0`);
const API_PATH = /^\/services\/data\/([^/]+)/;
const VERSION = /^v\d{2,3}\.\d$/;

/**
 * Assembles the Salesforce emulator on the kit's server: OAuth token endpoint, bearer auth and
 * the daily API limit (with `Sforce-Limit-Info`) around the REST API, the REST routes, and the
 * admin extras (`/_emulator/cdc/events`, `/_emulator/records/{Obj}`).
 */
export async function createSalesforceServer(
  config: SalesforceServerConfig,
): Promise<SalesforceServer> {
  const rng = createRng(config.seed);
  const clock = createClock();
  const faults = createFaultInjector({ rng: rng.fork('faults'), clock, config: config.faults });
  let seed = config.seed;
  const state = new SalesforceState(clock, seed);
  const usage = new ApiUsage(clock, config.dailyApiLimit);
  const sessions = new Sessions(config.oauth, clock, rng.fork('tokens'));
  const cursors = new QueryCursors();
  const ctx: SalesforceContext = { state, dml: new Dml(state), clock, usage };
  let url = '';

  const apiRoutes: ApiRoute[] = [
    ...sobjectRoutes(ctx),
    ...queryRoutes(ctx, cursors),
    ...limitsRoutes(ctx),
  ];
  const dispatch = createApiDispatch([
    ...apiRoutes,
    ...compositeRoutes(ctx, (req) => dispatch(req)),
  ]);

  const auth: Middleware = async (req, next) => {
    const m = API_PATH.exec(req.path);
    if (!m) return next();
    if (!VERSION.test(m[1] as string)) throw notFound();
    const token =
      /^(?:Bearer|OAuth)\s+(.+)$/i.exec(req.headers['authorization'] ?? '')?.[1]?.trim() ?? '';
    if (!sessions.authenticate(token)) {
      throw new SalesforceError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
    if (!usage.take()) {
      throw new EmulatorHttpError(
        403,
        [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
        { 'Sforce-Limit-Info': usage.header() },
      );
    }
    const limitInfo = { 'Sforce-Limit-Info': usage.header() };
    try {
      const r = await next();
      return { ...r, headers: { ...r.headers, ...limitInfo } };
    } catch (err) {
      if (err instanceof EmulatorHttpError)
        throw new EmulatorHttpError(err.status, err.body, { ...err.headers, ...limitInfo });
      throw err;
    }
  };

  const routes: Route[] = [
    ...oauthRoutes(state, sessions, config.oauth, () => url),
    {
      method: 'GET',
      path: '/services/data',
      handler: () => ({
        status: 200,
        body: LISTED_VERSIONS.map((v) => ({
          label: `API v${v}`,
          url: `/services/data/v${v}`,
          version: v,
        })),
      }),
    },
    {
      method: 'GET',
      path: '/services/data/:version',
      handler: (req) => {
        const base = `/services/data/${req.params['version'] ?? ''}`;
        const names = ['sobjects', 'query', 'queryAll', 'composite', 'limits'];
        return {
          status: 200,
          body: {
            ...Object.fromEntries(names.map((n) => [n, `${base}/${n}`])),
            identity: `${baseUrlOf(req, url)}/id/${state.orgId}/${state.userId}`,
          },
        };
      },
    },
    {
      method: '*',
      path: '/services/data/:version/*',
      handler: (req) => {
        let body: unknown;
        if (req.rawBody.length > 0) {
          try {
            body = JSON.parse(req.text());
          } catch (err) {
            throw new SalesforceError(
              400,
              'JSON_PARSER_ERROR',
              `Unexpected character in the JSON body: ${String(err)}`,
            );
          }
        }
        const prefix = `/services/data/${req.path.split('/')[3] ?? ''}`;
        return dispatch({
          method: req.method,
          version: (req.params['version'] ?? '').slice(1),
          path: req.path.slice(prefix.length) || '/',
          searchParams: req.searchParams,
          headers: req.headers,
          body,
        });
      },
    },
    ...changeEventRoutes(state.changeEvents),
    {
      method: 'POST',
      path: '/_emulator/records/:object',
      handler: (req) => {
        const o = state.schema.require(req.params['object'] ?? '');
        const raw: unknown = req.rawBody.length > 0 ? req.json() : [];
        const records = Array.isArray(raw) ? raw : (raw as { records?: unknown })?.records;
        if (!Array.isArray(records)) {
          throw new EmulatorHttpError(400, {
            error: { code: 'invalid_body', message: 'give an array of records or {records:[…]}' },
          });
        }
        const ids = state.transaction(
          () => records.map((r) => ctx.dml.create(o, r, { seeding: true })),
          'com/salesforce/api/emulator/seed',
        );
        return { status: 201, body: { ids } };
      },
    },
    {
      method: 'GET',
      path: '/_emulator/records/:object',
      handler: (req) => {
        const o = state.schema.require(req.params['object'] ?? '');
        return { status: 200, body: { records: state.all(o.name) } };
      },
    },
    {
      method: 'POST',
      path: '/_emulator/records/:object/:id/undelete',
      handler: (req) => {
        const id = state.transaction(
          () => ctx.dml.undelete(req.params['id'] ?? ''),
          'com/salesforce/api/emulator/undelete',
        );
        return { status: 200, body: { id, success: true, errors: [] } };
      },
    },
  ];

  const server = await createEmulatorServer({
    name: 'salesforce',
    port: config.port,
    host: config.host,
    clock,
    rng,
    faults,
    routes,
    middleware: [auth],
    formatError: formatSalesforceError,
    faultResponse: salesforceFaultResponse,
    admin: {
      dumpState: () => ({
        org: {
          orgId: state.orgId,
          userId: state.userId,
          standardPricebookId: state.standardPricebookId,
        },
        records: state.dump(),
        changeEvents: {
          latestReplayId: state.changeEvents.latestReplayId(),
          retained: state.changeEvents.retained().length,
        },
        apiUsage: { used: usage.used(), limit: usage.limit },
        openQueryCursors: cursors.size,
      }),
      reset: (body) => {
        const next = (body as { seed?: unknown } | undefined)?.seed;
        if (typeof next === 'number' && Number.isFinite(next)) seed = next;
        state.reset(seed);
        cursors.clear();
        usage.reset();
      },
    },
  });
  url = server.url;
  return { server, state, usage };
}
