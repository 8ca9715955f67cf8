import type { Logger } from 'pino';
import type { Clock } from '../engine/clock.ts';
import type { Engine } from '../engine/engine.ts';
import type { OutboundGateway } from '../gateway/outbound-gateway.ts';
import type { ApiKeys } from '../governance/api-keys.ts';
import type { Approvals } from '../governance/approvals.ts';
import type { KeyRateLimiter } from '../governance/rate-limiter.ts';
import type { RevsyncMetrics } from '../observability/revsync-metrics.ts';
import type { Store } from '../store/store.ts';
import type { ApiOptions } from './api-options.ts';
import type { ApiDeps, BusinessViews, CloseReadiness, ReconStarter, UsageIngest } from './deps.ts';
import type { EventStreams } from './event-streams.ts';

/** Everything a route handler can reach: the dependencies and the server's own services. */
export interface ApiContext {
  store: Store;
  engine: Engine;
  gateway: OutboundGateway | undefined;
  usage: UsageIngest | undefined;
  views: BusinessViews | undefined;
  close: CloseReadiness | undefined;
  recon: ReconStarter | undefined;
  systems: ApiDeps['systems'];
  clock: Clock;
  log: Logger;
  keys: ApiKeys;
  /** Four-eyes approvals of protected operator actions. */
  approvals: Approvals;
  rateLimiter: KeyRateLimiter;
  metrics: RevsyncMetrics;
  streams: EventStreams;
  options: ApiOptions;
  startedAt: number;
  /** The OpenAPI document of the routes this server registered. */
  openApi(): Record<string, unknown>;
}
