import type { LiveEvent, StreamEventName } from './api-types.ts';

/** The state of the live connection, for the indicator in the top bar. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface LiveEventsOptions {
  headers: Record<string, string>;
  onEvent(event: LiveEvent): void;
  onState(state: LiveState): void;
  /** Called when the server refuses the key (revoked): the stream stops. */
  onUnauthorized(): void;
}

/**
 * Reads `GET /v1/events` with `fetch` and a stream reader (an `EventSource` cannot send the
 * Authorization header) and reconnects after the server's `retry:` delay, growing to 30 s while
 * the server stays away. The stream has no replay: after a reconnect, pages reload what they
 * show.
 */
export class LiveEvents {
  readonly #options: LiveEventsOptions;
  #abort: AbortController | undefined;
  #retryMs = 3000;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LiveEventsOptions) {
    this.#options = options;
  }

  start(): void {
    this.stop();
    this.#abort = new AbortController();
    void this.#run(this.#abort.signal);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#abort?.abort();
    this.#abort = undefined;
    this.#options.onState('stopped');
  }

  async #run(signal: AbortSignal): Promise<void> {
    this.#options.onState(this.#failures === 0 ? 'connecting' : 'reconnecting');
    try {
      const response = await fetch('/v1/events', {
        headers: { ...this.#options.headers, accept: 'text/event-stream' },
        signal,
        cache: 'no-store',
      });
      if (response.status === 401) {
        this.#options.onUnauthorized();
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      this.#failures = 0;
      this.#options.onState('live');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const frames = buffer.split(/\r?\n\r?\n/);
        buffer = frames.pop() ?? '';
        for (const frame of frames) this.#frame(frame);
      }
    } catch (_caught) {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    this.#failures += 1;
    this.#options.onState('reconnecting');
    const delay = Math.min(30_000, this.#retryMs * 2 ** Math.min(this.#failures - 1, 4));
    this.#timer = setTimeout(() => {
      if (!signal.aborted) void this.#run(signal);
    }, delay);
  }

  #frame(frame: string): void {
    let name: string | undefined;
    let data = '';
    for (const line of frame.split(/\r?\n/)) {
      if (line.startsWith(':')) continue; // comment: connected, heartbeat
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data += data ? `\n${value}` : value;
      else if (field === 'retry' && Number(value) > 0) this.#retryMs = Number(value);
    }
    if (!name || !data) return;
    try {
      const payload = JSON.parse(data) as Record<string, unknown>;
      this.#options.onEvent({ ...payload, name: name as StreamEventName });
    } catch {
      // a frame that is not JSON is not ours to show
    }
  }
}

/**
 * Calls `fn` at most once per `intervalMs`: the first call runs at once, calls during the
 * interval collapse into one trailing call. Used to refresh figures as events stream in.
 */
export function throttle(fn: () => void, intervalMs: number): { (): void; cancel(): void } {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer = undefined;
    last = Date.now();
    fn();
  };
  const throttled = () => {
    if (timer !== undefined) return;
    const wait = last + intervalMs - Date.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
  throttled.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return throttled;
}
