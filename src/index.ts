/**
 * revsync's public API: the canonical model, the store, the durable flow engine and the HTTP API.
 */
export * from './model/index.ts';
export { openStore, parseStoreUrl, type StoreOptions } from './store/open-store.ts';
export { Store } from './store/store.ts';
export { Inbox, type AppendResult, type CursorUpdate } from './store/inbox.ts';
export type { RunRecord, RunFilter } from './store/run-repository.ts';
export type { ExceptionRecord, ExceptionFilter } from './store/exception-repository.ts';
export type { InboxRecord } from './store/inbox-repository.ts';
export type { Xref } from './store/xref-repository.ts';
export { Engine, type EngineOptions } from './engine/engine.ts';
export {
  defineFlow,
  PRIORITIES,
  type Flow,
  type FlowContext,
  type FlowDefinition,
  type StepContext,
  type StepOptions,
  type TriggerEvent,
  type PriorityLane,
} from './engine/flow.ts';
export { ManualClock, systemClock, type Clock } from './engine/clock.ts';
export { decideRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from './engine/retry-policy.ts';
export { ExceptionQueue } from './engine/exception-queue.ts';
export type { EngineEvents } from './engine/engine-events.ts';
export { createLogger } from './engine/logger.ts';
export * from './api/index.ts';
export {
  ApiKeys,
  type ApiKeyInfo,
  type BootstrapKey,
  type Principal,
} from './governance/api-keys.ts';
export { ROLES, roleAllows, type Role } from './governance/roles.ts';
export { DEFAULT_RATE_LIMIT, type RateLimit } from './governance/rate-limiter.ts';
export { RevsyncMetrics } from './observability/revsync-metrics.ts';
