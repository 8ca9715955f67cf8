import type { BootstrapKey } from '../governance/api-keys.ts';
import type { RateLimit } from '../governance/rate-limiter.ts';
import type { Role } from '../governance/roles.ts';

/** How the HTTP API behaves; every field has a default. */
export interface ApiOptions {
  /** Keys accepted besides the stored ones (the demo's known keys); held in memory only. */
  bootstrapKeys?: BootstrapKey[];
  /** Per-key token buckets by role (default 20 requests/s, bursts of 40, for every role). */
  rateLimits?: Partial<Record<Role, RateLimit>>;
  /** `viewer` (default): `/metrics` needs a viewer key; `none`: open to scrapers. */
  metricsAuth?: 'viewer' | 'none';
  /** Interval of the SSE heartbeat comment (default 15 s). */
  sseHeartbeatMs?: number;
  /** Bytes a slow SSE client may fall behind before it is disconnected (default 1 MiB). */
  sseMaxBufferedBytes?: number;
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Trust `X-Forwarded-*` from a proxy in front (default false). */
  trustProxy?: boolean;
  /** Log every request at info level (default false: only failures are logged). */
  requestLogging?: boolean;
  /** Include Node.js process metrics (`process_*`, `nodejs_*`) in `/metrics` (default true). */
  processMetrics?: boolean;
  /** How long business-view row counts are cached for `/metrics` (default 30 s). */
  viewCountTtlMs?: number;
  /**
   * Serve the dashboard at `/` with its files under `/ui/` (default true). Public routes: the
   * page holds no data and signs in with an API key.
   */
  dashboard?: boolean;
}
