import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import type { RevsyncError } from '../model/revsync-error.ts';
import type { RunRecord } from '../store/run-repository.ts';
import { newSpanId, traceIdFor } from './trace-context.ts';

const tracer = trace.getTracer('revsync');

/** The OpenTelemetry span of one step attempt, and the `traceparent` to send on its calls. */
export interface StepSpan {
  traceparent: string;
  /** Runs `fn` with the span active (so spans made inside are its children). */
  run<T>(fn: () => T | Promise<T>): Promise<T>;
  fail(error: RevsyncError): void;
  end(): void;
}

/**
 * Opens a span for a step attempt in the trace of the run's correlation id (the trace id is
 * derived from it, so CRM, billing and ERP hops of one business change share a trace). With an
 * OpenTelemetry SDK registered the span is recorded and exported; without one it is a no-op span
 * that still carries valid ids for the outbound `traceparent`.
 */
export function startStepSpan(
  flow: string,
  step: string,
  run: RunRecord,
  attempt: number,
): StepSpan {
  const parent = trace.setSpanContext(context.active(), {
    traceId: traceIdFor(run.correlationId),
    spanId: newSpanId(),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const span = tracer.startSpan(
    `${flow} ${step}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'revsync.flow': flow,
        'revsync.step': step,
        'revsync.run_id': run.id,
        'revsync.entity_key': run.entityKey,
        'revsync.correlation_id': run.correlationId,
        'revsync.attempt': attempt,
      },
    },
    parent,
  );
  const active = trace.setSpan(parent, span);
  const sc = span.spanContext();
  let ended = false;
  return {
    traceparent: `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}`,
    run: (fn) => context.with(active, () => Promise.resolve().then(fn)),
    fail(error) {
      span.recordException({ name: error.name, message: error.message });
      span.setAttribute('revsync.error_code', error.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    },
    end() {
      if (ended) return;
      ended = true;
      span.end();
    },
  };
}
