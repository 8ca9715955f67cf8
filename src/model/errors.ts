import { RevsyncError } from './revsync-error.ts';

/**
 * Stable codes for the errors the canonical model throws. They follow the project's
 * snake_case error-code convention so the API can surface them unchanged.
 */
export type ModelErrorCode =
  | 'unknown_currency'
  | 'invalid_money'
  | 'currency_mismatch'
  | 'money_overflow'
  | 'invalid_decimal'
  | 'invalid_argument'
  | 'invalid_id'
  | 'invalid_entity'
  | 'invalid_event'
  | 'invalid_transition';

/** One validation problem: where it is (`lines[0].amount.currency`, `''` for the root) and what. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/**
 * Base class of every error thrown by `src/model`. Model errors describe bad input or a broken
 * invariant, so they are never retryable. They are {@link RevsyncError}s, so the engine and the
 * API classify them like any other failure.
 */
export class ModelError extends RevsyncError {
  declare readonly code: ModelErrorCode;
  declare readonly details: readonly ValidationIssue[] | undefined;

  constructor(
    code: ModelErrorCode,
    message: string,
    options: { cause?: unknown; details?: readonly ValidationIssue[] } = {},
  ) {
    super(code, message, false, options);
  }
}

/** An ISO 4217 code that is not in the revsync currency table. */
export class UnknownCurrencyError extends ModelError {
  constructor(readonly currency: string) {
    super('unknown_currency', `unknown ISO 4217 currency code ${JSON.stringify(currency)}`);
  }
}

/** Two amounts in different currencies were combined or compared. */
export class CurrencyMismatchError extends ModelError {
  constructor(
    readonly left: string,
    readonly right: string,
    operation: string,
  ) {
    super('currency_mismatch', `cannot ${operation} ${left} and ${right}: currencies differ`);
  }
}

/** A result no longer fits a safe integer number of minor units. */
export class MoneyOverflowError extends ModelError {
  constructor(operation: string) {
    super('money_overflow', `${operation}: result exceeds the safe integer range of minor units`);
  }
}

/** A payload failed its entity schema; `details` lists every problem with its path. */
export class EntityValidationError extends ModelError {
  declare readonly details: readonly ValidationIssue[];

  constructor(entityType: string, details: readonly ValidationIssue[]) {
    super('invalid_entity', `invalid ${entityType}: ${summarise(details)}`, { details });
  }
}

/** A payload is not a valid revsync CloudEvents envelope; `details` lists every problem. */
export class EnvelopeValidationError extends ModelError {
  declare readonly code: 'invalid_event';
  declare readonly details: readonly ValidationIssue[];

  constructor(details: readonly ValidationIssue[]) {
    super('invalid_event', `invalid event envelope: ${summarise(details)}`, { details });
  }
}

function summarise(details: readonly ValidationIssue[]): string {
  return details.map((d) => `${d.path === '' ? '(root)' : d.path}: ${d.message}`).join('; ');
}
