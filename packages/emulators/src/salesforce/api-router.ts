import {
  createRouter,
  EmulatorHttpError,
  type Clock,
  type EmulatorResponse,
  type Route,
  type RouteMethod,
} from '../kit/index.ts';
import type { Dml } from './dml.ts';
import { notFound, SalesforceError } from './errors.ts';
import type { ApiUsage } from './limits.ts';
import type { SalesforceState } from './state.ts';

/** A REST API request below `/services/data/vNN.N`, from HTTP or from a composite subrequest. */
export interface ApiRequest {
  method: string;
  /** The API version without the `v`, e.g. `50.0`. */
  version: string;
  /** The path after the version, percent-encoding kept, e.g. `/sobjects/Account/001…`. */
  path: string;
  /** Decoded route params. */
  params: Record<string, string>;
  searchParams: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body, if any. */
  body: unknown;
}

/** A handler of the REST API. Synchronous, so that requests never interleave inside a transaction. */
export type ApiHandler = (req: ApiRequest) => EmulatorResponse;

/** One REST API route, relative to `/services/data/vNN.N`. */
export interface ApiRoute {
  method: RouteMethod;
  path: string;
  handler: ApiHandler;
}

/** Everything the REST API handlers share. */
export interface SalesforceContext {
  state: SalesforceState;
  dml: Dml;
  clock: Clock;
  usage: ApiUsage;
}

/** Runs one REST API request through the route table. */
export type ApiDispatch = (req: Omit<ApiRequest, 'params'>) => EmulatorResponse;

/** `changeOrigin` of change events caused by a request (`client=` from `Sforce-Call-Options`). */
export function changeOrigin(req: Pick<ApiRequest, 'version' | 'headers'>): string {
  const client = /(?:^|,)\s*client=([^,]+)/
    .exec(req.headers['sforce-call-options'] ?? '')?.[1]
    ?.trim();
  return `com/salesforce/api/rest/${req.version}${client ? `;client=${client}` : ''}`;
}

/** Compiles the REST API route table (kit router: literal segments beat params). */
export function createApiDispatch(routes: readonly ApiRoute[]): ApiDispatch {
  const handlers = new Map<Route, ApiHandler>();
  const kitRoutes = routes.map((r) => {
    const route: Route = {
      method: r.method,
      path: r.path,
      handler: () => {
        throw new Error('REST API routes run through the API dispatcher');
      },
    };
    handlers.set(route, r.handler);
    return route;
  });
  const router = createRouter(kitRoutes);
  return (req) => {
    const match = router.match(req.method, req.path);
    if (match.kind === 'not_found') throw notFound();
    if (match.kind === 'method_not_allowed') {
      throw new SalesforceError(
        405,
        'METHOD_NOT_ALLOWED',
        `HTTP Method '${req.method}' not allowed. Allowed are ${match.allow.join(',')}`,
      );
    }
    const handler = handlers.get(match.route) as ApiHandler;
    return handler({ ...req, params: match.params });
  };
}

/** Runs a handler and turns a thrown `EmulatorHttpError` into its response. */
export function responseOf(run: () => EmulatorResponse): EmulatorResponse {
  try {
    return run();
  } catch (err) {
    if (err instanceof EmulatorHttpError)
      return { status: err.status, headers: err.headers, body: err.body };
    throw err;
  }
}
