import { z } from 'zod';
import { errorFromHttpStatus, parseRetryAfter } from '../../gateway/http-errors.ts';
import {
  AuthError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  ValidationError,
  type ErrorDetail,
  type RevsyncError,
} from '../../model/revsync-error.ts';

/** NetSuite's REST error body: RFC 9457 problem details with `o:errorDetails`. */
const NetsuiteErrorBody = z.looseObject({
  title: z.string().optional(),
  status: z.number().optional(),
  'o:errorDetails': z
    .array(
      z.looseObject({
        detail: z.string().optional(),
        'o:errorCode': z.string().optional(),
        'o:errorPath': z.string().optional(),
        'o:urlPath': z.string().optional(),
        'o:errorQueryParam': z.string().optional(),
        'o:errorHeader': z.string().optional(),
      }),
    )
    .optional(),
});

/** What the client knows about a failed answer. */
export interface NetsuiteFailure {
  status: number;
  /** The parsed JSON body, if it was JSON. */
  body: unknown;
  /** `Retry-After` as received. */
  retryAfter: string | null;
  /** `METHOD path` of the request, for the message. */
  request: string;
}

// Codes that mean "too many requests" whatever the status: the REST pool's name (as the
// emulator spells it; NetSuite's own is unconfirmed) and the RESTlet/SuiteScript names.
const RATE_LIMIT_CODES = new Set([
  'CONCURRENCY_LIMIT_EXCEEDED',
  'SSS_REQUEST_LIMIT_EXCEEDED',
  'WS_CONCUR_SESSION_DISALLWD',
  'EXCEEDED_CONCURRENCY_LIMIT',
  'REQUEST_LIMIT_EXCEEDED',
]);
const AUTH_CODES = new Set(['INVALID_LOGIN', 'INVALID_LOGIN_ATTEMPT', 'INVALID_LOGIN_CREDENTIALS']);
const NOT_FOUND_CODES = new Set(['NONEXISTENT_ID', 'RCRD_DSNT_EXIST']);
const DUPLICATE_CODES = new Set(['DUP_RCRD', 'DUP_ENTITY', 'DUP_ITEM', 'IDEMPOTENCY_ERROR']);
// REST reports a duplicate as a USER_ERROR category; the detail is the only tell.
const DUPLICATE_DETAIL = /already exists|already (?:been )?used|must enter a unique/i;

/**
 * Classifies a failed NetSuite answer from its `o:errorDetails` codes first, then its status:
 * the account's concurrency limit → {@link RateLimitedError} (with `Retry-After`), a refused login
 * → {@link AuthError}, a missing record → {@link NotFoundError}, a duplicate → {@link ConflictError},
 * `UNEXPECTED_ERROR` and 5xx → {@link RetryableError}, other 4xx → {@link ValidationError} carrying
 * each detail with its `o:errorPath`.
 */
export function classifyNetsuiteError(failure: NetsuiteFailure, now = Date.now()): RevsyncError {
  const parsed = NetsuiteErrorBody.safeParse(failure.body);
  const entries = parsed.success ? (parsed.data['o:errorDetails'] ?? []) : [];
  const codes = entries.map((e) => e['o:errorCode'] ?? '').filter(Boolean);
  const details: ErrorDetail[] = entries.map((e) => {
    const path = e['o:errorPath'] ?? e['o:errorQueryParam'] ?? e['o:errorHeader'] ?? e['o:urlPath'];
    const code = e['o:errorCode'];
    const text = e.detail ?? (parsed.success ? parsed.data.title : undefined) ?? 'error';
    return { ...(path !== undefined && { path }), message: code ? `${code}: ${text}` : text };
  });
  const summary =
    details.map((d) => d.message).join('; ') ||
    (parsed.success ? parsed.data.title : undefined) ||
    `HTTP ${failure.status}`;
  const retryAfterMs = parseRetryAfter(failure.retryAfter, now);
  const message = `netsuite answered ${failure.status} to ${failure.request}: ${summary}`;
  const options = {
    system: 'netsuite',
    status: failure.status,
    ...(details.length > 0 && { details }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
  const has = (set: Set<string>) => codes.some((c) => set.has(c));

  if (failure.status === 429 || has(RATE_LIMIT_CODES))
    return new RateLimitedError(message, options);
  if (failure.status === 401 || has(AUTH_CODES)) return new AuthError(message, options);
  if (failure.status >= 500 || codes.includes('UNEXPECTED_ERROR')) {
    return new RetryableError(message, options);
  }
  if (has(NOT_FOUND_CODES)) return new NotFoundError(message, options);
  if (
    has(DUPLICATE_CODES) ||
    (failure.status === 400 && entries.some((e) => DUPLICATE_DETAIL.test(e.detail ?? '')))
  ) {
    return new ConflictError(message, options);
  }
  if (failure.status === 400) return new ValidationError(message, options);
  return errorFromHttpStatus({
    system: 'netsuite',
    status: failure.status,
    message: summary,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(details.length > 0 && { details }),
  });
}
