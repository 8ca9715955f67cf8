/**
 * revsync's typed failures. Expected outcomes are values or stored states; exceptional ones are
 * these classes, each with a stable `code`, whether a retry can help, an optional delay the other
 * side asked for, and the original `cause`. Every `catch` normalises what it caught with
 * {@link coerceError} so the engine decides on facts, not on message strings.
 */

import type { ModelErrorCode } from './errors.ts';
import { redactSecrets } from './secret-redaction.ts';

/** Stable error codes; HTTP error bodies and stored exceptions use exactly these strings. */
export type ErrorCode =
  | 'transient'
  | 'rate_limited'
  | 'circuit_open'
  | 'timeout'
  | 'validation_failed'
  | 'invalid_event'
  | 'auth_failed'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'wait_timed_out'
  | 'lease_lost'
  | 'internal'
  // Answers of revsync's own HTTP API.
  | 'unauthorized'
  | 'invalid_request'
  | 'unavailable'
  | 'api_key_expired'
  | 'insufficient_scope'
  // Raised by the canonical model (money, ids, entities); never retryable.
  | ModelErrorCode;

export interface ErrorDetail {
  path?: string;
  message: string;
}

export interface RevsyncErrorOptions {
  cause?: unknown;
  retryAfterMs?: number;
  details?: readonly ErrorDetail[];
  /** The vendor or component whose answer this error describes, e.g. `netsuite`. */
  system?: string;
  /** HTTP status the other side answered with, when there was one. */
  status?: number;
}

/** Base class of every revsync error. */
export class RevsyncError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly details?: readonly ErrorDetail[];
  readonly system?: string;
  readonly status?: number;

  constructor(
    code: ErrorCode,
    message: string,
    retryable: boolean,
    options: RevsyncErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.details !== undefined) this.details = options.details;
    if (options.system !== undefined) this.system = options.system;
    if (options.status !== undefined) this.status = options.status;
  }

  /**
   * A plain, JSON-safe description (for storage, logs and HTTP bodies). The message is free text
   * that may quote a vendor's answer or a URL, so secrets recognisable in it are masked.
   */
  toJSON(): SerializedError {
    return {
      name: this.name,
      code: this.code,
      message: redactSecrets(this.message),
      retryable: this.retryable,
      ...(this.retryAfterMs !== undefined && { retryAfterMs: this.retryAfterMs }),
      ...(this.details !== undefined && { details: this.details }),
      ...(this.system !== undefined && { system: this.system }),
      ...(this.status !== undefined && { status: this.status }),
    };
  }
}

/** JSON form of a {@link RevsyncError}. */
export interface SerializedError {
  name: string;
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  details?: readonly ErrorDetail[];
  system?: string;
  status?: number;
}

/** A failure that may succeed if tried again (5xx, connection reset, lock timeout). */
export class RetryableError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('transient', message, true, options);
  }
}

/** The other side asked us to slow down (429); `retryAfterMs` says for how long when known. */
export class RateLimitedError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('rate_limited', message, true, options);
  }
}

/** A call was not attempted because the system's circuit is open; does not use up attempts. */
export class CircuitOpenError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('circuit_open', message, true, options);
  }
}

/** A call or step took longer than allowed. */
export class TimeoutError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('timeout', message, true, options);
  }
}

/** The request or data is wrong; retrying the same thing cannot help. */
export class ValidationError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('validation_failed', message, false, options);
  }
}

/** An event that does not satisfy the envelope or its schema; refused before anything is stored. */
export class InvalidEventError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('invalid_event', message, false, options);
  }
}

/** Credentials are missing, wrong or expired; a person has to act. */
export class AuthError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('auth_failed', message, false, options);
  }
}

/** Authenticated, but not allowed to do this. */
export class ForbiddenError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('forbidden', message, false, options);
  }
}

/** The referenced object does not exist. */
export class NotFoundError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('not_found', message, false, options);
  }
}

/** The change collides with the current state (duplicate, stale version, ambiguous match). */
export class ConflictError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('conflict', message, false, options);
  }
}

/** A flow waited for a signal longer than its timeout. */
export class WaitTimedOutError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('wait_timed_out', message, false, options);
  }
}

/** This worker no longer holds the run's lease; another worker owns it now. */
export class LeaseLostError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('lease_lost', message, false, options);
  }
}

/** A request to revsync's API without valid credentials (no key, unknown or revoked key). */
export class UnauthorizedError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('unauthorized', message, false, options);
  }
}

/** An API key past its expiry, or a rotated-out secret past its grace period (HTTP 401). */
export class ApiKeyExpiredError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('api_key_expired', message, false, options);
  }
}

/** A valid API key whose scopes do not cover the route (HTTP 403). */
export class InsufficientScopeError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('insufficient_scope', message, false, options);
  }
}

/** A request to revsync's API that is malformed (schema, JSON, parameters). */
export class InvalidRequestError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('invalid_request', message, false, options);
  }
}

/** A capability is not configured or a dependency is down; trying later may help. */
export class UnavailableError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('unavailable', message, true, options);
  }
}

/** Anything that was not a revsync error: a bug, or a failure nobody classified. Retryable. */
export class InternalError extends RevsyncError {
  constructor(message: string, options?: RevsyncErrorOptions) {
    super('internal', message, true, options);
  }
}

/** Turns anything thrown into a {@link RevsyncError}; unknown failures become retryable internal errors. */
export function coerceError(caught: unknown): RevsyncError {
  if (caught instanceof RevsyncError) return caught;
  if (caught instanceof Error) {
    const code = (caught as { code?: unknown }).code;
    // fetch() reports network failures as `TypeError: fetch failed` with the socket error as cause.
    const causeCode = (caught.cause as { code?: unknown } | undefined)?.code;
    if (
      (typeof code === 'string' && NETWORK_CODES.has(code)) ||
      (typeof causeCode === 'string' && NETWORK_CODES.has(causeCode))
    ) {
      return new RetryableError(caught.message, { cause: caught });
    }
    if (caught.name === 'AbortError' || caught.name === 'TimeoutError') {
      return new TimeoutError(caught.message, { cause: caught });
    }
    return new InternalError(caught.message || caught.name, { cause: caught });
  }
  return new InternalError(
    typeof caught === 'string' ? caught : (JSON.stringify(caught) ?? 'unknown error'),
    {
      cause: caught,
    },
  );
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_SOCKET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
