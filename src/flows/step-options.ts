import type { ReadOptions, WriteOptions } from '../connectors/ports.ts';
import type { StepContext } from '../engine/flow.ts';
import type { Lane } from '../gateway/lanes.ts';

/** The options of a connector write made from a step: its idempotency key, trace and abort signal. */
export function writeOptions(step: StepContext, lane: Lane = 'normal'): WriteOptions {
  return {
    idempotencyKey: step.idempotencyKey,
    traceparent: step.traceparent,
    signal: step.signal,
    lane,
  };
}

/** The options of a connector read made from a step. */
export function readOptions(step: StepContext, lane: Lane = 'normal'): ReadOptions {
  return { traceparent: step.traceparent, signal: step.signal, lane };
}
