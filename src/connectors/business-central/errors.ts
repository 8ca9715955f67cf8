import { z } from 'zod';
import { errorFromHttpStatus, parseRetryAfter } from '../../gateway/http-errors.ts';
import {
  AuthError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  ValidationError,
  type RevsyncError,
} from '../../model/revsync-error.ts';

/** Business Central's error body: `{error:{code, message}}`. */
export const BcErrorBody = z.looseObject({
  error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }),
});

/** What the client knows about a failed answer. */
export interface BusinessCentralFailure {
  status: number;
  body: unknown;
  retryAfter: string | null;
  /** `METHOD path` of the request. */
  request: string;
}

/** Business Central asks for a wait on 429; when it names none, this. */
export const DEFAULT_THROTTLE_WAIT_MS = 5_000;

/** The error code a revsync error carries from Business Central (its first detail's `path`). */
export function businessCentralCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const details = (error as RevsyncError).details;
  return details?.find((d) => d.path === 'bc.code')?.message;
}

/** True when the failure is a stale `If-Match` (412 `Request_EntityChanged`): re-read and retry. */
export function isStaleEtag(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as RevsyncError).status === 412 &&
    (error as RevsyncError).code === 'conflict'
  );
}

/** True when Business Central refused a record that already exists (a duplicate key). */
export function isDuplicate(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as RevsyncError).code === 'conflict' &&
    /already exists/i.test((error as RevsyncError).message)
  );
}

/**
 * Classifies a failed answer by status and Business Central's error code: 429
 * (`Application_TooManyRequests`) → {@link RateLimitedError} with `Retry-After` (or 5 s); 401 →
 * {@link AuthError}; 403 → {@link ForbiddenError}; 404 → {@link NotFoundError}; 412
 * `Request_EntityChanged` (a stale etag) and a duplicate key (`… already exists`) →
 * {@link ConflictError} (the caller re-reads); 408 and 5xx → {@link RetryableError}; any other 4xx
 * — `Application_DialogException` (business validation, posting refused), `BadRequest`,
 * `BadRequest_InvalidToken` (a missing `If-Match`) — → {@link ValidationError}, permanent.
 */
export function classifyBusinessCentralError(
  failure: BusinessCentralFailure,
  now = Date.now(),
): RevsyncError {
  const parsed = BcErrorBody.safeParse(failure.body);
  const code = parsed.success ? parsed.data.error.code : undefined;
  const text = parsed.success
    ? (parsed.data.error.message ?? '').replace(/\s*CorrelationId:.*$/s, '')
    : typeof failure.body === 'string'
      ? failure.body.slice(0, 300)
      : '';
  const throttled = failure.status === 429 || code === 'Application_TooManyRequests';
  const retryAfterMs =
    parseRetryAfter(failure.retryAfter, now) ?? (throttled ? DEFAULT_THROTTLE_WAIT_MS : undefined);
  const message = `business-central answered ${failure.status}${code ? ` ${code}` : ''} to ${failure.request}${text ? `: ${text}` : ''}`;
  const options = {
    system: 'business-central',
    status: failure.status,
    ...(code !== undefined && { details: [{ path: 'bc.code', message: code }] }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
  if (throttled) return new RateLimitedError(message, options);
  if (failure.status === 401) return new AuthError(message, options);
  if (failure.status === 403) return new ForbiddenError(message, options);
  if (failure.status === 404) return new NotFoundError(message, options);
  if (failure.status === 412 || code === 'Request_EntityChanged') {
    return new ConflictError(message, options);
  }
  if (failure.status === 408 || failure.status >= 500) return new RetryableError(message, options);
  if (failure.status === 400 && /already exists/i.test(text)) {
    return new ConflictError(message, options);
  }
  if (failure.status >= 400 && failure.status < 500) return new ValidationError(message, options);
  return errorFromHttpStatus({
    system: 'business-central',
    status: failure.status,
    message: text || `HTTP ${failure.status}`,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  });
}
