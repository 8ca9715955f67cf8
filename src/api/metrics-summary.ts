import type { z } from 'zod';
import { RUN_STATUSES } from '../model/states.ts';
import type { Store } from '../store/store.ts';
import { iso } from './schemas/common.ts';
import type { MetricsSummary } from './schemas/operations.ts';

/** Most completions read for latency percentiles; beyond that the newest are a sample. */
const LATENCY_SAMPLE = 50_000;

/**
 * Operational summary over a recent window, from the store (so it covers every worker):
 * per bucket the runs completed, their p50/p95 latency (created → completed), retries, parked
 * runs and poison events; plus the current queue depth by status, open exceptions and inbox.
 */
export async function computeMetricsSummary(
  store: Store,
  request: { now: number; window: string; windowMs: number; bucket: string; bucketMs: number },
): Promise<z.input<typeof MetricsSummary>> {
  // The window ends with the bucket that holds `now`.
  const to = (Math.floor(request.now / request.bucketMs) + 1) * request.bucketMs;
  const from = to - request.windowMs;
  const window = { from, to, bucketMs: request.bucketMs };
  const db = store.db;
  const [completed, attempts, opened, completions, queue, inbox, openExceptions] =
    await Promise.all([
      store.runs.countCompletedByBucket(db, window),
      store.steps.countFailedAttemptsByBucket(db, window),
      store.exceptions.countOpenedByBucket(db, window),
      store.runs.listCompletions(db, { from, to, limit: LATENCY_SAMPLE }),
      store.runs.countByStatus(db),
      store.inbox.countByStatus(db),
      store.exceptions.countOpen(db),
    ]);

  const count = Math.ceil(request.windowMs / request.bucketMs);
  const buckets = Array.from({ length: count }, (_, i) => ({
    startMs: from + i * request.bucketMs,
    completed: 0,
    failedAttempts: 0,
    retries: 0,
    parked: 0,
    poisoned: 0,
    latencies: [] as number[],
  }));
  for (const c of completed) if (buckets[c.bucket]) buckets[c.bucket]!.completed = c.count;
  for (const a of attempts) if (buckets[a.bucket]) buckets[a.bucket]!.failedAttempts = a.count;
  for (const o of opened) {
    const b = buckets[o.bucket];
    if (!b) continue;
    b.parked = o.parked;
    b.poisoned = o.poisoned;
    // A run parked in a step also left a failed attempt: that one was not retried.
    b.retries = -o.parkedInStep;
  }
  for (const b of buckets) b.retries = Math.max(0, b.failedAttempts + b.retries);
  const all: number[] = [];
  for (const c of completions) {
    const latency = c.completedAt - c.createdAt;
    all.push(latency);
    buckets[Math.floor((c.completedAt - from) / request.bucketMs)]?.latencies.push(latency);
  }

  const sum = (pick: (b: (typeof buckets)[number]) => number) =>
    buckets.reduce((n, b) => n + pick(b), 0);
  const totalCompleted = sum((b) => b.completed);
  return {
    window: request.window,
    bucket: request.bucket,
    from: iso(from),
    fromMs: from,
    to: iso(to),
    toMs: to,
    buckets: buckets.map((b) => ({
      start: iso(b.startMs),
      startMs: b.startMs,
      completed: b.completed,
      failedAttempts: b.failedAttempts,
      retries: b.retries,
      parked: b.parked,
      poisoned: b.poisoned,
      p50Ms: percentile(b.latencies, 0.5),
      p95Ms: percentile(b.latencies, 0.95),
    })),
    totals: {
      completed: totalCompleted,
      failedAttempts: sum((b) => b.failedAttempts),
      retries: sum((b) => b.retries),
      parked: sum((b) => b.parked),
      poisoned: sum((b) => b.poisoned),
      p50Ms: percentile(all, 0.5),
      p95Ms: percentile(all, 0.95),
      completedPerMinute: (totalCompleted * 60_000) / request.windowMs,
    },
    latencySample: { runs: completions.length, truncated: completions.length === LATENCY_SAMPLE },
    queue: Object.fromEntries(RUN_STATUSES.map((s) => [s, queue[s] ?? 0])),
    inbox: {
      received: inbox.received ?? 0,
      routed: inbox.routed ?? 0,
      failed: inbox.failed ?? 0,
    },
    openExceptions,
  };
}

/** Nearest-rank percentile; null for no values. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `30s`, `5m`, `1h`, `7d` into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : undefined;
}
