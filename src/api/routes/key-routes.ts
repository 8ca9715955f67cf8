import { z } from 'zod';
import { DEFAULT_ROTATION_GRACE_MS, parseKeyDuration } from '../../governance/api-keys.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import { ApiRecords } from '../api-records.ts';
import { defineRoute } from '../route-spec.ts';
import { IdParams } from '../schemas/common.ts';
import { ApiKeyView } from '../schemas/records.ts';

const duration = z
  .string()
  .regex(/^\d{1,9}(ms|s|m|h|d)?$/, 'a duration such as 90d, 24h, 30m, 45s or 0')
  .meta({ description: 'A duration: 90d, 24h, 30m, 45s (a bare number is milliseconds).' });

const expiry = {
  expiresIn: duration
    .optional()
    .meta({ description: 'The key stops working this long from now (e.g. 90d).' }),
  expiresAt: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'The key stops working at this instant (ISO 8601).' }),
};

const KeyWithSecret = z.object({
  key: z.string().meta({ description: 'rsk_<id>_<secret>; store it now, it is not shown again.' }),
  apiKey: ApiKeyView,
});

/** The expiry asked for (ms since the epoch); undefined when neither field is given. */
function expiryOf(
  body: { expiresIn?: string | undefined; expiresAt?: string | undefined },
  now: number,
): number | undefined {
  if (body.expiresIn !== undefined && body.expiresAt !== undefined) {
    throw new ValidationError('give expiresIn or expiresAt, not both');
  }
  if (body.expiresIn !== undefined) {
    const ms = parseKeyDuration(body.expiresIn)!;
    if (ms <= 0) throw new ValidationError('expiresIn: must be more than 0');
    return now + ms;
  }
  return body.expiresAt === undefined ? undefined : Date.parse(body.expiresAt);
}

/** API key management (admin). */
export const keyRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/keys',
    access: 'admin',
    operationId: 'createKey',
    tag: 'keys',
    summary: 'Create an API key; the key is in this response only',
    description:
      'A key may carry `scopes` (`<area>:<read|write|*>`, the area being the route’s tag: `usage:write` lets a metering integration post usage and nothing else) and an expiry (`expiresIn` or `expiresAt`); an expired key is refused with 401 `api_key_expired`.',
    body: z.object({
      name: z.string().min(1).max(64),
      role: z.enum(['viewer', 'operator', 'approver', 'admin']),
      scopes: z
        .array(z.string())
        .min(1)
        .optional()
        .meta({ description: 'Limits the key below its role, e.g. ["usage:write"].' }),
      ...expiry,
    }),
    status: 201,
    errors: [409],
    response: KeyWithSecret,
    async handler({ api, body, actor }) {
      const expiresAt = expiryOf(body, api.clock.now());
      const created = await api.keys.create(
        {
          name: body.name,
          role: body.role,
          ...(body.scopes && { scopes: body.scopes }),
          ...(expiresAt !== undefined && { expiresAt }),
        },
        { actor },
      );
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
    method: 'POST',
    url: '/v1/keys/:id/rotate',
    access: 'admin',
    operationId: 'rotateKey',
    tag: 'keys',
    summary: 'Issue a new secret for an API key; the old one works until the grace period ends',
    description: `Same id, name, role and scopes; the new key is in this response only. The replaced secret keeps working for \`grace\` (default ${DEFAULT_ROTATION_GRACE_MS / 3_600_000}h; \`0\`: not at all), then is refused with 401 \`api_key_expired\`. Without \`expiresIn\`/\`expiresAt\` a key that expires gets its lifetime again from now.`,
    params: IdParams,
    body: z.object({
      grace: duration.optional().meta({
        description: 'How long the replaced secret keeps working (default 24h; 0: not at all).',
      }),
      ...expiry,
    }),
    errors: [404, 409],
    response: KeyWithSecret,
    async handler({ api, params, body, actor }) {
      const expiresAt = expiryOf(body, api.clock.now());
      const rotated = await api.keys.rotate(
        params.id,
        {
          ...(body.grace !== undefined && { graceMs: parseKeyDuration(body.grace)! }),
          ...(expiresAt !== undefined && { expiresAt }),
        },
        { actor },
      );
      return { key: rotated.key, apiKey: ApiRecords.toApiKeyView(rotated.info) };
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
