import {
  AuthError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  ValidationError,
  type ErrorDetail,
  type RevsyncError,
} from '../model/revsync-error.ts';

/** What a connector knows about a failed HTTP answer. */
export interface HttpFailure {
  system: string;
  status: number;
  message: string;
  /** Parsed `Retry-After` in milliseconds, when present. */
  retryAfterMs?: number;
  details?: ErrorDetail[];
  cause?: unknown;
}

/**
 * Classifies an HTTP failure by status into revsync's error classes; connectors refine it with the
 * vendor's own error codes first and fall back to this.
 */
export function errorFromHttpStatus(failure: HttpFailure): RevsyncError {
  const { status, system } = failure;
  const options = {
    system,
    status,
    cause: failure.cause,
    ...(failure.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
    ...(failure.details !== undefined && { details: failure.details }),
  };
  const message = `${system} answered ${status}: ${failure.message}`;
  if (status === 429) return new RateLimitedError(message, options);
  if (status === 401) return new AuthError(message, options);
  if (status === 403) return new ForbiddenError(message, options);
  if (status === 404) return new NotFoundError(message, options);
  if (status === 409) return new ConflictError(message, options);
  if (status === 408 || status >= 500) return new RetryableError(message, options);
  return new ValidationError(message, options);
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
