import type * as kit from '../kit/index.ts';
import type { ChargebeeState, EventObject, IdSource, Json } from './state.ts';

/** What every resource module works with. */
export interface ChargebeeContext {
  state: ChargebeeState;
  ids: IdSource;
  /** The site clock: the time machine moves it. */
  clock: kit.Clock;
  /** Tax rate in percent by billing country (ISO alpha-2); countries not listed are untaxed. */
  taxRates: Readonly<Record<string, number>>;
  /** `api` while a request runs, `scheduled_job` for renewals. */
  source: EventObject['source'];
  /** Hands an event to the webhook endpoints; returns how many it went to. */
  deliver(event: EventObject): number;
}

/** Site time in Unix seconds. */
export function now(ctx: ChargebeeContext): number {
  return ctx.clock.nowSeconds();
}

/** Records an event with a deep copy of `content` (and queues its webhooks). */
export function emit(ctx: ChargebeeContext, eventType: string, content: Json): EventObject {
  const event: EventObject = {
    id: ctx.ids.next('ev'),
    object: 'event',
    occurred_at: now(ctx),
    source: ctx.source,
    api_version: 'v2',
    event_type: eventType,
    webhook_status: 'not_configured',
    content: structuredClone(content),
  };
  ctx.state.events.push(event);
  if (ctx.deliver(event) > 0) event.webhook_status = 'scheduled';
  return event;
}

/** Bumps `updated_at` and `resource_version` after a change. */
export function touch(
  ctx: ChargebeeContext,
  obj: { updated_at: number; resource_version: number },
): void {
  obj.updated_at = now(ctx);
  obj.resource_version = Date.now() * 1000 + (obj.resource_version % 1000) + 1;
}
