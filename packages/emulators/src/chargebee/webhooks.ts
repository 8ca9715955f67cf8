import * as kit from '../kit/index.ts';
import type { EventObject } from './state.ts';

/** Where events go: Chargebee protects webhooks with HTTP Basic auth (optional). */
export interface ChargebeeWebhookEndpoint extends kit.WebhookEndpoint {
  id: string;
  url: string;
  username?: string;
  password?: string;
  /** Event types sent (default every type). */
  eventTypes?: string[];
}

/** The `Authorization` header Chargebee sends for an endpoint with Basic auth. */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export interface ChargebeeWebhooks {
  dispatcher: kit.WebhookDispatcher<ChargebeeWebhookEndpoint>;
  endpoints: ChargebeeWebhookEndpoint[];
  deliver(event: EventObject): number;
}

/** Webhooks on the kit dispatcher (retries, duplicate/reorder/delay faults): the event JSON as body. */
export function createChargebeeWebhooks(options: {
  rng: kit.Rng;
  clock: kit.Clock;
  faults: kit.FaultInjector;
  maxAttempts: number;
  backoff: (attempt: number) => number;
}): ChargebeeWebhooks {
  const dispatcher = kit.createWebhookDispatcher<ChargebeeWebhookEndpoint>({
    rng: options.rng,
    clock: options.clock,
    faults: options.faults,
    sign: (_payload, endpoint): Record<string, string> =>
      endpoint.username !== undefined
        ? { Authorization: basicAuthHeader(endpoint.username, endpoint.password ?? '') }
        : {},
    maxAttempts: options.maxAttempts,
    backoff: options.backoff,
  });
  const endpoints: ChargebeeWebhookEndpoint[] = [];
  return {
    dispatcher,
    endpoints,
    deliver(event) {
      let n = 0;
      for (const ep of endpoints) {
        if (ep.eventTypes && !ep.eventTypes.includes(event.event_type)) continue;
        dispatcher.send(ep, event);
        n += 1;
      }
      return n;
    },
  };
}
