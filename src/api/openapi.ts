import type { Role } from '../governance/roles.ts';
import { toJsonSchema } from './json-schema.ts';
import { successSchema, type RouteSpec } from './route-spec.ts';
import { ErrorBody } from './schemas/common.ts';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  400: 'The request is invalid (`invalid_request`, `validation_failed`)',
  401: 'No valid API key (`unauthorized`)',
  403: 'The key’s role does not allow this (`forbidden`)',
  404: 'Not found (`not_found`)',
  409: 'Conflicts with the current state (`conflict`)',
  429: 'Rate limit of the key exceeded (`rate_limited`); see `Retry-After`',
  500: 'Internal error (`internal`)',
  503: 'Not configured or a dependency is unavailable (`unavailable`)',
};

/** Which role a route needs once `metrics` access is resolved; null for public routes. */
export type AccessResolver = (route: RouteSpec) => Role | null;

/**
 * Builds the OpenAPI 3.1 document from the route definitions: paths, parameters, request and
 * response schemas (zod → JSON Schema 2020-12), the error schema, and the API-key security
 * schemes with each operation's required role (`x-revsync-role`).
 */
export function buildOpenApiDocument(
  routes: readonly RouteSpec[],
  options: { version: string; roleOf: AccessResolver; serverUrl?: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const role = options.roleOf(route);
    const parameters: Record<string, unknown>[] = [];
    if (route.params) parameters.push(...objectParameters(route.params, 'path'));
    if (route.query) parameters.push(...objectParameters(route.query, 'query'));

    const responses: Record<string, unknown> = {};
    const ok = String(route.status ?? 200);
    if (route.produces) {
      responses[ok] = {
        description: STATUS_TEXT[route.status ?? 200],
        content: { [route.produces]: { schema: { type: 'string' } } },
      };
    } else {
      responses[ok] = {
        description: STATUS_TEXT[route.status ?? 200],
        content: {
          'application/json': {
            schema: successSchema(route)
              ? toJsonSchema(successSchema(route)!, 'output', 'draft-2020-12')
              : {},
          },
        },
      };
      if (route.accepted && route.status !== 202) {
        responses['202'] = {
          description: 'Accepted: the action waits for approval (a change request)',
          content: {
            'application/json': {
              schema: toJsonSchema(route.accepted, 'output', 'draft-2020-12'),
            },
          },
        };
      }
    }
    const errors = new Set<number>([500, ...(route.errors ?? [])]);
    if (route.params || route.query || route.body) errors.add(400);
    if (role !== null) [401, 403, 429].forEach((s) => errors.add(s));
    for (const status of [...errors].sort((a, b) => a - b)) {
      responses[String(status)] = { $ref: `#/components/responses/E${status}` };
    }

    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description !== undefined && { description: route.description }),
      tags: [route.tag],
      ...(parameters.length > 0 && { parameters }),
      ...(route.body && {
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: toJsonSchema(route.body, 'input', 'draft-2020-12') },
          },
        },
      }),
      responses,
      security: role === null ? [] : [{ bearerAuth: [] }, { apiKeyHeader: [] }],
      'x-revsync-role': role ?? 'public',
    };
  }

  const errorResponses: Record<string, unknown> = {};
  for (const status of [400, 401, 403, 404, 409, 429, 500, 503]) {
    errorResponses[`E${status}`] = {
      description: STATUS_TEXT[status],
      ...(status === 429 && {
        headers: {
          'Retry-After': {
            description: 'Seconds until the key may make another request.',
            schema: { type: 'integer' },
          },
        },
      }),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'revsync API',
      version: options.version,
      description:
        'Operate revsync: runs, the exception queue, lineage, replay, usage ingestion, business views, metrics and live events. Every error is `{ "error": { "code", "message", "details"? } }`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(options.serverUrl !== undefined && { servers: [{ url: options.serverUrl }] }),
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: toJsonSchema(ErrorBody, 'output', 'draft-2020-12') },
      responses: errorResponses,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'rsk_<id>_<secret>',
          description: 'An API key: `Authorization: Bearer rsk_…`.',
        },
        apiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Api-Key',
          description: 'The same API key in the `X-Api-Key` header.',
        },
      },
    },
  };
}

/** One OpenAPI parameter per property of an object schema (or one free-form object). */
function objectParameters(
  schema: RouteSpec['params'] & object,
  where: 'path' | 'query',
): Record<string, unknown>[] {
  const json = toJsonSchema(schema, 'input', 'draft-2020-12');
  const properties = (json.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((json.required ?? []) as string[]);
  const names = Object.keys(properties);
  if (names.length === 0 && where === 'query' && json.additionalProperties !== undefined) {
    return [
      {
        name: 'params',
        in: 'query',
        required: false,
        style: 'form',
        explode: true,
        description: 'Free-form query parameters passed on.',
        schema: { type: 'object', additionalProperties: json.additionalProperties },
      },
    ];
  }
  return names.map((name) => {
    const { description, ...propertySchema } = properties[name]!;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' && { description }),
      schema: propertySchema,
    };
  });
}
