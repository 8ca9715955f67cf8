import { randomUUID } from 'node:crypto';
import {
  EmulatorHttpError,
  type EmulatorErrorInfo,
  type EmulatorResponse,
  type FaultResponseKind,
} from '../kit/index.ts';

/** HubSpot's error categories (the `category` of an error body). */
export type HubspotCategory =
  | 'VALIDATION_ERROR'
  | 'OBJECT_NOT_FOUND'
  | 'RATE_LIMITS'
  | 'CONFLICT'
  | 'INVALID_AUTHENTICATION'
  | 'MISSING_SCOPES'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE';

/** One entry of an error body's `errors`. */
export interface HubspotErrorDetail {
  message: string;
  code?: string;
  in?: string;
  context?: Record<string, string[]>;
}

/** An error body as HubSpot answers it. */
export interface HubspotErrorBody {
  status: 'error';
  message: string;
  correlationId: string;
  category: HubspotCategory;
  subCategory?: string;
  errors?: HubspotErrorDetail[];
  context?: Record<string, string[]>;
  /** 429s: the limit that was hit (the SDK retries `TEN_SECONDLY_ROLLING`). */
  policyName?: string;
  errorType?: string;
  groupName?: string;
}

/** A HubSpot error body. */
export function errorBody(
  category: HubspotCategory,
  message: string,
  extra: Partial<Omit<HubspotErrorBody, 'status' | 'message' | 'category'>> = {},
): HubspotErrorBody {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

/** Thrown by handlers: answers with HubSpot's error body. */
export class HubspotError extends EmulatorHttpError {
  constructor(
    status: number,
    category: HubspotCategory,
    message: string,
    extra: Partial<Omit<HubspotErrorBody, 'status' | 'message' | 'category'>> = {},
    headers: Record<string, string> = {},
  ) {
    super(status, errorBody(category, message, extra), headers);
  }
}

export const notFound = (): HubspotError =>
  new HubspotError(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.');

export const invalid = (message: string, errors?: HubspotErrorDetail[]): HubspotError =>
  new HubspotError(400, 'VALIDATION_ERROR', message, errors ? { errors } : {});

/** 429 of the ten-second rolling limit, as HubSpot words it. */
export function tenSecondlyLimit(groupName: string): HubspotErrorBody {
  return errorBody('RATE_LIMITS', 'You have reached your ten_secondly_rolling limit.', {
    errorType: 'RATE_LIMIT',
    policyName: 'TEN_SECONDLY_ROLLING',
    groupName,
  });
}

/** 429 of the search endpoints' per-second limit (the SDK retries it after a second). */
export function secondlyLimit(): HubspotErrorBody {
  return errorBody('RATE_LIMITS', 'You have reached your secondly limit.', {
    errorType: 'RATE_LIMIT',
    policyName: 'SECONDLY',
  });
}

/** The kit's `formatError` in HubSpot's shape. */
export function formatHubspotError(e: EmulatorErrorInfo): EmulatorResponse {
  if (e.code === 'route_not_found') {
    return { status: 404, body: errorBody('OBJECT_NOT_FOUND', `Unable to route ${e.message}`) };
  }
  if (e.code === 'internal_error') {
    return { status: 500, body: errorBody('INTERNAL_ERROR', `internal error: ${e.message}`) };
  }
  return { status: e.status, body: errorBody('VALIDATION_ERROR', e.message) };
}

/** The kit's `faultResponse`: 429 `TEN_SECONDLY_ROLLING`, 5xx `INTERNAL_ERROR` / 503 `SERVICE_UNAVAILABLE`. */
export function hubspotFaultResponse(kind: FaultResponseKind, status: number): EmulatorResponse {
  if (kind === 'rate_limited') return { status, body: tenSecondlyLimit('publicapi:injected') };
  if (status === 503 || kind === 'outage') {
    return {
      status,
      body: errorBody('SERVICE_UNAVAILABLE', 'Service unavailable (injected fault)'),
    };
  }
  return {
    status,
    body: errorBody('INTERNAL_ERROR', `internal error (injected fault, HTTP ${status})`),
  };
}
