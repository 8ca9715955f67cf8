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
  type ErrorDetail,
  type RevsyncError,
} from '../../model/revsync-error.ts';

/** QuickBooks' error body: `{Fault:{Error:[{Message, Detail, code, element}], type}, time}`. */
export const QboFaultBody = z.looseObject({
  Fault: z.looseObject({
    type: z.string().optional(),
    Error: z
      .array(
        z.looseObject({
          Message: z.string().optional(),
          Detail: z.string().optional(),
          code: z.union([z.string(), z.number()]).optional(),
          element: z.string().optional(),
        }),
      )
      .optional(),
  }),
});

/** What the client knows about a failed answer (a `Fault` may come with HTTP 200). */
export interface QuickbooksFailure {
  status: number;
  body: unknown;
  retryAfter: string | null;
  /** `METHOD path` of the request. */
  request: string;
}

/** Intuit asks integrations to wait a minute after a 429 when it says nothing else. */
export const DEFAULT_THROTTLE_WAIT_MS = 60_000;

const RATE_LIMIT_CODES = new Set(['3001', '003001', '3002']);
const AUTH_CODES = new Set(['3200', '003200', '3201', '100']);
const FORBIDDEN_CODES = new Set(['3100', '003100', '3120']);
const NOT_FOUND_CODES = new Set(['610']);
/** 5010 stale SyncToken, 6140 duplicate document number, 6240 duplicate name. */
const CONFLICT_CODES = new Set(['5010', '6140', '6240']);
const RETRYABLE_CODES = new Set(['10000', '3003']);
const RETRYABLE_TYPES = new Set(['SystemFault', 'SERVICE']);

/** The QuickBooks error codes a revsync error carries (its details read `code: message`). */
export function quickbooksCodes(error: { details?: readonly ErrorDetail[] }): string[] {
  return (error.details ?? []).map((d) => /^(\d+):/.exec(d.message)?.[1] ?? '').filter(Boolean);
}

/** True when the body is a QuickBooks `Fault` (whatever the HTTP status). */
export function isFault(body: unknown): boolean {
  return QboFaultBody.safeParse(body).success;
}

/**
 * Classifies a failed answer, `Fault` codes first, then `Fault.type`, then the status: throttling
 * (429, 3001) → {@link RateLimitedError} with `Retry-After` or Intuit's one minute; 401/3200 →
 * {@link AuthError}; 403/3100 → {@link ForbiddenError}; 610 → {@link NotFoundError}; a stale
 * `SyncToken` (5010) and duplicates (6140, 6240) → {@link ConflictError}; `SystemFault` and 5xx →
 * {@link RetryableError}; any other `ValidationFault` — HTTP 400 or 200 — → {@link ValidationError}.
 */
export function classifyQuickbooksError(
  failure: QuickbooksFailure,
  now = Date.now(),
): RevsyncError {
  const parsed = QboFaultBody.safeParse(failure.body);
  const type = parsed.success ? parsed.data.Fault.type : undefined;
  const entries = parsed.success ? (parsed.data.Fault.Error ?? []) : [];
  const codes = entries.map((e) => String(e.code ?? '')).filter(Boolean);
  const details: ErrorDetail[] = entries.map((e) => ({
    ...(e.element !== undefined && e.element !== '' && { path: e.element }),
    message: `${String(e.code ?? '')}: ${e.Message ?? 'error'}${e.Detail ? ` — ${e.Detail}` : ''}`,
  }));
  const summary = details.map((d) => d.message).join('; ') || `HTTP ${failure.status}`;
  const has = (set: Set<string>) => codes.some((c) => set.has(c));
  const throttled = failure.status === 429 || has(RATE_LIMIT_CODES) || type === 'ThrottleExceeded';
  const retryAfterMs =
    parseRetryAfter(failure.retryAfter, now) ?? (throttled ? DEFAULT_THROTTLE_WAIT_MS : undefined);
  const message = `quickbooks answered ${failure.status}${parsed.success ? ` (${type ?? 'Fault'})` : ''} to ${failure.request}: ${summary}`;
  const options = {
    system: 'quickbooks',
    status: failure.status,
    ...(details.length > 0 && { details }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
  if (throttled) return new RateLimitedError(message, options);
  if (failure.status === 401 || has(AUTH_CODES) || type === 'AUTHENTICATION') {
    return new AuthError(message, options);
  }
  if (failure.status === 403 || has(FORBIDDEN_CODES) || type === 'AuthorizationFault') {
    return new ForbiddenError(message, options);
  }
  if (failure.status >= 500 || has(RETRYABLE_CODES) || (type && RETRYABLE_TYPES.has(type))) {
    return new RetryableError(message, options);
  }
  if (has(NOT_FOUND_CODES)) return new NotFoundError(message, options);
  if (has(CONFLICT_CODES)) return new ConflictError(message, options);
  if (parsed.success && (failure.status === 200 || failure.status === 400)) {
    return new ValidationError(message, options);
  }
  return errorFromHttpStatus({
    system: 'quickbooks',
    status: failure.status,
    message: summary,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(details.length > 0 && { details }),
  });
}
