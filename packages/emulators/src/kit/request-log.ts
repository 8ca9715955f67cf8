import type { FaultAction } from './fault-injector.ts';

/** One answered (or dropped) request, as `GET /_emulator/requests` shows it. */
export interface RequestLogEntry {
  /** Clock ms when the request arrived. */
  at: number;
  method: string;
  path: string;
  /** `null` when the connection was reset or closed without an answer. */
  status: number | null;
  /** Real ms from arrival to answer, injected latency included. */
  latencyMs: number;
  /** The first `*idempotency-key` header (Stripe, NetSuite, Chargebee spellings). */
  idempotencyKey?: string;
  /** The kind of fault injected, if any. */
  fault?: FaultAction['kind'];
}

/** A bounded ring of recent requests, newest last. */
export interface RequestLog {
  add(entry: RequestLogEntry): void;
  /** The last `limit` entries (all by default), oldest first. */
  list(limit?: number): RequestLogEntry[];
  clear(): void;
}

/** Creates a request log keeping the last `capacity` entries (default 500). */
export function createRequestLog(capacity = 500): RequestLog {
  let entries: RequestLogEntry[] = [];
  return {
    add(entry) {
      entries.push(entry);
      if (entries.length > capacity) entries = entries.slice(-capacity);
    },
    list: (limit) => entries.slice(limit === undefined ? 0 : Math.max(0, entries.length - limit)),
    clear() {
      entries = [];
    },
  };
}
