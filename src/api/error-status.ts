import type { ErrorCode } from '../model/revsync-error.ts';

/**
 * The HTTP status of each error code. Typed over the whole {@link ErrorCode} union, so a new
 * code cannot be added without deciding its status here.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_request: 400,
  validation_failed: 400,
  invalid_event: 400,
  unknown_currency: 400,
  invalid_money: 400,
  currency_mismatch: 400,
  money_overflow: 400,
  invalid_decimal: 400,
  invalid_argument: 400,
  invalid_id: 400,
  invalid_entity: 400,
  invalid_transition: 409,
  unauthorized: 401,
  api_key_expired: 401,
  insufficient_scope: 403,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  circuit_open: 503,
  transient: 503,
  timeout: 504,
  // A vendor refused revsync's credentials: the API request was fine, a dependency was not.
  auth_failed: 502,
  wait_timed_out: 500,
  lease_lost: 500,
  internal: 500,
};

/** Every error code, for the error schema's enum. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];
