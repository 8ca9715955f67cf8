import { errorFromHttpStatus, parseRetryAfter } from '../../gateway/http-errors.ts';
import {
  AuthError,
  coerceError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  RevsyncError,
  ValidationError,
  type ErrorDetail,
  type RevsyncErrorOptions,
} from '../../model/revsync-error.ts';

const SYSTEM = 'hubspot';

/** What `@hubspot/api-client` throws for an HTTP answer outside 2xx (its `ApiException`). */
interface ApiExceptionLike {
  code: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** HubSpot's error body (`{status:'error', message, correlationId, category, errors?}`). */
interface HubspotErrorBody {
  message?: string;
  category?: string;
  correlationId?: string;
  policyName?: string;
  errors?: { message?: string; code?: string; context?: Record<string, string[]> }[];
}

function isApiException(caught: unknown): caught is ApiExceptionLike {
  return (
    caught instanceof Error &&
    typeof (caught as { code?: unknown }).code === 'number' &&
    'body' in caught
  );
}

/** How long each of HubSpot's rate-limit policies asks to wait when no `Retry-After` came. */
const POLICY_WAIT_MS: Record<string, number> = {
  TEN_SECONDLY_ROLLING: 10_000,
  SECONDLY: 1_000,
  DAILY: 60 * 60_000,
};

/**
 * Turns whatever the SDK threw into a revsync error. HubSpot's `category` decides first
 * (`RATE_LIMITS` → `RateLimitedError` with the policy's wait, `OBJECT_NOT_FOUND` → `NotFoundError`,
 * `CONFLICT` → `ConflictError`, `VALIDATION_ERROR` → `ValidationError`, `INVALID_AUTHENTICATION` /
 * `MISSING_SCOPES` → `AuthError`), then the status; network failures are retryable.
 */
export function toRevsyncError(caught: unknown, now: number = Date.now()): RevsyncError {
  if (caught instanceof RevsyncError) return caught;
  if (!isApiException(caught)) return coerceError(caught);
  const status = caught.code;
  const body = (
    typeof caught.body === 'object' && caught.body !== null ? caught.body : {}
  ) as HubspotErrorBody;
  const category = body.category;
  const message = body.message ?? `HTTP ${status}`;
  const details: ErrorDetail[] = (body.errors ?? []).flatMap((e) =>
    typeof e.message === 'string'
      ? [
          {
            message: e.message,
            ...(e.context?.['propertyName']?.[0] && { path: e.context['propertyName'][0] }),
          },
        ]
      : [],
  );
  const base: RevsyncErrorOptions = {
    system: SYSTEM,
    status,
    cause: caught,
    ...(details.length > 0 && { details }),
  };
  const text = `hubspot answered ${status}${category ? ` ${category}` : ''}: ${message}${body.correlationId ? ` (correlationId ${body.correlationId})` : ''}`;
  const retryAfterMs = parseRetryAfter(caught.headers?.['retry-after'], now);

  if (status === 429 || category === 'RATE_LIMITS') {
    return new RateLimitedError(text, {
      ...base,
      retryAfterMs: retryAfterMs ?? POLICY_WAIT_MS[body.policyName ?? ''] ?? 10_000,
    });
  }
  if (status >= 500) {
    return new RetryableError(text, {
      ...base,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  switch (category) {
    case 'INVALID_AUTHENTICATION':
    case 'MISSING_SCOPES':
      return new AuthError(text, base);
    case 'OBJECT_NOT_FOUND':
      return new NotFoundError(text, base);
    case 'CONFLICT':
      return new ConflictError(text, base);
    case 'VALIDATION_ERROR':
      return new ValidationError(text, base);
    default:
      return errorFromHttpStatus({
        system: SYSTEM,
        status,
        message: category ? `${category}: ${message}` : message,
        cause: caught,
        ...(details.length > 0 && { details }),
      });
  }
}

/** HubSpot's error category behind a revsync error, if any. */
export function hubspotCategory(error: unknown): string | undefined {
  const cause = error instanceof RevsyncError ? error.cause : error;
  if (!isApiException(cause)) return undefined;
  const body = cause.body as HubspotErrorBody | undefined;
  return body?.category;
}
