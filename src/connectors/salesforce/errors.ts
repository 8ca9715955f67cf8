import { errorFromHttpStatus, parseRetryAfter } from '../../gateway/http-errors.ts';
import {
  AuthError,
  coerceError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  RevsyncError,
  type ErrorDetail,
  type RevsyncErrorOptions,
} from '../../model/revsync-error.ts';

/** The status and headers of the answer that failed, when one arrived. */
export interface SalesforceResponseInfo {
  statusCode: number;
  headers: Record<string, string | undefined>;
}

/** Options of {@link toRevsyncError}. */
export interface ClassifyOptions {
  /** Pause after the daily API limit (403 `REQUEST_LIMIT_EXCEEDED`, no `Retry-After`). */
  dailyLimitRetryAfterMs: number;
  now?: number;
}

const SYSTEM = 'salesforce';

/** Codes that say the session is gone; the client logs in again once and retries. */
const SESSION_CODES = new Set(['INVALID_SESSION_ID']);
/** OAuth token endpoint errors that no retry can fix. */
const OAUTH_CODES = new Set([
  'invalid_client',
  'invalid_client_id',
  'invalid_grant',
  'unsupported_grant_type',
  'invalid_request',
  'unauthorized_client',
]);
const NOT_FOUND_CODES = new Set(['NOT_FOUND', 'ENTITY_IS_DELETED']);
const CONFLICT_CODES = new Set([
  'MULTIPLE_CHOICES',
  'DUPLICATE_VALUE',
  'DUPLICATE_EXTERNAL_ID',
  'DUPLICATES_DETECTED',
]);
const TRANSIENT_CODES = new Set([
  'SERVER_UNAVAILABLE',
  'UNKNOWN_EXCEPTION',
  'UNABLE_TO_LOCK_ROW',
  'QUERY_TIMEOUT',
]);

/**
 * Turns whatever jsforce threw into a revsync error. jsforce's errors carry the Salesforce
 * `errorCode` (or the OAuth `error` as their name) but not the HTTP status, so the status comes
 * from the observed response. The Salesforce code decides first (`REQUEST_LIMIT_EXCEEDED` is a
 * 429 burst or the 403 daily limit — both rate limits), then the status. The original error is
 * the `cause`; {@link salesforceErrorCode} reads its code back.
 */
export function toRevsyncError(
  caught: unknown,
  response: SalesforceResponseInfo | undefined,
  options: ClassifyOptions,
): RevsyncError {
  if (caught instanceof RevsyncError) return caught;
  const code = vendorCode(caught);
  const status = response && response.statusCode >= 400 ? response.statusCode : undefined;
  if (code === undefined && status === undefined) return coerceError(caught);

  const message = caught instanceof Error ? caught.message : String(caught);
  const details = detailsOf(caught);
  const retryAfterMs = parseRetryAfter(response?.headers['retry-after'], options.now);
  const base: RevsyncErrorOptions = {
    system: SYSTEM,
    cause: caught,
    ...(status !== undefined && { status }),
    ...(details && { details }),
  };
  const text = `salesforce answered ${status ?? 'an error'}${code ? ` ${code}` : ''}: ${message}`;

  if (code === 'REQUEST_LIMIT_EXCEEDED' || status === 429) {
    return new RateLimitedError(text, {
      ...base,
      retryAfterMs: retryAfterMs ?? (status === 403 ? options.dailyLimitRetryAfterMs : 1_000),
    });
  }
  if (status !== undefined && status >= 500) {
    return new RetryableError(text, {
      ...base,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  if (code !== undefined) {
    if (SESSION_CODES.has(code) || OAUTH_CODES.has(code)) return new AuthError(text, base);
    if (NOT_FOUND_CODES.has(code)) return new NotFoundError(text, base);
    if (CONFLICT_CODES.has(code)) return new ConflictError(text, base);
    if (TRANSIENT_CODES.has(code)) return new RetryableError(text, base);
  }
  if (status !== undefined) {
    return errorFromHttpStatus({
      system: SYSTEM,
      status,
      message: code ? `${code}: ${message}` : message,
      cause: caught,
      ...(details && { details }),
    });
  }
  return coerceError(caught);
}

/** The Salesforce `errorCode` (or OAuth `error`) behind a revsync error or a jsforce error. */
export function salesforceErrorCode(error: unknown): string | undefined {
  if (error instanceof RevsyncError) return vendorCode(error.cause);
  return vendorCode(error);
}

/** True when the error says the access token is no longer valid. */
export function isSessionExpired(error: unknown): boolean {
  const code = salesforceErrorCode(error);
  return code !== undefined && SESSION_CODES.has(code);
}

function vendorCode(caught: unknown): string | undefined {
  if (!(caught instanceof Error)) return undefined;
  const errorCode = (caught as { errorCode?: unknown }).errorCode;
  if (typeof errorCode === 'string' && errorCode !== '') return errorCode;
  // jsforce's OAuth2 errors name themselves after the OAuth `error` field.
  if (OAUTH_CODES.has(caught.name)) return caught.name;
  return undefined;
}

function detailsOf(caught: unknown): ErrorDetail[] | undefined {
  const data = (caught as { data?: unknown } | undefined)?.data;
  const items = Array.isArray(data) ? data : data !== undefined ? [data] : [];
  const details: ErrorDetail[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const { message, fields } = item as { message?: unknown; fields?: unknown };
    if (typeof message !== 'string') continue;
    const path = Array.isArray(fields) && fields.length > 0 ? fields.join(',') : undefined;
    details.push({ message, ...(path !== undefined && { path }) });
  }
  return details.length > 0 ? details : undefined;
}
