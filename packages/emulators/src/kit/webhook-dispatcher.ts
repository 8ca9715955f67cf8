import type { Clock } from './clock.ts';
import type { WebhookFaults } from './fault-config.ts';
import type { Rng } from './rng.ts';
import { sampleLatency } from './sample-latency.ts';

/** Where a webhook goes. Emulators extend it (secret, enabled events…) and get it back in `sign`. */
export interface WebhookEndpoint {
  id?: string;
  url: string;
}

/** One POST of a delivery. */
export interface WebhookAttempt {
  attempt: number;
  /** Clock ms when it was sent. */
  at: number;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** The network error, when it did not. */
  error?: string;
  durationMs: number;
}

/** One payload on its way to one endpoint, with every attempt so far. */
export interface WebhookDelivery {
  id: string;
  endpointId?: string;
  url: string;
  payload: unknown;
  /** Set on the extra copy made by the duplicate fault: the id of the original. */
  duplicateOf?: string;
  state: 'pending' | 'delivered' | 'failed' | 'stopped';
  attempts: WebhookAttempt[];
  /** Clock ms when it was enqueued. */
  enqueuedAt: number;
}

/** Options for {@link createWebhookDispatcher}. */
export interface WebhookDispatcherOptions<E extends WebhookEndpoint> {
  rng: Rng;
  clock: Clock;
  /** Source of webhook faults, read at each `send` (a `FaultInjector` fits). */
  faults?: { webhooks(): WebhookFaults };
  /** Headers to add for this exact raw body, e.g. `Stripe-Signature`. */
  sign?: (payload: string, endpoint: E) => Record<string, string>;
  /** Attempts per delivery before it is `failed` (default 5). */
  maxAttempts?: number;
  /** Real-time ms to wait after failed attempt `n` (default 500·2^(n-1), at most 30 s). */
  backoff?: (attempt: number) => number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** Finished deliveries kept for inspection (default 1000). */
  historyLimit?: number;
  /**
   * Deliveries in flight to one URL at a time (default 1: one at a time, in queue order, so that
   * order changes only through faults, reproducibly). Stripe itself sends concurrently and
   * guarantees no order; more than 1 lets a slow delivery be overtaken.
   */
  concurrency?: number;
}

/** Sends webhooks with retries and injected duplicate/reorder/delay faults. */
export interface WebhookDispatcher<E extends WebhookEndpoint = WebhookEndpoint> {
  /** Queues `payload` (JSON-encoded once) for `endpoint`; returns the delivery id. */
  send(endpoint: E, payload: unknown): string;
  /** Deliveries in enqueue order, oldest first (copies). */
  deliveries(): WebhookDelivery[];
  /** Resolves once nothing is delayed, queued, in flight or waiting to retry. */
  idle(): Promise<void>;
  /** Cancels timers and in-flight requests; pending deliveries become `stopped`. */
  stop(): Promise<void>;
  /** Forgets finished deliveries (for `/_emulator/reset`). */
  clear(): void;
}

interface Item<E> {
  delivery: WebhookDelivery;
  endpoint: E;
  body: string;
}

/**
 * Creates a webhook dispatcher. Deliveries to one URL go out in queue order, `concurrency` at a
 * time (default one at a time, so order changes only through faults, reproducibly); a failed attempt (non-2xx or network error)
 * is queued again after `backoff(attempt)` real-time ms, letting later deliveries pass it.
 */
export function createWebhookDispatcher<E extends WebhookEndpoint>(
  options: WebhookDispatcherOptions<E>,
): WebhookDispatcher<E> {
  const { rng, clock } = options;
  const shuffleRng = rng.fork('reorder');
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = options.backoff ?? ((n: number) => Math.min(30_000, 500 * 2 ** (n - 1)));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const historyLimit = options.historyLimit ?? 1000;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));

  const history = new Map<string, WebhookDelivery>();
  const queues = new Map<string, Item<E>[]>();
  const inFlight = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const abort = new AbortController();
  let heldBack: Item<E>[] = [];
  let outstanding = 0;
  let seq = 0;
  let stopped = false;
  let waiters: (() => void)[] = [];

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  };

  const settle = (item: Item<E>, state: WebhookDelivery['state']): void => {
    item.delivery.state = state;
    outstanding--;
    if (outstanding === 0) {
      const ws = waiters;
      waiters = [];
      for (const w of ws) w();
    }
    trim();
  };

  const trim = (): void => {
    if (history.size <= historyLimit) return;
    for (const [id, d] of history) {
      if (history.size <= historyLimit) break;
      if (d.state !== 'pending') history.delete(id);
    }
  };

  const enqueue = (item: Item<E>): void => {
    const q = queues.get(item.delivery.url) ?? [];
    q.push(item);
    queues.set(item.delivery.url, q);
    pump(item.delivery.url);
  };

  const pump = (url: string): void => {
    for (;;) {
      const sending = inFlight.get(url) ?? 0;
      if (sending >= concurrency) return;
      const item = queues.get(url)?.shift();
      if (!item) return;
      inFlight.set(url, sending + 1);
      void attempt(item).finally(() => {
        inFlight.set(url, (inFlight.get(url) ?? 1) - 1);
        if (!stopped) pump(url);
      });
    }
  };

  const attempt = async (item: Item<E>): Promise<void> => {
    const { delivery } = item;
    const n = delivery.attempts.length + 1;
    const record: WebhookAttempt = { attempt: n, at: clock.now(), durationMs: 0 };
    delivery.attempts.push(record);
    const started = performance.now();
    try {
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...options.sign?.(item.body, item.endpoint),
        },
        body: item.body,
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]),
      });
      await res.body?.cancel();
      record.status = res.status;
    } catch (err) {
      record.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    record.durationMs = Math.round(performance.now() - started);
    if (stopped) return;
    if (record.status !== undefined && record.status >= 200 && record.status < 300) {
      settle(item, 'delivered');
    } else if (n >= maxAttempts) {
      settle(item, 'failed');
    } else {
      later(backoff(n), () => enqueue(item));
    }
  };

  const releaseHeldBack = (): void => {
    const items = shuffleRng.shuffle(heldBack);
    heldBack = [];
    for (const item of items) enqueue(item);
  };

  const schedule = (item: Item<E>, faults: WebhookFaults | undefined): void => {
    // Draw every decision now, so they depend only on the sequence of sends.
    const delay = sampleLatency(rng, faults?.delay);
    const reorder = faults?.reorder;
    const hold = reorder !== undefined && rng.chance(reorder.p);
    const go = (): void => {
      if (!hold) return enqueue(item);
      if (heldBack.length === 0) later(reorder?.windowMs ?? 0, releaseHeldBack);
      heldBack.push(item);
    };
    // No delay: enqueue synchronously so that send order is kept.
    if (delay > 0) later(delay, go);
    else go();
  };

  const create = (endpoint: E, body: string, payload: unknown, duplicateOf?: string): Item<E> => {
    const delivery: WebhookDelivery = {
      id: `whd_${++seq}`,
      ...(endpoint.id !== undefined && { endpointId: endpoint.id }),
      url: endpoint.url,
      payload,
      ...(duplicateOf !== undefined && { duplicateOf }),
      state: 'pending',
      attempts: [],
      enqueuedAt: clock.now(),
    };
    history.set(delivery.id, delivery);
    outstanding++;
    return { delivery, endpoint, body };
  };

  return {
    send(endpoint, payload) {
      if (stopped) throw new Error('webhook dispatcher is stopped');
      const faults = options.faults?.webhooks();
      const body = JSON.stringify(payload);
      const item = create(endpoint, body, payload);
      schedule(item, faults);
      if (faults && rng.chance(faults.duplicate)) {
        schedule(create(endpoint, body, payload, item.delivery.id), faults);
      }
      return item.delivery.id;
    },
    deliveries: () =>
      [...history.values()].map((d) => ({ ...d, attempts: d.attempts.map((a) => ({ ...a })) })),
    idle: () => (outstanding === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
    async stop() {
      if (stopped) return;
      stopped = true;
      abort.abort();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      heldBack = [];
      queues.clear();
      for (const d of history.values()) if (d.state === 'pending') d.state = 'stopped';
      outstanding = 0;
      const ws = waiters;
      waiters = [];
      for (const w of ws) w();
    },
    clear() {
      for (const [id, d] of history) if (d.state !== 'pending') history.delete(id);
    },
  };
}
