import {
  EmulatorHttpError,
  type EmulatorErrorInfo,
  type EmulatorRequest,
  type EmulatorResponse,
  type FaultResponseKind,
} from '../kit/index.ts';

/** One entry of Salesforce's REST error array: `[{message, errorCode, fields?}]`. */
export interface SalesforceErrorItem {
  message: string;
  errorCode: string;
  fields?: string[];
}

/**
 * A Salesforce REST error: answered as a JSON array of `{message, errorCode, fields?}`.
 * Extends the kit's `EmulatorHttpError`, so a handler can simply throw it; composite and
 * collection handlers catch it to turn it into a per-subrequest or per-record result.
 */
export class SalesforceError extends EmulatorHttpError {
  readonly errorCode: string;
  readonly fields: string[] | undefined;

  constructor(status: number, errorCode: string, message: string, fields?: string[]) {
    const item: SalesforceErrorItem = { message, errorCode };
    if (fields) item.fields = fields;
    super(status, [item]);
    this.name = 'SalesforceError';
    this.message = message;
    this.errorCode = errorCode;
    this.fields = fields;
  }

  /** The error body items. */
  get items(): SalesforceErrorItem[] {
    return this.body as SalesforceErrorItem[];
  }
}

/** 404 `NOT_FOUND` with Salesforce's wording. */
export const notFound = (message = 'The requested resource does not exist'): SalesforceError =>
  new SalesforceError(404, 'NOT_FOUND', message);

/** An OAuth token endpoint error: `{error, error_description}`. */
export function oauthError(status: number, error: string, description: string): EmulatorHttpError {
  return new EmulatorHttpError(status, { error, error_description: description });
}

const KIT_ERROR_CODES: Record<EmulatorErrorInfo['code'], string> = {
  route_not_found: 'NOT_FOUND',
  method_not_allowed: 'METHOD_NOT_ALLOWED',
  invalid_json: 'JSON_PARSER_ERROR',
  body_too_large: 'REQUEST_BODY_TOO_LARGE',
  internal_error: 'UNKNOWN_EXCEPTION',
};

/** The kit's `formatError` in Salesforce's shape (OAuth paths get the OAuth shape). */
export function formatSalesforceError(
  e: EmulatorErrorInfo,
  req: EmulatorRequest | undefined,
): EmulatorResponse {
  if (req?.path.startsWith('/services/oauth2/')) {
    return { status: e.status, body: { error: 'invalid_request', error_description: e.message } };
  }
  const errorCode = KIT_ERROR_CODES[e.code];
  const message =
    e.code === 'route_not_found'
      ? 'The requested resource does not exist'
      : e.code === 'internal_error'
        ? `An unexpected error occurred. Please include this ErrorId if you contact support: emulator (${e.message})`
        : e.message;
  return { status: e.status, body: [{ message, errorCode }] };
}

/** The kit's `faultResponse`: 503 `SERVER_UNAVAILABLE`, 429 `REQUEST_LIMIT_EXCEEDED`, 5xx `UNKNOWN_EXCEPTION`. */
export function salesforceFaultResponse(kind: FaultResponseKind, status: number): EmulatorResponse {
  if (kind === 'rate_limited') {
    return {
      status,
      body: [
        { message: 'ConcurrentPerOrgLongTxn Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
      ],
    };
  }
  if (status === 503 || kind === 'outage') {
    return {
      status,
      body: [
        {
          message: 'Server temporarily unavailable (injected fault)',
          errorCode: 'SERVER_UNAVAILABLE',
        },
      ],
    };
  }
  return {
    status,
    body: [
      {
        message: `An unexpected error occurred (injected fault, HTTP ${status})`,
        errorCode: 'UNKNOWN_EXCEPTION',
      },
    ],
  };
}
