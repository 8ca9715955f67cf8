import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/stores.ts';
import { ValidationError } from '../model/revsync-error.ts';
import type { Store } from '../store/store.ts';
import { Engine } from './engine.ts';
import { defineFlow } from './flow.ts';
import { traceIdFor } from './trace-context.ts';

describe('OpenTelemetry spans [sqlite]', () => {
  const exporter = new InMemorySpanExporter();
  let store: Store & { dispose(): Promise<void> };

  beforeAll(async () => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    store = await openTestStore('sqlite');
  });
  afterAll(async () => {
    trace.disable();
    await store.dispose();
  });

  it('records a span per step attempt in the trace of the correlation id, matching the traceparent sent', async () => {
    const sent: string[] = [];
    let first = true;
    const flow = defineFlow({
      name: 'spanned',
      triggers: ['x.spanned'],
      retry: { maxAttempts: 1 },
      async run(ctx) {
        await ctx.step('post', (s) => {
          sent.push(s.traceparent);
          return 'ok';
        });
        await ctx.step('fail', () => {
          if (first) {
            first = false;
            throw new ValidationError('bad tax code');
          }
        });
      },
    });
    const engine = new Engine({ store, flows: [flow], logger: pino({ level: 'silent' }) });
    await engine.inbox.append({
      specversion: '1.0',
      id: 'e1',
      source: 't',
      type: 'x.spanned',
      entitykey: 'k',
      correlationid: 'deal-42',
    });
    await engine.runUntilIdle();
    const spans = exporter.getFinishedSpans();
    const post = spans.find((s) => s.name === 'spanned post')!;
    const failed = spans.find((s) => s.name === 'spanned fail')!;
    expect(post.spanContext().traceId).toBe(traceIdFor('deal-42'));
    expect(sent[0]).toBe(`00-${post.spanContext().traceId}-${post.spanContext().spanId}-01`);
    expect(post.attributes).toMatchObject({
      'revsync.flow': 'spanned',
      'revsync.correlation_id': 'deal-42',
      'revsync.attempt': 1,
    });
    expect(failed.status).toMatchObject({ code: 2, message: 'bad tax code' });
    expect(failed.attributes['revsync.error_code']).toBe('validation_failed');
  });
});
