import type { FastifyRequest } from 'fastify';
import type { Principal } from '../governance/api-keys.ts';
import { roleAllows, type Role } from '../governance/roles.ts';
import { scopesAllow } from '../governance/api-key-scopes.ts';
import {
  ForbiddenError,
  InsufficientScopeError,
  RateLimitedError,
  UnauthorizedError,
} from '../model/revsync-error.ts';
import type { ApiContext } from './api-context.ts';

const principals = new WeakMap<FastifyRequest, Principal>();

/** The key that authenticated this request, if any. */
export function principalOf(request: FastifyRequest): Principal | null {
  return principals.get(request) ?? null;
}

/** The key presented as `Authorization: Bearer rsk_…` or `X-Api-Key: rsk_…`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

/**
 * The API's access check, run before the body is parsed or validated: a route that needs a role
 * gets 401 without a valid key (`api_key_expired` for an expired one), 429 when the key has used
 * up its rate, 403 when the key's role is too low, and 403 `insufficient_scope` when the key has
 * scopes and none covers the route's `scope`. The key is remembered for the handler (its name
 * is the audit actor).
 */
export async function authenticate(
  request: FastifyRequest,
  api: ApiContext,
  need: Role | null,
  scope: string | null = null,
): Promise<void> {
  if (need === null) return;
  const key = presentedKey(request);
  if (key === undefined) {
    throw new UnauthorizedError(
      'an API key is required: send "Authorization: Bearer rsk_…" or "X-Api-Key: rsk_…"',
    );
  }
  const principal = await api.keys.authenticate(key);
  const decision = api.rateLimiter.take(principal.keyId, principal.role);
  if (!decision.allowed) {
    const limit = api.rateLimiter.limitOf(principal.role);
    throw new RateLimitedError(
      `API key "${principal.name}" exceeded ${limit.ratePerSecond} requests per second (burst ${limit.burst})`,
      { retryAfterMs: decision.retryAfterMs },
    );
  }
  if (!roleAllows(principal.role, need)) {
    throw new ForbiddenError(
      `this needs the ${need} role; API key "${principal.name}" has the ${principal.role} role`,
    );
  }
  if (scope !== null && principal.scopes !== null && !scopesAllow(principal.scopes, scope)) {
    throw new InsufficientScopeError(
      `this needs the ${scope} scope; API key "${principal.name}" has ${principal.scopes.join(', ')}`,
    );
  }
  principals.set(request, principal);
}
