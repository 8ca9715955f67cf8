import { createHash, createHmac } from 'node:crypto';
import type {
  Clock,
  FaultInjector,
  Rng,
  WebhookDispatcher,
  WebhookEndpoint,
} from '../kit/index.ts';
import { createWebhookDispatcher } from '../kit/index.ts';
import { OBJECT_TYPE_IDS, singularOf } from './schema.ts';
import type { ObjectChange } from './state.ts';

/** Where the app's webhooks go, and what it subscribed to. */
export interface HubspotWebhookTarget extends WebhookEndpoint {
  /** The app's client secret: it signs every delivery. */
  clientSecret: string;
  /** `company.creation`, `deal.propertyChange`, … */
  subscriptions: string[];
  /** `propertyChange` subscriptions name a property; absent: every property. */
  properties?: string[];
}

/** One event of a delivery (a delivery is a JSON array of up to 100). */
export interface HubspotWebhookEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber: number;
  objectId: number;
  objectTypeId: string;
  changeSource: string;
  changeFlag?: string;
  propertyName?: string;
  propertyValue?: string;
}

/** The subscriptions a target gets when it names none. */
export const DEFAULT_SUBSCRIPTIONS = [
  'company.creation',
  'company.propertyChange',
  'contact.creation',
  'contact.propertyChange',
  'deal.creation',
  'deal.propertyChange',
  'line_item.creation',
  'line_item.propertyChange',
];

/**
 * `X-HubSpot-Signature-v3`: base64 HMAC-SHA256 of `method + uri + body + timestamp` keyed by
 * the client secret (the timestamp is `X-HubSpot-Request-Timestamp`, epoch ms).
 */
export function signV3(
  clientSecret: string,
  method: string,
  uri: string,
  body: string,
  timestamp: number,
): string {
  return createHmac('sha256', clientSecret)
    .update(`${method}${uri}${body}${timestamp}`)
    .digest('base64');
}

/** The legacy v1 signature (`X-HubSpot-Signature`): hex SHA-256 of `clientSecret + body`. */
export function signV1(clientSecret: string, body: string): string {
  return createHash('sha256').update(`${clientSecret}${body}`).digest('hex');
}

/** Turns committed changes into webhook deliveries (batched per request, 100 events each). */
export class HubspotWebhooks {
  readonly dispatcher: WebhookDispatcher<HubspotWebhookTarget>;
  target: HubspotWebhookTarget | undefined;
  #nextEventId = 1;

  constructor(
    private readonly options: {
      rng: Rng;
      clock: Clock;
      faults: FaultInjector;
      portalId: () => number;
      appId: number;
      maxAttempts?: number;
    },
  ) {
    this.dispatcher = createWebhookDispatcher<HubspotWebhookTarget>({
      rng: options.rng,
      clock: options.clock,
      faults: options.faults,
      maxAttempts: options.maxAttempts ?? 10,
      sign: (payload, target) => {
        const timestamp = options.clock.now();
        return {
          'X-HubSpot-Signature-v3': signV3(
            target.clientSecret,
            'POST',
            target.url,
            payload,
            timestamp,
          ),
          'X-HubSpot-Request-Timestamp': String(timestamp),
          'X-HubSpot-Signature': signV1(target.clientSecret, payload),
          'X-HubSpot-Signature-Version': 'v1',
        };
      },
    });
  }

  /** Sends the events `changes` make for the current target, if any. */
  publish(changes: readonly ObjectChange[]): void {
    const target = this.target;
    if (!target) return;
    const events: HubspotWebhookEvent[] = [];
    for (const c of changes) {
      if (c.kind === 'associationChange') continue;
      const subscriptionType = `${singularOf(c.type)}.${c.kind}`;
      const index = target.subscriptions.indexOf(subscriptionType);
      if (index < 0) continue;
      if (
        c.kind === 'propertyChange' &&
        target.properties &&
        !target.properties.includes(c.propertyName ?? '')
      )
        continue;
      events.push({
        eventId: this.#nextEventId++,
        subscriptionId: 1000 + index,
        portalId: this.options.portalId(),
        appId: this.options.appId,
        occurredAt: c.at,
        subscriptionType,
        attemptNumber: 0,
        objectId: Number(c.id),
        objectTypeId: OBJECT_TYPE_IDS[c.type],
        changeSource: 'INTEGRATION',
        ...(c.kind === 'creation' && { changeFlag: 'CREATED' }),
        ...(c.kind === 'propertyChange' && {
          propertyName: c.propertyName ?? '',
          propertyValue: c.propertyValue ?? '',
        }),
      });
    }
    for (let i = 0; i < events.length; i += 100) {
      this.dispatcher.send(target, events.slice(i, i + 100));
    }
  }

  reset(): void {
    this.#nextEventId = 1;
  }
}
