import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ConflictError,
  ForbiddenError,
  InternalError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  ValidationError,
} from '../../model/revsync-error.ts';
import { classifyStripeError, DEFAULT_RATE_LIMIT_RETRY_MS } from './errors.ts';

const E = Stripe.errors;

describe('classifyStripeError', () => {
  it('maps rate limits with and without Retry-After', () => {
    const withHeader = classifyStripeError(
      new E.StripeRateLimitError({ statusCode: 429, headers: { 'Retry-After': '3' } }),
    );
    expect(withHeader).toBeInstanceOf(RateLimitedError);
    expect(withHeader.retryAfterMs).toBe(3000);
    const without = classifyStripeError(
      new E.StripeRateLimitError({ statusCode: 429, code: 'rate_limit' }),
    );
    expect(without.retryAfterMs).toBe(DEFAULT_RATE_LIMIT_RETRY_MS);
  });

  it('5xx and connection failures are retryable unless Stripe-Should-Retry says false', () => {
    expect(classifyStripeError(new E.StripeAPIError({ statusCode: 500 }))).toBeInstanceOf(
      RetryableError,
    );
    expect(
      classifyStripeError(new E.StripeConnectionError({ message: 'socket hang up' })),
    ).toBeInstanceOf(RetryableError);
    const stop = classifyStripeError(
      new E.StripeAPIError({ statusCode: 500, headers: { 'stripe-should-retry': 'false' } }),
    );
    expect(stop).toBeInstanceOf(ConflictError);
    expect(stop.retryable).toBe(false);
    expect(stop.message).toMatch(/Stripe-Should-Retry: false/);
  });

  it('a 409 (a request with the same key still running, a lock) is retryable', () => {
    const inFlight = classifyStripeError(
      new E.StripeAPIError({
        statusCode: 409,
        type: 'idempotency_error',
        code: 'idempotency_key_in_use',
      }),
    );
    expect(inFlight).toBeInstanceOf(RetryableError);
    const told = classifyStripeError(
      new E.StripeInvalidRequestError({
        statusCode: 400,
        code: 'lock_timeout',
        headers: { 'stripe-should-retry': 'true' },
      }),
    );
    expect(told).toBeInstanceOf(RetryableError);
  });

  it('maps auth, permission, idempotency, not found, validation and card errors', () => {
    expect(
      classifyStripeError(new E.StripeAuthenticationError({ statusCode: 401 })),
    ).toBeInstanceOf(AuthError);
    expect(classifyStripeError(new E.StripePermissionError({ statusCode: 403 }))).toBeInstanceOf(
      ForbiddenError,
    );
    expect(
      classifyStripeError(
        new E.StripeIdempotencyError({ statusCode: 400, type: 'idempotency_error' }),
      ),
    ).toBeInstanceOf(ConflictError);
    expect(
      classifyStripeError(
        new E.StripeInvalidRequestError({ statusCode: 404, code: 'resource_missing', param: 'id' }),
      ),
    ).toBeInstanceOf(NotFoundError);
    const invalid = classifyStripeError(
      new E.StripeInvalidRequestError({
        statusCode: 400,
        code: 'parameter_unknown',
        param: 'nickname',
        message: 'Received unknown parameter: nickname',
        requestId: 'req_1',
      }),
    );
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid.details).toEqual([
      { path: 'nickname', message: 'Received unknown parameter: nickname' },
    ]);
    expect(invalid.message).toContain('[req_1]');
    const card = classifyStripeError(
      new E.StripeCardError({
        statusCode: 402,
        code: 'card_declined',
        decline_code: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      }),
    );
    expect(card).toBeInstanceOf(ValidationError);
    expect(card.details).toContainEqual({ path: 'decline_code', message: 'insufficient_funds' });
  });

  it('normalises anything else', () => {
    expect(classifyStripeError(new Error('boom'))).toBeInstanceOf(InternalError);
    const retryable = new RetryableError('already classified');
    expect(classifyStripeError(retryable)).toBe(retryable);
  });
});
