import { z } from 'zod';
import { ApiRecords } from '../api-records.ts';
import { defineRoute } from '../route-spec.ts';
import { IdParams } from '../schemas/common.ts';
import { ApiKeyView } from '../schemas/records.ts';

/** API key management (admin). */
export const keyRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/keys',
    access: 'admin',
    operationId: 'createKey',
    tag: 'keys',
    summary: 'Create an API key; the key is in this response only',
    body: z.object({
      name: z.string().min(1).max(64),
      role: z.enum(['viewer', 'operator', 'approver', 'admin']),
    }),
    status: 201,
    errors: [409],
    response: z.object({
      key: z
        .string()
        .meta({ description: 'rsk_<id>_<secret>; store it now, it is not shown again.' }),
      apiKey: ApiKeyView,
    }),
    async handler({ api, body, actor }) {
      const created = await api.keys.create(body, { actor });
      return { key: created.key, apiKey: ApiRecords.toApiKeyView(created.info) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/keys',
    access: 'admin',
    operationId: 'listKeys',
    tag: 'keys',
    summary: 'List API keys (never the keys themselves)',
    query: z.object({
      includeRevoked: z.boolean().optional().meta({ description: 'Also revoked keys.' }),
    }),
    response: z.object({ keys: z.array(ApiKeyView) }),
    async handler({ api, query }) {
      const keys = await api.keys.list({ includeRevoked: query.includeRevoked === true });
      return { keys: keys.map(ApiRecords.toApiKeyView) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/keys/:id',
    access: 'admin',
    operationId: 'revokeKey',
    tag: 'keys',
    summary: 'Revoke an API key at once',
    params: IdParams,
    errors: [404, 409],
    response: z.object({ apiKey: ApiKeyView }),
    async handler({ api, params, actor }) {
      return { apiKey: ApiRecords.toApiKeyView(await api.keys.revoke(params.id, { actor })) };
    },
  }),
];
