import type { FormValue } from './form-body.ts';

/** A request as an emulator route handler sees it. */
export interface EmulatorRequest {
  method: string;
  /** The path without the query string, as sent (percent-encoding kept). */
  path: string;
  /** The route pattern that matched, e.g. `/v1/customers/:id` (`''` before routing). */
  route: string;
  /** Decoded `:params`; a trailing `*` lands in `params['*']`. */
  params: Record<string, string>;
  /** The raw query. */
  searchParams: URLSearchParams;
  /** The query decoded with bracket nesting (see `parseFormBody`). */
  query: Record<string, FormValue>;
  /** Header names lowercased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  rawBody: Buffer;
  /** The body decoded by its content type: JSON → value, form → nested object, else `undefined`. Throws a 400 on malformed JSON. */
  readonly body: unknown;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON whatever the content type; throws a 400 when malformed. */
  json(): unknown;
  /** The body decoded as a nested form whatever the content type. */
  form(): Record<string, FormValue>;
}

/** What a handler returns. `body`: a string or Buffer is sent as is, anything else as JSON. */
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: unknown;
}

/** A route handler. Throw `EmulatorHttpError` to answer with an error response. */
export type RouteHandler = (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

/** HTTP method of a route; `'*'` matches any. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | '*';

/**
 * One route: `path` segments are literals, `:name` params, or a final `*` catch-all.
 * @example { method: 'GET', path: '/v1/customers/:id', handler }
 */
export interface Route {
  method: RouteMethod;
  path: string;
  handler: RouteHandler;
}

/** The outcome of {@link Router.match}. */
export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'not_found' };

/** A compiled route table. */
export interface Router {
  match(method: string, path: string): RouteMatch;
  readonly routes: readonly Route[];
}

type Segment =
  { kind: 'static'; value: string } | { kind: 'param'; name: string } | { kind: 'rest' };

interface Compiled {
  route: Route;
  segments: Segment[];
  order: number;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function compile(route: Route, order: number): Compiled {
  const parts = splitPath(route.path);
  const segments = parts.map((part, i): Segment => {
    if (part === '*') {
      if (i !== parts.length - 1) throw new Error(`route ${route.path}: '*' must be last`);
      return { kind: 'rest' };
    }
    if (part.startsWith(':')) return { kind: 'param', name: part.slice(1) };
    return { kind: 'static', value: part };
  });
  return { route, segments, order };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchPath(c: Compiled, parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < c.segments.length; i++) {
    const seg = c.segments[i] as Segment;
    if (seg.kind === 'rest') {
      params['*'] = parts.slice(i).map(decode).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.kind === 'static' && seg.value !== part) return undefined;
    if (seg.kind === 'param') params[seg.name] = decode(part);
  }
  return c.segments.length === parts.length ? params : undefined;
}

const RANK = { static: 0, param: 1, rest: 2 } as const;

/** Literal segments beat params, params beat `*`; ties keep declaration order. */
function specificity(a: Compiled, b: Compiled): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    if (!x || !y) break;
    const d = RANK[x.kind] - RANK[y.kind];
    if (d !== 0) return d;
  }
  return a.order - b.order;
}

/**
 * Compiles a route table. A path matches segment by segment (a trailing slash is ignored);
 * among matching routes the most specific wins, so `/v1/customers/search` may be declared
 * after `/v1/customers/:id`.
 */
export function createRouter(routes: readonly Route[]): Router {
  const compiled = routes.map(compile).sort(specificity);
  return {
    routes,
    match(method, path) {
      const parts = splitPath(path);
      const allow = new Set<string>();
      const upper = method.toUpperCase();
      for (const c of compiled) {
        const params = matchPath(c, parts);
        if (!params) continue;
        const m = c.route.method;
        if (m === '*' || m === upper || (upper === 'HEAD' && m === 'GET')) {
          return { kind: 'found', route: c.route, params };
        }
        allow.add(m);
      }
      return allow.size > 0
        ? { kind: 'method_not_allowed', allow: [...allow] }
        : { kind: 'not_found' };
    },
  };
}
