import { EmulatorHttpError, type EmulatorResponse, type FaultResponseKind } from '../kit/index.ts';

/** The `type` of a QuickBooks `Fault`. */
export type QboFaultType =
  | 'ValidationFault'
  | 'SystemFault'
  | 'AUTHENTICATION'
  | 'AuthorizationFault'
  | 'ThrottleExceeded'
  | 'QueryParserError';

/** One `Fault.Error[]` entry as QuickBooks spells it (`code` is a string of digits). */
export interface QboErrorEntry {
  Message: string;
  Detail?: string;
  code: string;
  element?: string;
}

/** QuickBooks' timestamp style: local time with an offset (the emulator's realms are on -08:00). */
export function qboTime(ms: number): string {
  const shifted = new Date(ms - 8 * 3_600_000).toISOString().slice(0, 19);
  return `${shifted}-08:00`;
}

/** The body QuickBooks answers a failed request with. */
export function faultBody(type: QboFaultType, errors: QboErrorEntry[], now: number): unknown {
  return { Fault: { Error: errors, type }, time: qboTime(now) };
}

/**
 * A QuickBooks fault to throw from a handler. `status` is the HTTP status it travels with:
 * QuickBooks answers some validation faults with HTTP 200 (see `fault200Codes`).
 */
export class QboFault extends Error {
  readonly status: number;
  readonly type: QboFaultType;
  readonly entry: QboErrorEntry;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    type: QboFaultType,
    entry: QboErrorEntry,
    headers: Record<string, string> = {},
  ) {
    super(entry.Message);
    this.status = status;
    this.type = type;
    this.entry = entry;
    this.headers = headers;
  }

  toHttpError(now: number, fault200Codes: ReadonlySet<string>): EmulatorHttpError {
    const status =
      this.type === 'ValidationFault' && fault200Codes.has(this.entry.code) ? 200 : this.status;
    return new EmulatorHttpError(status, faultBody(this.type, [this.entry], now), this.headers);
  }
}

const validation = (code: string, Message: string, Detail: string, element = '') =>
  new QboFault(400, 'ValidationFault', { Message, Detail, code, element });

/** 610: an id that names nothing (or an inactive object). */
export const objectNotFound = (what: string) =>
  validation(
    '610',
    'Object Not Found',
    `Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. (${what})`,
  );

/** 5010: the `SyncToken` sent is not the object's current one. */
export const staleObject = (entity: string, id: string, sent: string, current: string) =>
  validation(
    '5010',
    'Stale Object Error',
    `Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved. (${entity} ${id}: SyncToken ${sent} sent, ${current} current)`,
    'SyncToken',
  );

/** 6140: a transaction number already used by another transaction of the same type. */
export const duplicateDocNumber = (docNumber: string) =>
  validation(
    '6140',
    'Duplicate Document Number Error',
    `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber} is assigned to TxnType=Invoice with TxnId=...`,
    'DocNumber',
  );

/** 6240: a name list entry (customer) with this display name exists. */
export const duplicateName = (name: string, id: string) =>
  validation(
    '6240',
    'Duplicate Name Exists Error',
    `The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name. Id=${id} ${name}`,
    'DisplayName',
  );

/** 6210: a posting dated on or before the company's closing date. */
export const accountPeriodClosed = (txnDate: string, closingDate: string) =>
  validation(
    '6210',
    'Account Period Closed',
    `Account Period Closed, cannot update through Services API. The books are closed through ${closingDate}; TxnDate ${txnDate} is in a closed period.`,
    'TxnDate',
  );

/** 2020: a required field is missing. */
export const requiredParam = (element: string) =>
  validation(
    '2020',
    'Required param missing, need to supply the required value for the API',
    `Required parameter ${element} is missing in the request`,
    element,
  );

/** 2010 / 2500: a field with a wrong value or a reference that resolves to nothing. */
export const invalidValue = (element: string, detail: string) =>
  validation('2010', 'Request has invalid or unsupported property', detail, element);
export const invalidReference = (element: string, id: string) =>
  validation(
    '2500',
    'Invalid Reference Id',
    `Invalid Reference Id : ${element} ${id} does not exist`,
    element,
  );

/** 6000: a business rule (amounts, currency, linked transactions). */
export const businessRule = (detail: string, element = '') =>
  validation(
    '6000',
    'A business validation error has occurred while processing your request',
    `Business Validation Error: ${detail}`,
    element,
  );

/** 4000: a query QuickBooks cannot parse. */
export const queryParserError = (detail: string) =>
  new QboFault(400, 'QueryParserError', {
    Message: 'Error parsing query',
    Detail: `QueryParserError: ${detail}`,
    code: '4000',
  });

/** 3200 (401): no or a wrong bearer token. */
export const authenticationFailed = () =>
  new QboFault(
    401,
    'AUTHENTICATION',
    { Message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', code: '3200' },
    { 'www-authenticate': 'Bearer realm="Intuit", error="invalid_token"' },
  );

/** 3100 (403): a token of another company. */
export const authorizationFailed = (realmId: string) =>
  new QboFault(403, 'AuthorizationFault', {
    Message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403',
    Detail: `the token is not authorized for company ${realmId}`,
    code: '3100',
  });

/** 3001 (429): over 500 requests a minute, or 10 at once, for one company. */
export const throttled = (detail: string, retryAfterSeconds: number) =>
  new QboFault(
    429,
    'ThrottleExceeded',
    {
      Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
      Detail: detail,
      code: '3001',
    },
    { 'retry-after': String(retryAfterSeconds) },
  );

/** The body of an injected fault, shaped like QuickBooks' own. */
export function quickbooksFaultResponse(
  kind: FaultResponseKind,
  status: number,
  retryAfterSeconds?: number,
): EmulatorResponse {
  const now = Date.now();
  if (kind === 'rate_limited') {
    const f = throttled('injected: the request limit was reached', retryAfterSeconds ?? 60);
    return { status, headers: f.headers, body: faultBody(f.type, [f.entry], now) };
  }
  return {
    status,
    body: faultBody(
      'SystemFault',
      [
        {
          Message: 'An application error has occurred while processing your request',
          Detail: `System Failure Error: injected ${kind} (${status})`,
          code: '10000',
        },
      ],
      now,
    ),
  };
}

/** 2050: a string over the field's length (DocNumber: 21). */
export const stringLength = (element: string, max: number, length: number) =>
  validation(
    '2050',
    'String length is either shorter or longer than supported by specification',
    `String length specified does not match the supported length. Min:0 Max:${max} supplied length:${length}`,
    element,
  );
