import { createHash, randomBytes } from 'node:crypto';

/**
 * W3C trace context. The trace id is derived from the correlation id, so every hop of one
 * business change (CRM → billing → ERP) lands in the same trace; span ids are fresh per attempt.
 */
export function traceIdFor(correlationId: string): string {
  return createHash('sha256').update(correlationId).digest('hex').slice(0, 32);
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** A `traceparent` header value: version 00, sampled. */
export function traceparent(correlationId: string, spanId: string = newSpanId()): string {
  return `00-${traceIdFor(correlationId)}-${spanId}-01`;
}
