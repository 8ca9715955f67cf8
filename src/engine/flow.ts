import type { Logger } from 'pino';
import type { RetryPolicy } from './retry-policy.ts';

/** The triggering event as a flow sees it (a CloudEvents envelope). */
export interface TriggerEvent {
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  data?: unknown;
  entitykey?: string;
  correlationid?: string;
  causationid?: string;
  /** Version of the `data` schema (canonical events). */
  schemaversion?: number;
  /** The vendor event a canonical event was normalised from. */
  vendoreventid?: string;
  /** revsync's own id of the event (the canonical event; for a vendor event, its inbox entry). */
  eventId: string;
}

/** Given to each step attempt: what it needs to make its external write exactly once. */
export interface StepContext {
  /**
   * Deterministic per (run, step, input revision): send it as the Idempotency-Key or external id
   * of the step's external write, so a retried or re-executed step replays instead of duplicating.
   */
  readonly idempotencyKey: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly runId: string;
  readonly stepName: string;
  readonly entityKey: string;
  readonly correlationId: string;
  /** The id of what caused this step: the run. */
  readonly causationId: string;
  /** W3C trace context for outbound calls. */
  readonly traceparent: string;
  readonly log: Logger;
  /** Aborted when the step times out or the worker loses the run's lease. */
  readonly signal: AbortSignal;
}

export interface StepOptions {
  retry?: RetryPolicy;
  /** Abort an attempt after this long (default 60 s). */
  timeoutMs?: number;
  /**
   * The step only reads revsync's own store (no call outside, no write: a write of its own would
   * commit apart from the checkpoint): its checkpoint does not get a commit of its own but is
   * written in the transaction of the run's next checkpoint or of its outcome. If the process
   * dies before that, the step simply runs again.
   */
  local?: boolean;
}

/** What a flow's `run` function uses to reach the outside world; all of it is durable. */
export interface FlowContext {
  readonly runId: string;
  readonly flow: string;
  readonly entityKey: string;
  readonly correlationId: string;
  readonly log: Logger;
  /**
   * Runs `fn` once: its JSON result is checkpointed in the same transaction that marks the step
   * done; on re-execution (retry, crash, resume) the recorded result is returned without calling
   * `fn`. Step names must be unique within a run. A step that fails for good parks the run.
   */
  step<T>(
    name: string,
    fn: (step: StepContext) => Promise<T> | T,
    options?: StepOptions,
  ): Promise<T>;
  /**
   * Waits until `key` is signalled (for instance `billing.invoice.finalized:in_123`) and returns
   * its payload. A signal raised before the wait began counts. After `timeoutMs` the run parks
   * with `wait_timed_out`.
   */
  waitForSignal<T = unknown>(
    key: string,
    options: { timeoutMs: number; name?: string },
  ): Promise<T>;
  /** A durable timer: the run is re-scheduled, not held in memory. */
  sleep(name: string, ms: number): Promise<void>;
}

/** Lanes: work of a higher lane is claimed before lower ones. */
export const PRIORITIES = { critical: 30, high: 20, normal: 10, low: 0 } as const;
export type PriorityLane = keyof typeof PRIORITIES;

/** A business flow: which events start it, how runs are keyed, and its deterministic body. */
export interface FlowDefinition<Input = unknown, Output = unknown> {
  name: string;
  /** Bump when the body changes incompatibly; in-flight runs record the version they began with. */
  version?: number;
  /** Event types that start a run. */
  triggers: readonly string[];
  /**
   * The entity key that orders runs (normally the canonical customer). Default: the event's
   * `entitykey`, else its `subject`. Throwing or returning '' makes the event a poison event.
   */
  entityKey?: (event: TriggerEvent) => string;
  /**
   * Narrows the triggers: an event of a trigger type for which this returns false starts no run
   * of this flow (it is not an error). Default: every event of a trigger type.
   */
  filter?: (event: TriggerEvent) => boolean;
  /** Builds (and validates) the run's input from the event. Default: the event's `data`. */
  input?: (event: TriggerEvent) => Input;
  /**
   * Turns the stored input of a run that began under an older `version` of this flow into the
   * current shape (a run parked before an upgrade and retried, or replayed, after it). Called
   * with the run's `flowVersion` when it is below `version`; without it the stored input is
   * passed as it is. See docs/schemas.md.
   */
  upcastInput?: (input: unknown, fromVersion: number) => Input;
  priority?: PriorityLane;
  /** Default retry policy of this flow's steps. */
  retry?: RetryPolicy;
  /**
   * The flow body. It must be deterministic: reach the outside world only through `ctx.step`,
   * `ctx.waitForSignal` and `ctx.sleep`, because it is re-executed from the top on resume.
   */
  run(ctx: FlowContext, input: Input): Promise<Output>;
}

/** A flow with defaults filled in. */
export interface Flow<Input = unknown, Output = unknown> extends FlowDefinition<Input, Output> {
  readonly version: number;
  readonly priority: PriorityLane;
}

/** Declares a flow. */
export function defineFlow<Input = unknown, Output = unknown>(
  definition: FlowDefinition<Input, Output>,
): Flow<Input, Output> {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) {
    throw new Error(`flow name "${definition.name}" must be kebab-case (a-z, 0-9, -)`);
  }
  if (definition.triggers.length === 0) {
    throw new Error(`flow "${definition.name}" has no trigger event types`);
  }
  return {
    ...definition,
    version: definition.version ?? 1,
    priority: definition.priority ?? 'normal',
  };
}
