import type { ServerResponse } from 'node:http';
import type { Clock } from '../engine/clock.ts';
import type { EngineEvents } from '../engine/engine-events.ts';
import type { TypedEvents } from '../engine/typed-events.ts';
import type { RevsyncError } from '../model/revsync-error.ts';
import type { InboxRecord } from '../store/inbox-repository.ts';
import type { RunRecord } from '../store/run-repository.ts';
import { iso } from './schemas/common.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

/** Engine events the stream carries, in the order the docs list them. */
export const STREAM_EVENT_NAMES = [
  'event.routed',
  'event.poisoned',
  'run.claimed',
  'run.completed',
  'run.retrying',
  'run.deferred',
  'run.waiting',
  'run.parked',
  'run.abandoned',
  'step.completed',
  'step.failed',
  'signal.raised',
] as const satisfies readonly (keyof EngineEvents)[];

export type StreamEventName = (typeof STREAM_EVENT_NAMES)[number];

interface Stream {
  raw: ServerResponse;
  types: ReadonlySet<string>;
}

/**
 * Server-sent events: every open `GET /v1/events` connection receives engine events as
 * `event: <name>\ndata: <json>\n\n`, plus a `: heartbeat` comment every `heartbeatMs` so proxies
 * keep the connection. A client that falls more than `maxBufferedBytes` behind is disconnected
 * rather than buffered without bound (it reconnects and reloads what it shows).
 */
export class EventStreams {
  readonly #streams = new Set<Stream>();
  readonly #clock: Clock;
  readonly #maxBufferedBytes: number;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #heartbeat: NodeJS.Timeout;

  constructor(
    events: TypedEvents<EngineEvents>,
    options: { clock: Clock; heartbeatMs: number; maxBufferedBytes: number },
  ) {
    this.#clock = options.clock;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    for (const name of STREAM_EVENT_NAMES) {
      this.#unsubscribe.push(
        events.on(name, (payload) => this.#broadcast(name, payload as EngineEvents[typeof name])),
      );
    }
    this.#heartbeat = setInterval(() => this.#writeAll(': heartbeat\n\n'), options.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Connections open now. */
  get size(): number {
    return this.#streams.size;
  }

  /** Takes over a response and streams to it until the client goes away. */
  open(raw: ServerResponse, types: readonly string[]): void {
    raw.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Tells nginx not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    const stream: Stream = { raw, types: new Set(types) };
    this.#streams.add(stream);
    raw.on('close', () => this.#streams.delete(stream));
    raw.write(`retry: 3000\n: connected ${iso(this.#clock.now())}\n\n`);
  }

  /** Ends every stream (server shutdown) and stops listening to the engine. */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const off of this.#unsubscribe.splice(0)) off();
    for (const stream of this.#streams) stream.raw.end();
    this.#streams.clear();
  }

  #broadcast<K extends StreamEventName>(name: K, payload: EngineEvents[K]): void {
    if (this.#streams.size === 0) return;
    const data = JSON.stringify(toStreamData(name, payload, this.#clock.now()));
    const frame = `event: ${name}\ndata: ${data}\n\n`;
    for (const stream of this.#streams) {
      if (stream.types.size === 0 || stream.types.has(name)) this.#write(stream, frame);
    }
  }

  #writeAll(frame: string): void {
    for (const stream of this.#streams) this.#write(stream, frame);
  }

  #write(stream: Stream, frame: string): void {
    if (stream.raw.writableLength > this.#maxBufferedBytes) {
      this.#streams.delete(stream);
      stream.raw.destroy();
      return;
    }
    stream.raw.write(frame);
  }
}

/** The JSON `data` of one stream event: small, stable, and without run inputs or outputs. */
export function toStreamData<K extends StreamEventName>(
  name: K,
  payload: EngineEvents[K],
  now: number,
): Record<string, unknown> {
  const at = { at: iso(now), atMs: now };
  const p = payload as Partial<{
    run: RunRecord;
    event: InboxRecord;
    error: RevsyncError;
    step: string | null;
    attempt: number;
    durationMs: number;
    delayMs: number;
    key: string;
    deadline: number;
    reason: string;
    runs: number;
  }>;
  const out: Record<string, unknown> = { ...at };
  if (p.run) out.run = runSummary(p.run, STATUS_AFTER[name] ?? p.run.status);
  if (p.event) {
    out.event = {
      eventId: p.event.eventId,
      type: p.event.type,
      source: p.event.source,
      subject: p.event.subject,
      entityKey: p.event.entityKey,
      correlationId: p.event.correlationId,
    };
  }
  if (p.error) out.error = { code: p.error.code, message: p.error.message };
  for (const field of [
    'step',
    'attempt',
    'durationMs',
    'delayMs',
    'key',
    'reason',
    'runs',
  ] as const) {
    if (p[field] !== undefined) out[field] = p[field];
  }
  if (p.deadline !== undefined) {
    out.deadline = iso(p.deadline);
    out.deadlineMs = p.deadline;
  }
  return out;
}

/** The run's status right after the event (the payload holds the run as it was claimed). */
const STATUS_AFTER: Partial<Record<StreamEventName, string>> = {
  'run.claimed': 'running',
  'run.completed': 'completed',
  'run.retrying': 'queued',
  'run.deferred': 'queued',
  'run.waiting': 'waiting',
  'run.parked': 'parked',
  'step.completed': 'running',
  'step.failed': 'running',
};

function runSummary(run: RunRecord, status: string) {
  return {
    id: run.id,
    flow: run.flow,
    entityKey: run.entityKey,
    status,
    correlationId: run.correlationId,
    createdAt: iso(run.createdAt),
    createdAtMs: run.createdAt,
  };
}
