import type { Logger } from 'pino';
import {
  LeaseLostError,
  TimeoutError,
  ValidationError,
  WaitTimedOutError,
  coerceError,
  type RevsyncError,
} from '../model/revsync-error.ts';
import { newId } from '../model/ids.ts';
import type { RunRecord } from '../store/run-repository.ts';
import type { StepAttemptRecord, StepRecord } from '../store/step-repository.ts';
import type { Database } from '../store/schema.ts';
import type { Store, Transaction } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { EngineEvents } from './engine-events.ts';
import type { Flow, FlowContext, StepContext, StepOptions } from './flow.ts';
import { stepIdempotencyKey } from './idempotency-key.ts';
import { decideRetry, type RetryPolicy } from './retry-policy.ts';
import { startStepSpan } from './step-span.ts';
import type { TypedEvents } from './typed-events.ts';

/** What the executor needs from the engine. */
export interface ExecutorEnv {
  store: Store;
  clock: Clock;
  owner: string;
  leaseMs: number;
  log: Logger;
  random: () => number;
  events: TypedEvents<EngineEvents>;
  stepTimeoutMs: number;
  /** Retry policy of steps whose flow and call set none. */
  defaultRetry?: RetryPolicy;
}

/** How one execution of a run ended. */
export type ExecutionOutcome = (
  | { kind: 'completed'; output: unknown }
  | {
      kind: 'retry';
      step: string;
      error: RevsyncError;
      delayMs: number;
      attempt: number;
      durationMs: number;
    }
  | { kind: 'defer'; step: string; error: RevsyncError; delayMs: number }
  | { kind: 'park'; step: string | null; error: RevsyncError; attempts: number; durationMs: number }
  | { kind: 'wait'; step: string; key: string; deadline: number }
  | { kind: 'sleep'; step: string; position: number; wakeAt: number; idempotencyKey: string }
  /** The lease went to another worker (or the store failed); the run is left for its new owner. */
  | { kind: 'abandoned'; reason: string }
) & {
  /** Checkpoints of `local` steps not written yet: they go in the outcome's transaction. */
  localSteps?: readonly CompletedStep[];
};

/** A finished step's checkpoint as the store writes it. */
type CompletedStep = Omit<StepRecord, 'status' | 'wakeAt'> & { completedAt: number };

/** Thrown through the flow body to unwind it once the execution's outcome is known. */
class Suspend {
  readonly revsyncSuspend = true;
}

/**
 * Executes one claimed run: replays its checkpointed steps, runs the first unfinished one, and so
 * on until the flow returns or must stop (retry later, wait, sleep, park). The outcome is then
 * applied in one transaction, guarded by the lease.
 */
export async function executeRun(
  env: ExecutorEnv,
  flow: Flow,
  run: RunRecord,
  lease: AbortSignal,
): Promise<ExecutionOutcome> {
  const { store, clock } = env;
  const log = env.log.child({
    runId: run.id,
    flow: run.flow,
    entityKey: run.entityKey,
    correlationId: run.correlationId,
    causationId: run.causationId,
  });
  const recorded = new Map<string, StepRecord>(
    (await store.steps.listForRun(store.db, run.id)).map((s) => [s.name, s]),
  );
  const seen = new Set<string>();
  let position = 0;
  let outcome: ExecutionOutcome | undefined;
  const stop = (o: ExecutionOutcome): never => {
    outcome ??= o;
    throw new Suspend();
  };
  const claimName = (name: string): number => {
    if (outcome) throw new Suspend();
    if (lease.aborted) stop({ kind: 'abandoned', reason: 'lease lost' });
    if (seen.has(name)) {
      stop({
        kind: 'park',
        step: name,
        error: new ValidationError(`step name "${name}" is used twice in flow ${flow.name}`),
        attempts: 1,
        durationMs: 0,
      });
    }
    seen.add(name);
    return position++;
  };
  // Checkpoints of `local` steps, written with the next checkpoint or the outcome.
  let localSteps: CompletedStep[] = [];
  const checkpoint = async (
    step: string,
    pos: number,
    result: unknown,
    attempts: number,
    startedAt: number,
    local = false,
  ) => {
    const at = clock.now();
    const completed: CompletedStep = {
      runId: run.id,
      name: step,
      position: pos,
      result,
      attempts,
      idempotencyKey: stepIdempotencyKey(run.id, step, run.inputRevision),
      startedAt,
      completedAt: at,
    };
    if (local) {
      localSteps.push(completed);
    } else {
      try {
        await store.grouped(async (trx) => {
          const held = await store.runs.touch(trx, run.seq, env.owner, {
            at,
            attempt: 0,
            currentStep: null,
            leaseExpiresAt: at + env.leaseMs,
          });
          if (!held) throw new LeaseLostError(`run ${run.id} is no longer leased by ${env.owner}`);
          for (const earlier of localSteps) await store.steps.complete(trx, earlier);
          await store.steps.complete(trx, completed);
        });
        localSteps = [];
      } catch (caught) {
        stop({ kind: 'abandoned', reason: coerceError(caught).message });
      }
    }
    env.events.emit('step.completed', { run, step, attempt: attempts, durationMs: at - startedAt });
  };

  const ctx: FlowContext = {
    runId: run.id,
    flow: run.flow,
    entityKey: run.entityKey,
    correlationId: run.correlationId,
    log,

    async step<T>(name: string, fn: (s: StepContext) => Promise<T> | T, options: StepOptions = {}) {
      const pos = claimName(name);
      const done = recorded.get(name);
      if (done?.status === 'completed') return done.result as T;
      const attempt = (run.currentStep === name ? run.attempt : 0) + 1;
      const startedAt = clock.now();
      const attemptAbort = new AbortController();
      const onLeaseLost = () => attemptAbort.abort(new LeaseLostError('lease lost'));
      lease.addEventListener('abort', onLeaseLost, { once: true });
      const timeoutMs = options.timeoutMs ?? env.stepTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const span = startStepSpan(flow.name, name, run, attempt);
      const stepCtx: StepContext = {
        idempotencyKey: stepIdempotencyKey(run.id, name, run.inputRevision),
        attempt,
        runId: run.id,
        stepName: name,
        entityKey: run.entityKey,
        correlationId: run.correlationId,
        causationId: run.id,
        traceparent: span.traceparent,
        log: log.child({ step: name, attempt }),
        signal: attemptAbort.signal,
      };
      let result: unknown;
      try {
        result = await Promise.race([
          span.run(() => fn(stepCtx)),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new TimeoutError(`step ${name} took longer than ${timeoutMs} ms`);
              attemptAbort.abort(error);
              reject(error);
            }, timeoutMs);
            attemptAbort.signal.addEventListener(
              'abort',
              () => reject(attemptAbort.signal.reason),
              {
                once: true,
              },
            );
          }),
        ]);
      } catch (caught) {
        const error = coerceError(caught);
        span.fail(error);
        const durationMs = clock.now() - startedAt;
        if (error.code === 'lease_lost') return stop({ kind: 'abandoned', reason: 'lease lost' });
        env.events.emit('step.failed', { run, step: name, attempt, error, durationMs });
        const decision = decideRetry(
          error,
          attempt,
          options.retry ?? flow.retry ?? env.defaultRetry,
          env.random,
        );
        if (decision.action === 'park') {
          return stop({ kind: 'park', step: name, error, attempts: attempt, durationMs });
        }
        if (decision.action === 'defer') {
          return stop({ kind: 'defer', step: name, error, delayMs: decision.delayMs });
        }
        return stop({
          kind: 'retry',
          step: name,
          error,
          delayMs: decision.delayMs,
          attempt,
          durationMs,
        });
      } finally {
        span.end();
        clearTimeout(timer);
        lease.removeEventListener('abort', onLeaseLost);
      }
      const json = toJsonValue(result);
      await checkpoint(name, pos, json, attempt, startedAt, options.local === true);
      return json as T;
    },

    async waitForSignal<T>(key: string, options: { timeoutMs: number; name?: string }) {
      const name = options.name ?? `wait:${key}`;
      const pos = claimName(name);
      const done = recorded.get(name);
      if (done?.status === 'completed') return done.result as T;
      const signal = await store.signals.get(store.db, key);
      if (signal) {
        await checkpoint(name, pos, signal.payload, 1, clock.now());
        return signal.payload as T;
      }
      const waitingAlready = run.waitSignal === key && run.waitDeadline !== null;
      const deadline = waitingAlready ? run.waitDeadline! : clock.now() + options.timeoutMs;
      if (clock.now() >= deadline) {
        return stop({
          kind: 'park',
          step: name,
          error: new WaitTimedOutError(`no signal ${key} within ${options.timeoutMs} ms`),
          attempts: 1,
          durationMs: options.timeoutMs,
        });
      }
      return stop({ kind: 'wait', step: name, key, deadline });
    },

    async sleep(name: string, ms: number) {
      const pos = claimName(name);
      const done = recorded.get(name);
      if (done?.status === 'completed') return;
      if (done?.status === 'sleeping' && done.wakeAt !== null && clock.now() >= done.wakeAt) {
        await checkpoint(name, pos, null, 1, done.startedAt);
        return;
      }
      stop({
        kind: 'sleep',
        step: name,
        position: pos,
        wakeAt: done?.wakeAt ?? clock.now() + ms,
        idempotencyKey: stepIdempotencyKey(run.id, name, run.inputRevision),
      });
    },
  };

  const startedAt = clock.now();
  try {
    const input =
      flow.upcastInput && run.flowVersion < flow.version
        ? flow.upcastInput(run.input, run.flowVersion)
        : run.input;
    const output = await flow.run(ctx, input);
    if (!outcome) outcome = { kind: 'completed', output: toJsonValue(output) };
  } catch (caught) {
    if (!(caught instanceof Suspend) && !outcome) {
      // A failure of the flow body itself (outside any step): deterministic, so retrying the
      // same input cannot help. Park it for a person.
      const error = coerceError(caught);
      outcome = {
        kind: 'park',
        step: null,
        error: new ValidationError(`flow ${flow.name} failed outside a step: ${error.message}`, {
          cause: caught,
        }),
        attempts: 1,
        durationMs: clock.now() - startedAt,
      };
    }
  }
  const final: ExecutionOutcome = outcome ?? { kind: 'abandoned', reason: 'no outcome' };
  return localSteps.length > 0 ? { ...final, localSteps } : final;
}

/** Applies an execution's outcome in one transaction; false if the lease was lost meanwhile. */
export async function applyOutcome(
  env: ExecutorEnv,
  run: RunRecord,
  outcome: ExecutionOutcome,
): Promise<boolean> {
  if (outcome.kind === 'abandoned') return false;
  const { store } = env;
  const at = env.clock.now();
  return store.grouped(async (trx) => {
    const moved = await writeOutcome(env, trx, run, outcome, at);
    // The `local` steps' checkpoints go with the outcome they led to.
    if (moved) for (const step of outcome.localSteps ?? []) await store.steps.complete(trx, step);
    return moved;
  });
}

/** The outcome's writes in `trx`: the run's transition (lease-guarded) and what goes with it. */
async function writeOutcome(
  env: ExecutorEnv,
  trx: Transaction<Database>,
  run: RunRecord,
  outcome: Exclude<ExecutionOutcome, { kind: 'abandoned' }>,
  at: number,
): Promise<boolean> {
  const { store } = env;
  const guard = { leaseOwner: env.owner, from: ['running' as const] };
  const release = { leaseOwner: null, leaseExpiresAt: null };
  switch (outcome.kind) {
    case 'completed':
      return store.runs.transition(
        trx,
        run.seq,
        'completed',
        {
          at,
          ...release,
          output: outcome.output,
          completedAt: at,
          currentStep: null,
          attempt: 0,
          waitSignal: null,
          waitDeadline: null,
          error: null,
        },
        guard,
      );
    case 'retry':
    case 'defer': {
      const moved = await store.runs.transition(
        trx,
        run.seq,
        'queued',
        {
          at,
          ...release,
          availableAt: at + outcome.delayMs,
          // A deferral (rate limit, open circuit) does not use up an attempt.
          ...(outcome.kind === 'retry' && { attempt: outcome.attempt }),
          currentStep: outcome.step,
          error: outcome.error.toJSON(),
        },
        guard,
      );
      if (moved && outcome.kind === 'retry')
        await store.steps.recordFailedAttempt(
          trx,
          failedAttempt(run, outcome.step, outcome.attempt, at, outcome),
        );
      return moved;
    }
    case 'park': {
      const moved = await store.runs.transition(
        trx,
        run.seq,
        'parked',
        {
          at,
          ...release,
          attempt: outcome.attempts,
          currentStep: outcome.step,
          waitSignal: null,
          waitDeadline: null,
          error: outcome.error.toJSON(),
        },
        guard,
      );
      if (!moved) return false;
      if (outcome.step !== null) {
        await store.steps.recordFailedAttempt(
          trx,
          failedAttempt(run, outcome.step, outcome.attempts, at, outcome),
        );
      }
      await store.exceptions.open(trx, {
        id: newId('exc'),
        kind: 'run',
        runId: run.id,
        eventSeq: null,
        flow: run.flow,
        entityKey: run.entityKey,
        stepName: outcome.step,
        error: outcome.error.toJSON(),
        attempts: outcome.attempts,
        lastInput: run.input,
        correlationId: run.correlationId,
        createdAt: at,
      });
      return true;
    }
    case 'wait': {
      const moved = await store.runs.transition(
        trx,
        run.seq,
        'waiting',
        {
          at,
          ...release,
          currentStep: outcome.step,
          attempt: 0,
          waitSignal: outcome.key,
          waitDeadline: outcome.deadline,
        },
        guard,
      );
      // The signal may have been raised after the executor looked; wake the run now if so.
      if (moved && (await store.signals.get(trx, outcome.key))) {
        await store.runs.wakeWaiting(trx, outcome.key, at);
      }
      return moved;
    }
    case 'sleep': {
      const moved = await store.runs.transition(
        trx,
        run.seq,
        'queued',
        { at, ...release, availableAt: outcome.wakeAt, currentStep: outcome.step, attempt: 0 },
        guard,
      );
      if (moved) {
        await store.steps.sleep(trx, {
          runId: run.id,
          name: outcome.step,
          position: outcome.position,
          idempotencyKey: outcome.idempotencyKey,
          startedAt: at,
          wakeAt: outcome.wakeAt,
        });
      }
      return moved;
    }
  }
}

/** The stored record of a failed step attempt. */
function failedAttempt(
  run: RunRecord,
  stepName: string,
  attempt: number,
  at: number,
  outcome: { durationMs: number; error: RevsyncError },
): StepAttemptRecord {
  return {
    runId: run.id,
    stepName,
    attempt,
    at,
    durationMs: outcome.durationMs,
    error: outcome.error.toJSON(),
  };
}

/** Results are stored as JSON; the flow sees exactly what a replay would return. */
function toJsonValue(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}
