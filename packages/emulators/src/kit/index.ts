/**
 * The emulator kit: what every vendor emulator in `packages/emulators/src/<system>/` is built from.
 * See README.md in this folder for how the parts fit together.
 */
export type { EmulatorAdmin } from './admin-routes.ts';
export { createClock } from './clock.ts';
export type { Clock, ClockOptions } from './clock.ts';
export { createConcurrencyLimiter } from './concurrency-limiter.ts';
export type { ConcurrencyLimiter } from './concurrency-limiter.ts';
export { EmulatorHttpError } from './emulator-http-error.ts';
export { createEmulatorServer } from './emulator-server.ts';
export type {
  EmulatorApp,
  EmulatorErrorInfo,
  EmulatorServer,
  EmulatorServerOptions,
  FaultResponseKind,
  Middleware,
} from './emulator-server.ts';
export {
  FAULT_PRESETS,
  FaultConfigError,
  faultConfigSchema,
  parseFaultConfig,
} from './fault-config.ts';
export type {
  FaultConfig,
  FaultConfigInput,
  FaultPreset,
  FaultRule,
  LatencySpec,
  WebhookFaults,
} from './fault-config.ts';
export { createFaultInjector } from './fault-injector.ts';
export type {
  FaultAction,
  FaultDecision,
  FaultInjector,
  FaultInjectorOptions,
} from './fault-injector.ts';
export { parseFormBody } from './form-body.ts';
export type { FormValue } from './form-body.ts';
export { createRateLimiter } from './rate-limiter.ts';
export type { RateDecision, RateLimiter, RateLimiterOptions } from './rate-limiter.ts';
export type { RequestLog, RequestLogEntry } from './request-log.ts';
export { createRng } from './rng.ts';
export type { Rng } from './rng.ts';
export { createRouter } from './router.ts';
export type {
  EmulatorRequest,
  EmulatorResponse,
  Route,
  RouteHandler,
  RouteMatch,
  RouteMethod,
  Router,
} from './router.ts';
export { sampleLatency } from './sample-latency.ts';
export { createWebhookDispatcher } from './webhook-dispatcher.ts';
export type {
  WebhookAttempt,
  WebhookDelivery,
  WebhookDispatcher,
  WebhookDispatcherOptions,
  WebhookEndpoint,
} from './webhook-dispatcher.ts';
export { checkedInteger } from './option-check.ts';
