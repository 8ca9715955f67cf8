/**
 * Business Central's error shape: `{"error":{"code","message"}}`, the message ending in
 * `CorrelationId:  <guid>.` as the service writes it.
 */
import { randomUUID } from 'node:crypto';
import { EmulatorHttpError, type EmulatorResponse, type FaultResponseKind } from '../kit/index.ts';

/** A BC error answer. */
export class BcError extends EmulatorHttpError {
  readonly code: string;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(status, bcErrorBody(code, message), headers);
    this.code = code;
  }
}

export function bcErrorBody(code: string, message: string) {
  return { error: { code, message: `${message}  CorrelationId:  ${randomUUID()}.` } };
}

export const notFound = (what: string) =>
  new BcError(
    404,
    'BadRequest_NotFound',
    `The ${what} does not exist. Identification fields and values: ${what}`,
  );

export const resourceNotFound = (segment: string) =>
  new BcError(
    404,
    'BadRequest_ResourceNotFound',
    `Resource not found for the segment '${segment}'.`,
  );

export const badRequest = (message: string) => new BcError(400, 'BadRequest', message);

/** An AL `Error()` raised while validating or posting (BC: `Application_DialogException`). */
export const dialog = (message: string) => new BcError(400, 'Application_DialogException', message);

export const invalidField = (field: string, message: string) =>
  new BcError(400, 'BadRequest', `${field}: ${message}`);

export const entityChanged = () =>
  new BcError(
    412,
    'Request_EntityChanged',
    'Could not save the changes because the entity was modified by another user. Refresh the entity and try again.',
  );

/** A PATCH/DELETE without `If-Match`: BC answers 400 `BadRequest_InvalidToken` (not 428). */
export const ifMatchMissing = () =>
  new BcError(
    400,
    'BadRequest_InvalidToken',
    'Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.',
  );

export const unauthorized = () =>
  new BcError(
    401,
    'Authentication_InvalidCredentials',
    'The server has rejected the client credentials.',
    {
      'www-authenticate':
        'Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", Bearer realm=""',
    },
  );

export const tooManyRequests = (retryAfterSeconds: number, message: string) =>
  new BcError(429, 'Application_TooManyRequests', message, {
    'retry-after': String(retryAfterSeconds),
  });

/** Injected faults in BC's shape. */
export function businessCentralFaultResponse(
  kind: FaultResponseKind,
  status: number,
  retryAfterSeconds?: number,
): EmulatorResponse {
  if (kind === 'rate_limited') {
    return {
      status,
      headers: retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {},
      body: bcErrorBody('Application_TooManyRequests', 'Too many requests reached.'),
    };
  }
  if (kind === 'outage') {
    return {
      status,
      body: bcErrorBody('ServiceUnavailable', 'The service is temporarily unavailable.'),
    };
  }
  return {
    status,
    body: bcErrorBody('InternalServerError', 'An unexpected error occurred (injected fault).'),
  };
}
