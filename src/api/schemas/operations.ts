import { z } from 'zod';
import { Iso, Ms } from './common.ts';

const Count = z.number().int();

/** `GET /v1/metrics/summary`. */
export const MetricsSummary = z.object({
  window: z.string(),
  bucket: z.string(),
  from: Iso,
  fromMs: Ms,
  to: Iso,
  toMs: Ms,
  buckets: z.array(
    z.object({
      start: Iso,
      startMs: Ms,
      completed: Count,
      failedAttempts: Count,
      retries: Count,
      parked: Count,
      poisoned: Count,
      p50Ms: z.number().nullable(),
      p95Ms: z.number().nullable(),
    }),
  ),
  totals: z.object({
    completed: Count,
    failedAttempts: Count,
    retries: Count,
    parked: Count,
    poisoned: Count,
    p50Ms: z.number().nullable(),
    p95Ms: z.number().nullable(),
    completedPerMinute: z.number(),
  }),
  latencySample: z.object({ runs: Count, truncated: z.boolean() }),
  /** Runs in each status now. */
  queue: z.record(z.string(), Count),
  inbox: z.object({ received: Count, routed: Count, failed: Count }),
  openExceptions: Count,
});
