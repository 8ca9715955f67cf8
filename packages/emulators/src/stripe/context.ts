import type * as kit from '../kit/index.ts';
import type { IdSource, StripeEvent, StripeState } from './state.ts';

/** The request being handled, for events' `request` and the response headers. */
export interface RequestInfo {
  id: string;
  apiKey: string;
  idempotencyKey: string | null;
}

/** What every resource module works with. */
export interface StripeContext {
  state: StripeState;
  ids: IdSource;
  /** The emulator clock (customers without a test clock live on it). */
  clock: kit.Clock;
  apiVersion: string;
  /** Set while a request's handler runs; `null` for automatic work (billing, test clocks). */
  request: RequestInfo | null;
  /** Hands an event to the webhook endpoints; returns how many it was sent to. */
  deliver(event: StripeEvent): number;
  /** Request id, API key and idempotency key of each request in flight. */
  requests: WeakMap<object, RequestInfo>;
}

/** Lines embedded in an invoice or credit note (Stripe embeds the first ten). */
const EMBEDDED_LINES = 10;

/** A deep copy of a stored object as the API shows it. */
export function snapshot<T>(obj: T): T {
  const copy = structuredClone(obj);
  const o = copy as { object?: string; lines?: { data: unknown[]; has_more: boolean } };
  if ((o.object === 'invoice' || o.object === 'credit_note') && o.lines) {
    o.lines.has_more = o.lines.data.length > EMBEDDED_LINES;
    o.lines.data = o.lines.data.slice(0, EMBEDDED_LINES);
  }
  return copy;
}

/** Top-level attributes of `before` that differ in `after`, with their old values. */
export function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) out[key] = before[key] ?? null;
  }
  return out;
}

/** "Now" for objects of `customerId`: its test clock's frozen time, else the emulator clock. */
export function nowFor(ctx: StripeContext, customerId: string | null | undefined): number {
  const customer = customerId ? ctx.state.customers.get(customerId) : undefined;
  const clockId = typeof customer?.test_clock === 'string' ? customer.test_clock : null;
  const clock = clockId ? ctx.state.testClocks.get(clockId) : undefined;
  return clock ? clock.frozen_time : ctx.clock.nowSeconds();
}

/** The test clock of a customer, if any. */
export function clockOf(ctx: StripeContext, customerId: string | null | undefined): string | null {
  const customer = customerId ? ctx.state.customers.get(customerId) : undefined;
  return typeof customer?.test_clock === 'string' ? customer.test_clock : null;
}

/** Records an event (and queues its webhooks). `created` defaults to the emulator clock. */
export function emit(
  ctx: StripeContext,
  type: string,
  object: unknown,
  options: { previous?: Record<string, unknown>; created?: number } = {},
): StripeEvent {
  const event: StripeEvent = {
    id: ctx.ids.next('evt'),
    object: 'event',
    api_version: ctx.apiVersion,
    created: options.created ?? ctx.clock.nowSeconds(),
    data: {
      object: snapshot(object),
      ...(options.previous && { previous_attributes: options.previous }),
    },
    livemode: false,
    pending_webhooks: 0,
    request: ctx.request
      ? { id: ctx.request.id, idempotency_key: ctx.request.idempotencyKey }
      : { id: null, idempotency_key: null },
    type,
  };
  ctx.state.events.add(event);
  event.pending_webhooks = ctx.deliver(event);
  return event;
}

/**
 * Applies `mutate` to `obj` and records `type` (an `*.updated` event) with the attributes that
 * changed as `previous_attributes`; records nothing when nothing changed.
 */
export function update<T extends object>(
  ctx: StripeContext,
  type: string,
  obj: T,
  mutate: (o: T) => void,
  created?: number,
): T {
  const before = snapshot(obj) as Record<string, unknown>;
  mutate(obj);
  const previous = diff(before, snapshot(obj) as Record<string, unknown>);
  if (Object.keys(previous).length > 0) {
    emit(ctx, type, obj, { previous, ...(created !== undefined && { created }) });
  }
  return obj;
}
