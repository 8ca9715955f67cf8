import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../governance/api-keys.ts';
import { routeScope } from '../governance/api-key-scopes.ts';
import type { Role } from '../governance/roles.ts';
import type { ApiContext } from './api-context.ts';

/**
 * Who may call a route: anyone (`public`), a key of at least this role, or — for `/metrics` —
 * `metrics`: a viewer key unless the server was started with `metricsAuth: 'none'`.
 */
export type Access = Role | 'public' | 'metrics';

/** What a route handler receives: validated, typed input and the caller. */
export interface RouteContext<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
  /** The authenticated key; null on public routes. */
  principal: Principal | null;
  /** The audit actor of writes: the key's name. */
  actor: string;
  api: ApiContext;
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * One API route: method, path, access, zod schemas of its input and output, and the handler.
 * The same definitions register the Fastify route (request validation and response
 * serialization from the zod schemas) and generate the OpenAPI document, so they cannot drift.
 */
export interface RouteSpec<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Reply extends z.ZodType = z.ZodType,
> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify path syntax, e.g. `/v1/runs/:id`. */
  url: string;
  access: Access;
  /** Unique camelCase operation id for OpenAPI clients. */
  operationId: string;
  summary: string;
  description?: string;
  /** OpenAPI tag (a section of the reference); also the area of the route's key scope. */
  tag: string;
  /**
   * The scope area when it is not the tag; `null`: any valid key may call the route whatever
   * its scopes (`/v1/whoami`). The scope is `<area>:read` for GET and `<area>:write` otherwise.
   */
  scopeArea?: string | null;
  params?: Params;
  query?: Query;
  body?: Body;
  /** Success status of a JSON route (default 200). */
  status?: 200 | 201 | 202;
  /** Schema of the JSON success body. */
  response?: Reply;
  /**
   * A protected action: the handler may return {@link Accepted} with this body (a change request
   * waiting for approval), answered 202. When `status` is 202 already, the 202 body is either.
   */
  accepted?: z.ZodType;
  /** A non-JSON route: the handler writes the reply itself in this media type. */
  produces?: 'text/event-stream' | 'text/plain' | 'text/csv';
  /** Error statuses this route can answer besides the common ones (400, 401, 403, 429, 500). */
  errors?: readonly number[];
  handler(
    ctx: RouteContext<z.output<Params>, z.output<Query>, z.output<Body>>,
  ): Promise<z.input<Reply> | Accepted | undefined>;
}

/** A protected action did not run: it waits for approval; the route answers 202 with `body`. */
export class Accepted {
  readonly body: unknown;
  constructor(body: unknown) {
    this.body = body;
  }
}

/** The schema of a route's success body at its own status (with `accepted` merged in at 202). */
export function successSchema(route: RouteSpec): z.ZodType | undefined {
  if (route.accepted && route.status === 202 && route.response) {
    return z.union([route.response, route.accepted]);
  }
  return route.response;
}

/** The key scope a route needs (`usage:write`), or null when any valid key may call it. */
export function scopeOf(route: Pick<RouteSpec, 'tag' | 'method' | 'scopeArea'>): string | null {
  const area = route.scopeArea === undefined ? route.tag : route.scopeArea;
  return area === null ? null : routeScope(area, route.method);
}

/** Every scope area of these routes (what a key's scopes may name). */
export function scopeAreasOf(routes: readonly RouteSpec[]): string[] {
  const areas = new Set<string>();
  for (const route of routes) {
    const scope = scopeOf(route);
    if (scope !== null) areas.add(scope.split(':')[0]!);
  }
  return [...areas].sort();
}

/** Declares a route with its types inferred from its schemas. */
export function defineRoute<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Reply extends z.ZodType = z.ZodType,
>(spec: RouteSpec<Params, Query, Body, Reply>): RouteSpec<Params, Query, Body, Reply> {
  return spec;
}
