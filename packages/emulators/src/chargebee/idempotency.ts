import type * as kit from '../kit/index.ts';
import { chargebeeError, toResponse } from './errors.ts';
import type { ChargebeeState } from './state.ts';

/** Chargebee keeps idempotency keys for 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** The header the `chargebee` SDK sends (and generates on retried POSTs). */
export const IDEMPOTENCY_HEADER = 'chargebee-idempotency-key';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : 1,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * `chargebee-idempotency-key` on POST: the first response (status and body, errors included) is
 * saved per API key and replayed with `chargebee-idempotency-replayed: true` for the same key,
 * path and parameters; the same key on another path or with other parameters is a 409; a key
 * whose first request is still running is a 409 too. Keys expire after 24 hours of site time.
 */
export function idempotencyMiddleware(
  state: ChargebeeState,
  clock: kit.Clock,
  apiKeyOf: (req: kit.EmulatorRequest) => string,
): kit.Middleware {
  const inFlight = new Set<string>();
  return async (req, next) => {
    const key = req.headers[IDEMPOTENCY_HEADER];
    if (req.method !== 'POST' || !key) return next();
    if (key.length > 100) {
      throw chargebeeError(
        400,
        'invalid_request',
        'chargebee-idempotency-key : must be at most 100 characters',
        {
          type: 'invalid_request',
        },
      );
    }
    const store = `${apiKeyOf(req)}\u0000${key}`;
    const at = clock.now();
    const fingerprint = canonical(req.rawBody.length > 0 ? req.form() : {});
    let saved = state.idempotency.get(store);
    if (saved && at - saved.at > IDEMPOTENCY_TTL_MS) {
      state.idempotency.delete(store);
      saved = undefined;
    }
    if (inFlight.has(store)) {
      throw chargebeeError(
        409,
        'invalid_request',
        `A request with idempotency key ${key} is still being processed`,
        {
          type: 'invalid_request',
          errorCode: 'idempotency_key_in_use',
        },
      );
    }
    if (saved) {
      if (saved.path !== req.path || saved.fingerprint !== fingerprint) {
        throw chargebeeError(
          409,
          'invalid_request',
          `The idempotency key ${key} was already used for a different request (${saved.method} ${saved.path})`,
          { type: 'invalid_request', errorCode: 'idempotency_key_reused' },
        );
      }
      return {
        status: saved.status,
        headers: { 'chargebee-idempotency-replayed': 'true' },
        body: structuredClone(saved.body),
      };
    }
    inFlight.add(store);
    let res: kit.EmulatorResponse;
    try {
      res = await next();
    } catch (err) {
      res = toResponse(err);
    } finally {
      inFlight.delete(store);
    }
    state.idempotency.set(store, {
      fingerprint,
      method: req.method,
      path: req.path,
      status: res.status,
      body: structuredClone(res.body),
      at,
    });
    return res;
  };
}
