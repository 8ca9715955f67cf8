import { z } from 'zod';
import { InvalidRequestError } from '../../model/revsync-error.ts';
import { computeMetricsSummary, parseDuration } from '../metrics-summary.ts';
import { defineRoute } from '../route-spec.ts';
import { MetricsSummary } from '../schemas/operations.ts';

const MAX_WINDOW_MS = 7 * 86_400_000;
const MAX_BUCKETS = 1_440;

/** Metrics: the dashboard's summary and the Prometheus exposition. */
export const metricsRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/metrics/summary',
    access: 'viewer',
    operationId: 'getMetricsSummary',
    tag: 'operations',
    summary: 'Throughput, latency, retries and parked runs per time bucket; queue depth now',
    query: z.object({
      window: z
        .string()
        .optional()
        .meta({ description: 'e.g. 15m, 1h (default), 24h; at most 7d.' }),
      bucket: z.string().optional().meta({ description: 'e.g. 10s, 1m (default), 1h.' }),
    }),
    response: MetricsSummary,
    async handler({ api, query }) {
      const window = query.window ?? '1h';
      const bucket = query.bucket ?? '1m';
      const windowMs = parseDuration(window);
      const bucketMs = parseDuration(bucket);
      const problems = [];
      if (windowMs === undefined || windowMs > MAX_WINDOW_MS)
        problems.push({ path: 'querystring.window', message: 'a duration like 1h, at most 7d' });
      if (bucketMs === undefined)
        problems.push({ path: 'querystring.bucket', message: 'a duration like 1m' });
      if (windowMs !== undefined && bucketMs !== undefined && windowMs / bucketMs > MAX_BUCKETS)
        problems.push({ path: 'querystring.bucket', message: `at most ${MAX_BUCKETS} buckets` });
      if (problems.length > 0 || windowMs === undefined || bucketMs === undefined) {
        throw new InvalidRequestError('window or bucket is not usable', { details: problems });
      }
      return computeMetricsSummary(api.store, {
        now: api.clock.now(),
        window,
        windowMs,
        bucket,
        bucketMs,
      });
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/metrics',
    access: 'metrics',
    operationId: 'getPrometheusMetrics',
    tag: 'operations',
    summary: 'Prometheus metrics (text exposition format)',
    produces: 'text/plain',
    async handler({ api, reply }) {
      const body = await api.metrics.scrape(api.clock.now());
      reply.header('content-type', api.metrics.contentType).send(body);
      return undefined;
    },
  }),
];
