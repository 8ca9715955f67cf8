import type * as kit from '../kit/index.ts';
import type { StripeContext } from './context.ts';
import { stripeError, toResponse } from './errors.ts';
import type { SavedResponse } from './state.ts';

/** Stripe keeps idempotency keys for at least 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Parameter validation failures are not saved: the request never started executing. */
const NOT_SAVED = /^parameter/;

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

function idempotencyError(message: string): kit.EmulatorHttpError {
  return stripeError(400, { type: 'idempotency_error', message });
}

/**
 * Stripe's idempotency for POST (and DELETE) requests with an `Idempotency-Key`, scoped per API
 * key: the first response (status and body, errors and 5xx included) is saved and replayed for
 * the same key and parameters with `Idempotent-Replayed: true`; the same key with other
 * parameters or on another endpoint is a 400 `idempotency_error`; a key still executing is a
 * 409. Keys expire after 24 hours of emulator time.
 */
export function idempotencyMiddleware(ctx: StripeContext): kit.Middleware {
  const inFlight = new Set<string>();
  return async (req, next) => {
    if (req.method !== 'POST' && req.method !== 'DELETE') return next();
    const info = ctx.requests.get(req);
    const key = info?.idempotencyKey;
    if (!info || !key) return next();
    if (key.length > 255) {
      throw stripeError(400, {
        type: 'invalid_request_error',
        message: `Invalid idempotency key: keys must be at most 255 characters long.`,
      });
    }
    const store = `${info.apiKey}\u0000${key}`;
    const now = ctx.clock.now();
    const fingerprint = canonical({
      query: req.query,
      body: req.rawBody.length > 0 ? req.form() : {},
    });
    let saved = ctx.state.idempotency.get(store);
    if (saved && now - saved.at > IDEMPOTENCY_TTL_MS) {
      ctx.state.idempotency.delete(store);
      saved = undefined;
    }
    if (inFlight.has(store)) {
      throw stripeError(409, {
        type: 'idempotency_error',
        code: 'idempotency_key_in_use',
        message:
          'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ' +
          `${key}. Please try again later.`,
      });
    }
    if (saved) {
      if (saved.method !== req.method || saved.path !== req.path) {
        throw idempotencyError(
          `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${saved.method} ${saved.path}' vs '${req.method} ${req.path}'). Try using a key other than '${key}' if you meant to execute a different request.`,
        );
      }
      if (saved.fingerprint !== fingerprint) {
        throw idempotencyError(
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        );
      }
      return {
        status: saved.status,
        headers: { 'Idempotent-Replayed': 'true', 'Original-Request': saved.requestId },
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
    const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
    if (!(res.status === 400 && code !== undefined && NOT_SAVED.test(code))) {
      const entry: SavedResponse = {
        fingerprint,
        method: req.method,
        path: req.path,
        status: res.status,
        body: structuredClone(res.body),
        requestId: info.id,
        at: now,
      };
      ctx.state.idempotency.set(store, entry);
    }
    return res;
  };
}
