import { createHash } from 'node:crypto';

/**
 * The idempotency key of a step: deterministic per (run, step, input revision), made only of
 * letters, digits, `_` and `-` so every vendor accepts it (NetSuite external ids are the
 * strictest). A revision > 0 (after edit-and-resubmit) yields a new key, because the request
 * changed and vendors refuse a reused key with other parameters.
 */
export function stepIdempotencyKey(runId: string, stepName: string, inputRevision: number): string {
  const raw = inputRevision > 0 ? `${runId}-${stepName}-r${inputRevision}` : `${runId}-${stepName}`;
  const safe = raw.replace(/[^A-Za-z0-9_-]/g, '_');
  if (safe === raw && safe.length <= 200) return safe;
  const digest = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  return `${safe.slice(0, 180)}-${digest}`;
}
