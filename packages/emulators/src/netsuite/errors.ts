import { EmulatorHttpError } from '../kit/index.ts';
import type { EmulatorErrorInfo, EmulatorResponse, FaultResponseKind } from '../kit/index.ts';

/** The content type of every NetSuite REST error body. */
export const ERROR_CONTENT_TYPE = 'application/vnd.oracle.resource+json; type=error';

/** One entry of `o:errorDetails`. */
export interface NetsuiteErrorDetail {
  detail: string;
  'o:errorCode': string;
  /** JSON path into the request body, e.g. `item.items[0].item`. */
  'o:errorPath'?: string;
  /** The part of the URL at fault. */
  'o:urlPath'?: string;
  'o:errorHeader'?: string;
  'o:errorQueryParam'?: string;
}

/** NetSuite's REST error body (RFC 9457 problem details with `o:` extensions). */
export interface NetsuiteErrorBody {
  type: string;
  title: string;
  status: number;
  'o:errorDetails': NetsuiteErrorDetail[];
}

const STATUS: Record<number, [section: string, title: string]> = {
  400: ['rfc9110.html#section-15.5.1', 'Bad Request'],
  401: ['rfc9110.html#section-15.5.2', 'Unauthorized'],
  403: ['rfc9110.html#section-15.5.4', 'Forbidden'],
  404: ['rfc9110.html#section-15.5.5', 'Not Found'],
  405: ['rfc9110.html#section-15.5.6', 'Method Not Allowed'],
  409: ['rfc9110.html#section-15.5.10', 'Conflict'],
  413: ['rfc9110.html#section-15.5.14', 'Content Too Large'],
  415: ['rfc9110.html#section-15.5.16', 'Unsupported Media Type'],
  429: ['rfc6585.html#section-4', 'Too Many Requests'],
  500: ['rfc9110.html#section-15.6.1', 'Internal Server Error'],
  502: ['rfc9110.html#section-15.6.3', 'Bad Gateway'],
  503: ['rfc9110.html#section-15.6.4', 'Service Unavailable'],
  504: ['rfc9110.html#section-15.6.5', 'Gateway Timeout'],
};

/** Builds NetSuite's error body for `status`. */
export function netsuiteErrorBody(
  status: number,
  details: NetsuiteErrorDetail[],
): NetsuiteErrorBody {
  const [section, title] = STATUS[status] ?? ['rfc9110.html#section-15', 'Error'];
  return {
    type: `https://www.rfc-editor.org/rfc/${section}`,
    title,
    status,
    'o:errorDetails': details,
  };
}

/** Extra `o:` locators for one error detail. */
export type ErrorLocator = Omit<NetsuiteErrorDetail, 'detail' | 'o:errorCode'>;

/** A NetSuite-shaped error response to throw from a handler or middleware. */
export function netsuiteError(
  status: number,
  code: string,
  detail: string,
  locator: ErrorLocator = {},
  headers: Record<string, string> = {},
): EmulatorHttpError {
  const body = netsuiteErrorBody(status, [{ detail, 'o:errorCode': code, ...locator }]);
  return new EmulatorHttpError(status, body, { 'content-type': ERROR_CONTENT_TYPE, ...headers });
}

/** 400 `USER_ERROR`: a business rule refused the request. */
export function userError(detail: string, path?: string): EmulatorHttpError {
  return netsuiteError(400, 'USER_ERROR', detail, path ? { 'o:errorPath': path } : {});
}

/** 400 `INVALID_CONTENT`: a value of the wrong type or an unknown reference. */
export function invalidContent(detail: string, path?: string): EmulatorHttpError {
  return netsuiteError(400, 'INVALID_CONTENT', detail, path ? { 'o:errorPath': path } : {});
}

/** 400 `INVALID_PARAMETER` for a query parameter. */
export function invalidParameter(detail: string, param: string): EmulatorHttpError {
  return netsuiteError(400, 'INVALID_PARAMETER', detail, { 'o:errorQueryParam': param });
}

/** 404 `NONEXISTENT_ID`. */
export function nonexistentId(urlPath: string): EmulatorHttpError {
  return netsuiteError(
    404,
    'NONEXISTENT_ID',
    'The record instance does not exist. Provide a valid record instance ID.',
    { 'o:urlPath': urlPath },
  );
}

/** The detail NetSuite gives for every failed login. */
export const INVALID_LOGIN_DETAIL =
  'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.';

const KIT_CODES: Record<EmulatorErrorInfo['code'], string> = {
  route_not_found: 'INVALID_URL',
  method_not_allowed: 'METHOD_NOT_ALLOWED',
  invalid_json: 'INVALID_CONTENT',
  body_too_large: 'INVALID_CONTENT',
  internal_error: 'UNEXPECTED_ERROR',
};

/** NetSuite's answer for failures the kit detects (no route, bad JSON, a crash). */
export function formatNetsuiteError(error: EmulatorErrorInfo): EmulatorResponse {
  const detail =
    error.code === 'internal_error'
      ? `An unexpected error occurred. Error ID: emulator (${error.message})`
      : error.code === 'invalid_json'
        ? `The request could not be understood by the server due to malformed syntax. ${error.message}`
        : error.message;
  return {
    status: error.status,
    headers: { 'content-type': ERROR_CONTENT_TYPE },
    body: netsuiteErrorBody(error.status, [{ detail, 'o:errorCode': KIT_CODES[error.code] }]),
  };
}

/** The concurrency-pool refusal, also used for injected 429s. */
export function concurrencyLimitBody(): NetsuiteErrorBody {
  return netsuiteErrorBody(429, [
    {
      detail: 'Concurrent request limit exceeded. Request blocked.',
      'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED',
    },
  ]);
}

/** NetSuite-shaped bodies for faults injected by the kit. */
export function netsuiteFaultResponse(
  kind: FaultResponseKind,
  status: number,
  retryAfterSeconds?: number,
): EmulatorResponse {
  const headers: Record<string, string> = { 'content-type': ERROR_CONTENT_TYPE };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  if (kind === 'rate_limited' || status === 429) {
    return { status, headers, body: { ...concurrencyLimitBody(), status } };
  }
  const detail =
    kind === 'outage'
      ? 'The service is temporarily unavailable. Try again later.'
      : 'An unexpected error occurred. Error ID: injected-fault';
  return {
    status,
    headers,
    body: netsuiteErrorBody(status, [{ detail, 'o:errorCode': 'UNEXPECTED_ERROR' }]),
  };
}
