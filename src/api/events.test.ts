import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, TEST_KEYS, type ApiHarness } from '../../test/support/api-harness.ts';
import { listen } from './listen.ts';

/** Reads an SSE response until `done(text)` holds; returns everything read. */
async function readUntil(
  body: ReadableStream<Uint8Array>,
  done: (text: string) => boolean,
): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

describe('server-sent events [sqlite]', () => {
  let h: ApiHarness;
  let base: string;
  let controller: AbortController;

  beforeEach(async () => {
    h = await startApiHarness('sqlite', { sseHeartbeatMs: 50 });
    base = await listen(h.app, { port: 0 });
    controller = new AbortController();
  });
  afterEach(async () => {
    controller.abort();
    await h.close();
  });

  it('streams engine events as `event:`/`data:` frames, with heartbeats', async () => {
    const res = await fetch(`${base}/v1/events`, {
      headers: { authorization: `Bearer ${TEST_KEYS.viewer}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const body = res.body!;
    const opening = await readUntil(body, (t) => t.includes(': connected'));
    expect(opening).toContain('retry: 3000');

    const eventId = await h.send('cus_sse', { n: 5 });
    await h.settle();
    const text = await readUntil(
      body,
      (t) => t.includes('event: run.completed') && t.includes(': heartbeat'),
    );
    const frames = text
      .split('\n\n')
      .filter((f) => f.startsWith('event: '))
      .map((f) => {
        const [eventLine, dataLine] = f.split('\n');
        return { name: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice(6)) };
      });
    const names = frames.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['event.routed', 'run.claimed', 'step.completed', 'run.completed']),
    );
    expect(names.indexOf('event.routed')).toBeLessThan(names.indexOf('run.completed'));
    const completed = frames.find((f) => f.name === 'run.completed')!.data;
    expect(completed).toMatchObject({
      run: { flow: 'tiny', entityKey: 'cus_sse', status: 'completed', correlationId: eventId },
      durationMs: 0,
    });
    expect(completed.run).not.toHaveProperty('input');
    expect(completed.at).toBe(new Date(completed.atMs).toISOString());
  });

  it('filters by event name and refuses unknown names and missing keys', async () => {
    const res = await fetch(`${base}/v1/events?types=run.parked`, {
      headers: { 'x-api-key': TEST_KEYS.viewer },
      signal: controller.signal,
    });
    await readUntil(res.body!, (t) => t.includes(': connected'));
    await h.send('cus_ok', { n: 1 });
    await h.send('cus_bad', { fail: true });
    await h.settle();
    const text = await readUntil(res.body!, (t) => t.includes('event: run.parked'));
    expect(text).not.toContain('event: run.completed');
    expect(text).toContain('"code":"validation_failed"');

    const bad = await fetch(`${base}/v1/events?types=run.exploded`, {
      headers: { authorization: `Bearer ${TEST_KEYS.viewer}` },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_request');
    const anonymous = await fetch(`${base}/v1/events`);
    expect(anonymous.status).toBe(401);
  });

  it('ends open streams when the server closes', async () => {
    const res = await fetch(`${base}/v1/events`, {
      headers: { authorization: `Bearer ${TEST_KEYS.viewer}` },
      signal: controller.signal,
    });
    await readUntil(res.body!, (t) => t.includes(': connected'));
    await h.app.close();
    const reader = res.body!.getReader();
    let ended = false;
    while (!ended) ended = (await reader.read()).done;
    expect(ended).toBe(true);
  });
});
