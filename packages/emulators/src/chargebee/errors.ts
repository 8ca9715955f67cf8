import * as kit from '../kit/index.ts';

/** Chargebee's error `type` values (absent on auth and rate-limit errors). */
export type ChargebeeErrorType = 'invalid_request' | 'payment' | 'operation_failed';

/** A Chargebee error body: `{message, type, api_error_code, param, error_code, http_status_code}`. */
export interface ChargebeeErrorBody {
  message: string;
  type?: ChargebeeErrorType;
  api_error_code: string;
  param?: string;
  /** The older, finer code Chargebee still sends beside `api_error_code`. */
  error_code: string;
  error_msg: string;
  error_param?: string;
  http_status_code: number;
}

/** A throwable Chargebee error response. */
export function chargebeeError(
  status: number,
  apiErrorCode: string,
  message: string,
  options: { type?: ChargebeeErrorType; param?: string; errorCode?: string } = {},
  headers: Record<string, string> = {},
): kit.EmulatorHttpError {
  return new kit.EmulatorHttpError(
    status,
    errorBody(status, apiErrorCode, message, options),
    headers,
  );
}

export function errorBody(
  status: number,
  apiErrorCode: string,
  message: string,
  options: { type?: ChargebeeErrorType; param?: string; errorCode?: string } = {},
): ChargebeeErrorBody {
  return {
    message,
    ...(options.type !== undefined && { type: options.type }),
    api_error_code: apiErrorCode,
    ...(options.param !== undefined && { param: options.param, error_param: options.param }),
    error_code: options.errorCode ?? apiErrorCode,
    error_msg: message,
    http_status_code: status,
  };
}

/** 400 `invalid_request` about one parameter. */
export function invalidParam(param: string, message: string): kit.EmulatorHttpError {
  return chargebeeError(400, 'invalid_request', `${param} : ${message}`, {
    type: 'invalid_request',
    param,
    errorCode: 'param_invalid',
  });
}

/** 400 `invalid_request`: a required parameter is missing. */
export function missingParam(param: string): kit.EmulatorHttpError {
  return chargebeeError(400, 'invalid_request', `${param} : cannot be blank`, {
    type: 'invalid_request',
    param,
    errorCode: 'param_required',
  });
}

/** 404 `resource_not_found`: "Sorry, we couldn't find that resource". */
export function notFound(kind: string, id: string): kit.EmulatorHttpError {
  return chargebeeError(404, 'resource_not_found', `${kind} not found for id ${id}`, {
    type: 'invalid_request',
    errorCode: 'resource_not_found',
  });
}

/** 400 `duplicate_entry`: the id is taken. */
export function duplicate(kind: string, id: string): kit.EmulatorHttpError {
  return chargebeeError(400, 'duplicate_entry', `The value ${id} is already present.`, {
    type: 'invalid_request',
    param: 'id',
    errorCode: `${kind}_duplicate_entry`,
  });
}

/** 409 `invalid_state_for_request`. */
export function invalidState(message: string): kit.EmulatorHttpError {
  return chargebeeError(409, 'invalid_state_for_request', message, {
    type: 'invalid_request',
    errorCode: 'invalid_state_for_request',
  });
}

/** The 429 Chargebee sends over the site's limit. */
export function rateLimitBody(): ChargebeeErrorBody {
  return errorBody(
    429,
    'api_request_limit_exceeded',
    'Sorry, access has been blocked temporarily due to request count exceeding acceptable limits. Please try after some time.',
    { errorCode: 'api_request_limit_exceeded' },
  );
}

/** Bodies of injected faults and kit-level failures, in Chargebee's shape. */
export function faultBody(kind: kit.FaultResponseKind, status: number): ChargebeeErrorBody {
  if (kind === 'rate_limited') return rateLimitBody();
  if (status === 503 || kind === 'outage') {
    return errorBody(
      503,
      'internal_temporary_error',
      'Sorry, the server is currently unable to handle the request due to a temporary overload or scheduled maintenance. Please retry after sometime.',
    );
  }
  return errorBody(
    status,
    'internal_error',
    'Sorry, something went wrong when trying to process the request.',
  );
}

export function formatKitError(info: kit.EmulatorErrorInfo): kit.EmulatorResponse {
  if (info.status === 404 || info.status === 405) {
    return {
      status: 404,
      body: errorBody(
        404,
        'resource_not_found',
        `Sorry, we couldn't find that resource (${info.message})`,
        {
          type: 'invalid_request',
        },
      ),
    };
  }
  if (info.status < 500) {
    return {
      status: info.status,
      body: errorBody(info.status, 'invalid_request', info.message, { type: 'invalid_request' }),
    };
  }
  return { status: info.status, body: errorBody(info.status, 'internal_error', info.message) };
}

/** Any thrown value as a response (errors raised inside handlers). */
export function toResponse(err: unknown): kit.EmulatorResponse {
  if (err instanceof kit.EmulatorHttpError) {
    return { status: err.status, headers: err.headers, body: err.body };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, body: errorBody(500, 'internal_error', message) };
}
