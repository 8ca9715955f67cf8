import * as kit from '../kit/index.ts';

/** Stripe's error `type` values (v1). */
export type StripeErrorType =
  'invalid_request_error' | 'api_error' | 'card_error' | 'idempotency_error';

/** The `error` member of a Stripe error body. */
export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: unknown;
  payment_method?: unknown;
}

const docUrl = (code: string): string =>
  `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

/** Builds a throwable Stripe error response: `{error:{type, code, message, param, doc_url}}`. */
export function stripeError(
  status: number,
  error: Omit<StripeErrorBody, 'doc_url'>,
  headers: Record<string, string> = {},
): kit.EmulatorHttpError {
  const body: StripeErrorBody = { ...error };
  if (error.code !== undefined) body.doc_url = docUrl(error.code);
  return new kit.EmulatorHttpError(status, { error: body }, headers);
}

/** 400 `invalid_request_error`, optionally with a `code` and the offending `param`. */
export function invalidRequest(
  message: string,
  param?: string,
  code?: string,
): kit.EmulatorHttpError {
  return stripeError(400, {
    type: 'invalid_request_error',
    message,
    ...(code !== undefined && { code }),
    ...(param !== undefined && { param }),
  });
}

/** 400 `parameter_missing`. */
export function missingParam(param: string): kit.EmulatorHttpError {
  return invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing');
}

/** 404 `resource_missing`: "No such customer: 'cus_x'". */
export function noSuch(kind: string, id: string, param = 'id'): kit.EmulatorHttpError {
  return stripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${kind}: '${id}'`,
    param,
  });
}

/** The 429 body Stripe sends when a key exceeds its request rate. */
export function rateLimitBody(): { error: StripeErrorBody } {
  return {
    error: {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message:
        'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
      doc_url: docUrl('rate_limit'),
    },
  };
}

/** A generic 5xx body, as Stripe answers when something went wrong on its side. */
export function apiErrorBody(status: number): { error: StripeErrorBody } {
  return {
    error: {
      type: 'api_error',
      message:
        status === 503
          ? 'Stripe is temporarily unavailable. Please try again later.'
          : 'An unknown error occurred. Please try again later.',
    },
  };
}

/** The kit's own failures (no route, bad body, an unexpected exception) in Stripe's shape. */
export function formatKitError(info: kit.EmulatorErrorInfo, req?: kit.EmulatorRequest) {
  if (info.code === 'route_not_found' || info.code === 'method_not_allowed') {
    const method = req?.method ?? 'GET';
    const path = req?.path ?? '/';
    return {
      status: 404,
      body: {
        error: {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        },
      },
    };
  }
  if (info.code === 'body_too_large' || info.code === 'invalid_json') {
    return {
      status: info.status,
      body: { error: { type: 'invalid_request_error', message: info.message } },
    };
  }
  return { status: 500, body: apiErrorBody(500) };
}

/** Injected faults (kit fault injector) in Stripe's shape. */
export function faultBody(kind: kit.FaultResponseKind, status: number) {
  return kind === 'rate_limited' ? rateLimitBody() : apiErrorBody(status);
}

/** Turns anything a handler threw into a Stripe-shaped response. */
export function toResponse(err: unknown): kit.EmulatorResponse {
  if (err instanceof kit.EmulatorHttpError) {
    return { status: err.status, headers: { ...err.headers }, body: err.body };
  }
  return { status: 500, body: apiErrorBody(500) };
}
