import { parseRetryAfter } from '../../gateway/http-errors.ts';
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
  type RevsyncErrorOptions,
} from '../../model/revsync-error.ts';

/** Pause after a 429 without `Retry-After` (Chargebee counts per minute). */
export const DEFAULT_RATE_LIMIT_RETRY_MS = 5_000;

const SYSTEM = 'chargebee';

/** What the `chargebee` SDK rejects with for an HTTP error: the error body plus status and headers. */
export interface ChargebeeApiFailure {
  http_status_code: number;
  message?: string;
  type?: string;
  api_error_code?: string;
  error_code?: string;
  param?: string;
  headers?: Record<string, string>;
}

export function isChargebeeFailure(value: unknown): value is ChargebeeApiFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { http_status_code?: unknown }).http_status_code === 'number'
  );
}

/** The `api_error_code` of a failure (a classified error's cause), if it has one. */
export function chargebeeCodeOf(caught: unknown): string | undefined {
  const cause = caught instanceof RevsyncError ? caught.cause : caught;
  return isChargebeeFailure(cause) ? cause.api_error_code : undefined;
}

/**
 * Turns whatever a `chargebee` SDK call threw into a revsync error:
 *
 * | Chargebee                                              | revsync                            |
 * | ------------------------------------------------------ | ---------------------------------- |
 * | 429 `api_request_limit_exceeded`                       | `RateLimitedError` (`Retry-After`) |
 * | 5xx (`internal_error`, `internal_temporary_error`, …)  | `RetryableError`                   |
 * | no answer (connection reset, timeout)                  | `RetryableError`                   |
 * | 409 idempotency key still in use                       | `RetryableError`                   |
 * | 401 `api_authentication_failed`                        | `AuthError`                        |
 * | 403 `api_authorization_failed`                         | `ForbiddenError`                   |
 * | 404 `resource_not_found`                               | `NotFoundError`                    |
 * | 409 other (`invalid_state_for_request`, key reused)    | `ConflictError`                    |
 * | 400 `duplicate_entry`                                  | `ConflictError`                    |
 * | 400 other (`invalid_request`, `payment`)               | `ValidationError` (with `param`)   |
 */
export function classifyChargebeeError(caught: unknown): RevsyncError {
  if (caught instanceof RevsyncError) return caught;
  if (!isChargebeeFailure(caught)) {
    // fetch failures and the SDK's timeout: nothing was answered.
    const message = caught instanceof Error ? caught.message : String(caught);
    return new RetryableError(`chargebee request failed: ${message}`, {
      system: SYSTEM,
      cause: caught,
    });
  }
  const status = caught.http_status_code;
  const code = caught.api_error_code ?? caught.error_code ?? 'unknown';
  const message = `chargebee ${status} ${code}: ${caught.message ?? 'request failed'}`;
  const base: RevsyncErrorOptions = { system: SYSTEM, status, cause: caught };
  if (status === 429) {
    const headers = caught.headers ?? {};
    const retryAfterMs = parseRetryAfter(headers['retry-after']) ?? DEFAULT_RATE_LIMIT_RETRY_MS;
    return new RateLimitedError(message, { ...base, retryAfterMs });
  }
  if (status >= 500) return new RetryableError(message, base);
  if (status === 401) return new AuthError(message, base);
  if (status === 403) return new ForbiddenError(message, base);
  if (status === 404) return new NotFoundError(message, base);
  if (status === 409) {
    if (caught.error_code === 'idempotency_key_in_use') return new RetryableError(message, base);
    return new ConflictError(message, base);
  }
  if (code === 'duplicate_entry') return new ConflictError(message, base);
  if (status >= 400) {
    return new ValidationError(message, {
      ...base,
      ...(caught.param !== undefined && {
        details: [{ path: caught.param, message: caught.message ?? code }],
      }),
    });
  }
  return coerceError(caught);
}
