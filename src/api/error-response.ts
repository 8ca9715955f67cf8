import { ZodError } from 'zod';
import { RevsyncError, type ErrorCode, type ErrorDetail } from '../model/revsync-error.ts';
import { redactSecrets } from '../model/secret-redaction.ts';
import { toValidationIssues } from '../model/validation.ts';
import { ERROR_STATUS } from './error-status.ts';
import type { ErrorBody } from './schemas/common.ts';

/** What the API answers for a failure: status, the one error body, and an optional wait. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** Sent as `Retry-After` (whole seconds, rounded up). */
  retryAfterMs?: number;
  /** True for failures that are the server's fault (logged at error level). */
  serverFault: boolean;
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

/**
 * Maps anything a request can fail with to the API's error body: revsync errors by `code`,
 * Fastify's validation and body-parsing errors to `invalid_request`, zod errors likewise, and
 * anything else to `internal` without leaking its message.
 */
export function toErrorResponse(caught: unknown, requestId: string): ErrorResponse {
  if (caught instanceof RevsyncError) {
    return fromCode(caught.code, caught.message, caught.details, caught.retryAfterMs);
  }
  if (caught instanceof ZodError) {
    return fromCode('invalid_request', 'the request is invalid', toValidationIssues(caught));
  }
  const isError = caught instanceof Error;
  const fastify = caught as FastifyLikeError;
  if (isError && Array.isArray(fastify.validation)) {
    const context = fastify.validationContext ?? 'request';
    const details = fastify.validation.map((v) => ({
      path: validationPath(context, v.instancePath, v.params),
      message: v.message ?? 'is invalid',
    }));
    return fromCode('invalid_request', `the request ${context} is invalid`, details);
  }
  if (
    isError &&
    typeof fastify.code === 'string' &&
    fastify.code.startsWith('FST_') &&
    typeof fastify.statusCode === 'number' &&
    fastify.statusCode >= 400 &&
    fastify.statusCode < 500
  ) {
    const code: ErrorCode =
      fastify.statusCode === 404
        ? 'not_found'
        : fastify.statusCode === 429
          ? 'rate_limited'
          : 'invalid_request';
    return {
      status: fastify.statusCode,
      body: { error: { code, message: fastify.message } },
      serverFault: false,
    };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'internal',
        message: `internal error; the server log has the details (request ${requestId})`,
      },
    },
    serverFault: true,
  };
}

function fromCode(
  code: ErrorCode,
  message: string,
  details?: readonly ErrorDetail[],
  retryAfterMs?: number,
): ErrorResponse {
  const status = ERROR_STATUS[code] ?? 500;
  return {
    status,
    body: {
      error: {
        code,
        // A message may quote what was sent (a path, a value): never a secret back.
        message: redactSecrets(message),
        ...(details !== undefined &&
          details.length > 0 && {
            details: details.map((d) => ({
              ...(d.path !== undefined && { path: d.path }),
              message: redactSecrets(d.message),
            })),
          }),
      },
    },
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    serverFault: status >= 500,
  };
}

/** `body.records[0].quantity` from Ajv's `/records/0/quantity` (and the missing property). */
function validationPath(
  context: string,
  instancePath: string | undefined,
  params: Record<string, unknown> | undefined,
): string {
  let path = context;
  for (const part of (instancePath ?? '').split('/').filter(Boolean)) {
    path += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  }
  const missing = params?.missingProperty;
  if (typeof missing === 'string') path += `.${missing}`;
  return path;
}
