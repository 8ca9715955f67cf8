import { createHmac } from 'node:crypto';
import * as kit from '../kit/index.ts';
import type { StripeContext } from './context.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { paginate, rangeFilter } from './lists.ts';
import { route } from './route.ts';
import type { StripeEvent, WebhookEndpointObject } from './state.ts';

/** Where the dispatcher sends a delivery, with the secret that signs it. */
export interface SigningEndpoint extends kit.WebhookEndpoint {
  id: string;
  url: string;
  secret: string;
  enabledEvents: readonly string[];
}

/**
 * Stripe's signature header: `t=<unix>,v1=HMAC-SHA256(secret, "<t>.<raw body>")`. The
 * timestamp is real time, not the emulator clock: receivers check it against their own clock
 * (300 s tolerance in the SDK), and test clocks do not change it at Stripe either.
 */
export function signPayload(payload: string, secret: string, t = Math.floor(Date.now() / 1000)) {
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** Whether `type` is one of `enabled` (`*` is every event). */
export function wantsEvent(enabled: readonly string[], type: string): boolean {
  return enabled.includes('*') || enabled.includes(type);
}

/** Options for {@link createStripeWebhooks}. */
export interface StripeWebhooksOptions {
  rng: kit.Rng;
  clock: kit.Clock;
  faults: kit.FaultInjector;
  maxAttempts?: number;
  /** Deliveries in flight to one endpoint (default 1). */
  concurrency?: number;
  backoff?: (attempt: number) => number;
}

/** The dispatcher plus the endpoints registered outside the API (options, test handle). */
export interface StripeWebhooks {
  dispatcher: kit.WebhookDispatcher<SigningEndpoint>;
  /** Endpoints that are not `webhook_endpoint` objects (like `stripe listen`). */
  listeners: SigningEndpoint[];
  /** Sends `event` to every enabled endpoint that wants it; returns how many. */
  deliver(ctx: StripeContext, event: StripeEvent): number;
  /** Deliveries of each event still pending, by event id. */
  pendingByEvent(): Map<string, number>;
}

/** Creates the webhook side of the emulator on the kit's dispatcher. */
export function createStripeWebhooks(options: StripeWebhooksOptions): StripeWebhooks {
  const dispatcher = kit.createWebhookDispatcher<SigningEndpoint>({
    rng: options.rng,
    clock: options.clock,
    faults: options.faults,
    sign: (payload, endpoint) => ({ 'Stripe-Signature': signPayload(payload, endpoint.secret) }),
    ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
    ...(options.backoff !== undefined && { backoff: options.backoff }),
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
  });
  const listeners: SigningEndpoint[] = [];
  return {
    dispatcher,
    listeners,
    deliver(ctx, event) {
      const targets: SigningEndpoint[] = [...listeners];
      for (const we of ctx.state.webhookEndpoints.values()) {
        if (we.status !== 'enabled') continue;
        targets.push({
          id: we.id,
          url: we.url,
          secret: we.secret,
          enabledEvents: we.enabled_events,
        });
      }
      const wanting = targets.filter((t) => wantsEvent(t.enabledEvents, event.type));
      // Set before sending: the payload is serialized at send time.
      event.pending_webhooks = wanting.length;
      for (const t of wanting) dispatcher.send(t, event);
      return wanting.length;
    },
    pendingByEvent() {
      const out = new Map<string, number>();
      for (const d of dispatcher.deliveries()) {
        if (d.state !== 'pending' || d.duplicateOf !== undefined) continue;
        const id = (d.payload as { id?: string }).id;
        if (id) out.set(id, (out.get(id) ?? 0) + 1);
      }
      return out;
    },
  };
}

function validUrl(url: string, param: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:') return url;
  } catch {
    // fall through
  }
  throw invalidRequest(`Invalid URL: ${url}`, param, 'url_invalid');
}

/** Hides the secret, which Stripe shows only in the create response. */
function publicView(we: WebhookEndpointObject): Omit<WebhookEndpointObject, 'secret'> {
  const { secret: _secret, ...rest } = we;
  return rest;
}

/** `/v1/webhook_endpoints` (create returns `secret` once) and `/v1/events`. */
export function webhookRoutes(ctx: StripeContext, webhooks: StripeWebhooks): kit.Route[] {
  const get = (id: string): WebhookEndpointObject => {
    const we = ctx.state.webhookEndpoints.get(id);
    if (!we) throw noSuch('webhook endpoint', id);
    return we;
  };
  const withPending = (e: StripeEvent, pending: Map<string, number>): StripeEvent => ({
    ...e,
    pending_webhooks: pending.get(e.id) ?? 0,
  });
  return [
    route(ctx, 'POST', '/v1/webhook_endpoints', ({ p }) => {
      p.allow('url', 'enabled_events', 'description', 'metadata', 'api_version', 'connect');
      const url = validUrl(p.reqStr('url'), 'url');
      const enabled = p.strings('enabled_events');
      if (!enabled || enabled.length === 0)
        throw invalidRequest(
          'Missing required param: enabled_events.',
          'enabled_events',
          'parameter_missing',
        );
      const we: WebhookEndpointObject = {
        id: ctx.ids.next('we'),
        object: 'webhook_endpoint',
        api_version: p.str('api_version') ?? null,
        application: null,
        created: ctx.clock.nowSeconds(),
        description: p.str('description') ?? null,
        enabled_events: enabled,
        livemode: false,
        metadata: p.metadata(),
        secret: `whsec_${ctx.ids.chars(32)}`,
        status: 'enabled',
        url,
      };
      return ctx.state.webhookEndpoints.add(we);
    }),
    route(ctx, 'GET', '/v1/webhook_endpoints/:id', ({ param }) => publicView(get(param('id')))),
    route(ctx, 'POST', '/v1/webhook_endpoints/:id', ({ p, param }) => {
      p.allow('url', 'enabled_events', 'description', 'metadata', 'disabled');
      const we = get(param('id'));
      const url = p.str('url');
      if (url !== undefined) we.url = validUrl(url, 'url');
      const enabled = p.strings('enabled_events');
      if (enabled !== undefined && enabled.length > 0) we.enabled_events = enabled;
      if (p.has('description')) we.description = p.nullableStr('description') ?? null;
      we.metadata = p.metadata(we.metadata);
      const disabled = p.bool('disabled');
      if (disabled !== undefined) we.status = disabled ? 'disabled' : 'enabled';
      return publicView(we);
    }),
    route(ctx, 'DELETE', '/v1/webhook_endpoints/:id', ({ param }) => {
      const we = get(param('id'));
      ctx.state.webhookEndpoints.delete(we.id);
      return { id: we.id, object: 'webhook_endpoint', deleted: true };
    }),
    route(ctx, 'GET', '/v1/webhook_endpoints', ({ p }) => {
      p.allow('limit', 'starting_after', 'ending_before');
      const page = paginate(ctx.state.webhookEndpoints.newestFirst(), p, '/v1/webhook_endpoints');
      return { ...page, data: page.data.map(publicView) };
    }),
    route(ctx, 'GET', '/v1/events/:id', ({ param }) => {
      const e = ctx.state.events.get(param('id'));
      if (!e) throw noSuch('event', param('id'));
      return withPending(e, webhooks.pendingByEvent());
    }),
    route(ctx, 'GET', '/v1/events', ({ p }) => {
      p.allow(
        'limit',
        'starting_after',
        'ending_before',
        'type',
        'types',
        'created',
        'delivery_success',
      );
      const type = p.str('type');
      const types = p.strings('types');
      const matchType = (t: string): boolean => {
        if (types && types.length > 0 && !types.includes(t)) return false;
        if (type === undefined) return true;
        return type.endsWith('*') ? t.startsWith(type.slice(0, -1)) : t === type;
      };
      const created = rangeFilter(p, 'created');
      const items = ctx.state.events
        .newestFirst()
        .filter((e) => matchType(e.type) && created(e.created));
      const page = paginate(items, p, '/v1/events');
      const pending = webhooks.pendingByEvent();
      return { ...page, data: page.data.map((e) => withPending(e, pending)) };
    }),
  ];
}
