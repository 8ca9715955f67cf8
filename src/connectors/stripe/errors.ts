import Stripe from 'stripe';
import { errorFromHttpStatus, parseRetryAfter } from '../../gateway/http-errors.ts';
import {
  AuthError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  RevsyncError,
  ValidationError,
  coerceError,
  type ErrorDetail,
  type RevsyncErrorOptions,
} from '../../model/revsync-error.ts';

/** Pause after a 429 that carried no `Retry-After` (Stripe's limiter refills every second). */
export const DEFAULT_RATE_LIMIT_RETRY_MS = 1_000;

const SYSTEM = 'stripe';

/**
 * Turns whatever a Stripe SDK call threw into a revsync error:
 *
 * | Stripe                                                   | revsync                             |
 * | -------------------------------------------------------- | ----------------------------------- |
 * | `StripeRateLimitError`, 429, code `rate_limit`           | `RateLimitedError` (`Retry-After`)  |
 * | `StripeAPIError` / 5xx, `StripeConnectionError`          | `RetryableError`                    |
 * | 409 (`idempotency_key_in_use`, `lock_timeout`)           | `RetryableError` (still running)    |
 * | `StripeAuthenticationError` (401)                        | `AuthError`                         |
 * | `StripePermissionError` (403)                            | `ForbiddenError`                    |
 * | `StripeIdempotencyError` (400, key reused)               | `ConflictError`                     |
 * | `StripeInvalidRequestError` 404 / `resource_missing`     | `NotFoundError`                     |
 * | `StripeInvalidRequestError` (other 400)                  | `ValidationError` (with `param`)    |
 * | `StripeCardError` (402)                                  | `ValidationError` (decline details) |
 *
 * `Stripe-Should-Retry` overrides the decision: `false` turns a retryable answer into a
 * `ConflictError` (e.g. a 500 Stripe saved under the idempotency key, which every retry would
 * replay), `true` makes any answer a `RetryableError`.
 *
 * Card errors are expected outcomes for payment operations; the port methods that can cause a
 * charge use `payment_behavior: 'allow_incomplete'`, so a decline comes back as state (an
 * `incomplete`/`past_due` subscription, an `open` invoice) rather than as this error.
 */
export function classifyStripeError(caught: unknown): RevsyncError {
  if (caught instanceof RevsyncError) return caught;
  if (!(caught instanceof Stripe.errors.StripeError)) return coerceError(caught);

  const err = caught;
  const status = err.statusCode;
  const headers = lowercaseKeys(err.headers);
  const base: RevsyncErrorOptions = {
    system: SYSTEM,
    cause: err,
    ...(status !== undefined && { status }),
  };
  const message = describe(err);

  if (err instanceof Stripe.errors.StripeConnectionError) {
    return new RetryableError(message, base);
  }
  if (
    err instanceof Stripe.errors.StripeRateLimitError ||
    status === 429 ||
    err.code === 'rate_limit'
  ) {
    const retryAfterMs = parseRetryAfter(headers['retry-after']) ?? DEFAULT_RATE_LIMIT_RETRY_MS;
    return new RateLimitedError(message, { ...base, retryAfterMs });
  }
  const classified = classifyAnswer(err, message, base);
  // Stripe-Should-Retry overrides the default decision either way.
  const shouldRetry = headers['stripe-should-retry'];
  if (shouldRetry === 'false' && classified.retryable) {
    return new ConflictError(`${message} (Stripe-Should-Retry: false)`, base);
  }
  if (shouldRetry === 'true' && !classified.retryable) return new RetryableError(message, base);
  return classified;
}

function classifyAnswer(
  err: Stripe.errors.StripeError,
  message: string,
  base: RevsyncErrorOptions,
): RevsyncError {
  const status = err.statusCode;
  if (status === 409 && err.code !== 'resource_already_exists') {
    // Another request with this idempotency key (or on this object) is still executing
    // (`idempotency_key_in_use`, `lock_timeout`); a later attempt replays or succeeds.
    return new RetryableError(message, base);
  }
  if (err instanceof Stripe.errors.StripeAuthenticationError) return new AuthError(message, base);
  if (err instanceof Stripe.errors.StripePermissionError) return new ForbiddenError(message, base);
  if (err instanceof Stripe.errors.StripeIdempotencyError) return new ConflictError(message, base);
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    if (status === 404 || err.code === 'resource_missing') return new NotFoundError(message, base);
    return new ValidationError(message, { ...base, ...detailsOf(err) });
  }
  if (err instanceof Stripe.errors.StripeCardError) {
    return new ValidationError(message, { ...base, ...detailsOf(err) });
  }
  if (err instanceof Stripe.errors.StripeAPIError || (status !== undefined && status >= 500)) {
    return new RetryableError(message, base);
  }
  if (status !== undefined) {
    return errorFromHttpStatus({
      system: SYSTEM,
      status,
      message: err.message,
      cause: err,
      ...detailsOf(err),
    });
  }
  return coerceError(err);
}

function describe(err: Stripe.errors.StripeError): string {
  const parts = [err.type];
  if (err.statusCode !== undefined) parts.push(String(err.statusCode));
  if (err.code) parts.push(err.code);
  const request = err.requestId ? ` [${err.requestId}]` : '';
  return `stripe ${parts.join(' ')}: ${err.message}${request}`;
}

function detailsOf(err: Stripe.errors.StripeError): { details?: ErrorDetail[] } {
  const details: ErrorDetail[] = [];
  if (err.param) details.push({ path: err.param, message: err.message });
  if (err.decline_code) details.push({ path: 'decline_code', message: err.decline_code });
  return details.length > 0 ? { details } : {};
}

function lowercaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}
