import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Role } from '../governance/roles.ts';
import type { ApiContext } from './api-context.ts';
import { principalOf } from './authenticate.ts';
import { toJsonSchema } from './json-schema.ts';
import { Accepted, scopeOf, successSchema, type Access, type RouteSpec } from './route-spec.ts';
import { ErrorBody } from './schemas/common.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; read by the access check. */
    access?: Access;
    /** The key scope the route needs (null: any key); read by the access check. */
    scope?: string | null;
  }
}

const errorSchema = toJsonSchema(ErrorBody, 'output', 'draft-7');

/**
 * Request bodies exactly as sent. Fastify's Ajv coerces types in place (right for query strings,
 * where everything is text, but it would turn a JSON `5` into `"5"`); zod parses this copy, so a
 * body with a wrong type is refused instead of coerced.
 */
const sentBodies = new WeakMap<FastifyRequest, unknown>();

/**
 * Registers one route on Fastify: the JSON Schemas generated from its zod schemas validate the
 * request (Ajv) and serialize the response; the handler then parses the input with zod as well
 * (the body as sent, before Ajv's coercion), so it receives exactly the typed values (defaults,
 * transforms) the schemas describe.
 */
export function registerRoute(app: FastifyInstance, route: RouteSpec, api: ApiContext): void {
  const response: Record<string, unknown> = { '4xx': errorSchema, '5xx': errorSchema };
  if (!route.produces) {
    const success = successSchema(route);
    response[String(route.status ?? 200)] = success
      ? toJsonSchema(success, 'output', 'draft-7')
      : {};
    if (route.accepted && route.status !== 202) {
      response['202'] = toJsonSchema(route.accepted, 'output', 'draft-7');
    }
  }
  app.route({
    method: route.method,
    url: route.url,
    config: { access: route.access, scope: scopeOf(route) },
    ...(route.body && {
      preValidation: async (request: FastifyRequest) => {
        sentBodies.set(request, structuredClone(request.body));
      },
    }),
    schema: {
      ...(route.params && { params: toJsonSchema(route.params, 'input', 'draft-7') }),
      ...(route.query && { querystring: toJsonSchema(route.query, 'input', 'draft-7') }),
      ...(route.body && { body: toJsonSchema(route.body, 'input', 'draft-7') }),
      response,
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const result = await route.handler({
        params: parse(route.params, request.params),
        query: parse(route.query, request.query),
        body: parse(route.body, sentBodies.has(request) ? sentBodies.get(request) : request.body),
        principal,
        actor: principal?.name ?? 'anonymous',
        api,
        request,
        reply,
      });
      if (route.produces) return reply;
      if (result instanceof Accepted) {
        reply.code(202);
        return result.body;
      }
      reply.code(route.status ?? 200);
      return result;
    },
  });
}

function parse(schema: z.ZodType | undefined, value: unknown): unknown {
  return schema ? schema.parse(value) : undefined;
}

/** The role a route needs, resolving `metrics` access; null when it is public. */
export function roleNeeded(
  access: Access | undefined,
  metricsAuth: 'viewer' | 'none',
): Role | null {
  if (access === undefined || access === 'public') return null;
  if (access === 'metrics') return metricsAuth === 'none' ? null : 'viewer';
  return access;
}
