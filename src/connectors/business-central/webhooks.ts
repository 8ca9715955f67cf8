import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { makeEnvelope } from '../../model/event-envelope.ts';
import { AuthError, ValidationError } from '../../model/revsync-error.ts';
import type {
  PollResult,
  PollSource,
  ReadOptions,
  VendorEvent,
  WebhookHandshake,
  WebhookSource,
} from '../ports.ts';
import { bcId } from './business-central-erp.ts';
import type { BusinessCentralClient } from './client.ts';
import { ENTITY_OF_SET, type BusinessCentralChange } from './events.ts';

/** The `clientState` of a connection that configures none: derived from its client secret. */
export function defaultClientState(clientSecret: string): string {
  return createHmac('sha256', clientSecret)
    .update('revsync:business-central:clientState')
    .digest('base64url');
}

const Notification = z.looseObject({
  value: z
    .array(
      z.looseObject({
        subscriptionId: z.string(),
        clientState: z.string().optional(),
        resource: z.string(),
        changeType: z.string(),
        lastModifiedDateTime: z.string(),
      }),
    )
    .min(1),
});

const RESOURCE = /companies\(([0-9a-fA-F-]{36})\)\/(\w+)\(([0-9a-fA-F-]{36})\)$/;

/** Options of {@link BusinessCentralWebhooks}. */
export interface BusinessCentralWebhookOptions {
  /** What revsync's subscriptions send as `clientState`. */
  clientState: string;
  /**
   * Business Central retries a failed delivery for 36 hours: a notification whose changes are all
   * older than this is refused as a replay (default 48 h).
   */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Business Central webhook notifications. Business Central signs nothing: each notification
 * echoes the `clientState` the subscription was created with, which is the shared secret (compared
 * in constant time). It authenticates the sender, not the body. A notification names changed
 * records only ("notify, then fetch"): one event per record,
 * `business-central.<entity>.<created|updated|deleted>`, subject `<companyId>:<id>`.
 * Subscribing answers the `validationToken` handshake ({@link handshake}).
 */
export class BusinessCentralWebhooks implements WebhookSource {
  readonly #clientState: Buffer;
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(options: BusinessCentralWebhookOptions) {
    this.#clientState = Buffer.from(options.clientState, 'utf8');
    this.#maxAgeMs = options.maxAgeMs ?? 48 * 3_600_000;
    this.#now = options.now ?? Date.now;
  }

  /** `POST …?validationToken=<token>` when a subscription is made or renewed: echo the token. */
  handshake(query: URLSearchParams): WebhookHandshake | undefined {
    const token = query.get('validationToken');
    if (token === null) return undefined;
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: token };
  }

  verify(
    rawBody: string | Buffer,
    _headers: Record<string, string | string[] | undefined>,
  ): VendorEvent[] {
    const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new AuthError('business-central webhook body is not JSON (no clientState)', {
        system: 'business-central',
      });
    }
    const parsed = Notification.safeParse(json);
    if (!parsed.success) {
      const hasState =
        typeof json === 'object' &&
        json !== null &&
        Array.isArray((json as { value?: unknown }).value) &&
        (json as { value: { clientState?: unknown }[] }).value.some(
          (v) => typeof v?.clientState === 'string',
        );
      if (!hasState) {
        throw new AuthError('business-central webhook without clientState', {
          system: 'business-central',
        });
      }
      throw new ValidationError('business-central webhook body is not a notification', {
        system: 'business-central',
      });
    }
    const events: VendorEvent[] = [];
    let newest = 0;
    for (const n of parsed.data.value) {
      const given = Buffer.from(n.clientState ?? '', 'utf8');
      if (given.length !== this.#clientState.length || !timingSafeEqual(given, this.#clientState)) {
        throw new AuthError(
          n.clientState === undefined
            ? 'business-central webhook without clientState'
            : 'business-central webhook clientState does not match',
          { system: 'business-central' },
        );
      }
      const at = Date.parse(n.lastModifiedDateTime);
      if (!Number.isNaN(at)) newest = Math.max(newest, at);
      const m = RESOURCE.exec(n.resource.split('?')[0] ?? '');
      if (!m) continue;
      const [, company, set, id] = m as unknown as [string, string, string, string];
      const entity = ENTITY_OF_SET[set as keyof typeof ENTITY_OF_SET];
      if (entity === undefined) continue;
      const companyId = company.toLowerCase();
      const data: BusinessCentralChange = {
        companyId,
        entitySet: set,
        id: id.toLowerCase(),
        lastModifiedDateTime: n.lastModifiedDateTime,
      };
      events.push(
        makeEnvelope<Record<string, unknown>>({
          source: 'business-central',
          type: `business-central.${entity}.${n.changeType.toLowerCase()}`,
          id: `${companyId}:${set}:${id.toLowerCase()}:${n.changeType}:${n.lastModifiedDateTime}`,
          subject: bcId(companyId, id.toLowerCase()),
          ...(!Number.isNaN(at) && { time: new Date(at).toISOString() }),
          data: { ...data },
        }),
      );
    }
    if (newest < this.#now() - this.#maxAgeMs) {
      throw new AuthError('business-central webhook is older than the replay window', {
        system: 'business-central',
      });
    }
    return events;
  }
}

/** Options of {@link BusinessCentralSubscriptions}. */
export interface BusinessCentralSubscriptionOptions {
  /** revsync's public webhook endpoint for Business Central. */
  notificationUrl: string;
  clientState: string;
  /** The companies to follow. */
  companyIds: () => Promise<string[]>;
  /** Renew a subscription expiring within this (default 24 h; they last 3 days). */
  renewWithinMs?: number;
  /** Look at the subscriptions at most this often (default 1 h). */
  checkEveryMs?: number;
  now?: () => number;
}

const SUBSCRIBED_SETS = Object.keys(ENTITY_OF_SET);

/**
 * Keeps revsync's webhook subscriptions alive, as a poller that reads no events: on its first run
 * and then hourly it subscribes each company's customers, documents and payment journals
 * (Business Central sends the `validationToken` handshake to the endpoint first) and renews, with
 * `If-Match`, every subscription expiring within a day. Its cursor is when it last looked.
 */
export class BusinessCentralSubscriptions implements PollSource {
  readonly cursorName = 'business-central:subscriptions';
  readonly #client: BusinessCentralClient;
  readonly #options: BusinessCentralSubscriptionOptions;
  readonly #now: () => number;

  constructor(client: BusinessCentralClient, options: BusinessCentralSubscriptionOptions) {
    this.#client = client;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async poll(cursor: string | undefined, options: ReadOptions = {}): Promise<PollResult> {
    const last = Number(cursor ?? 0) || 0;
    const now = this.#now();
    if (now - last < (this.#options.checkEveryMs ?? 3_600_000)) {
      return { events: [], cursor: String(last), hasMore: false };
    }
    await this.ensure(options);
    return { events: [], cursor: String(now), hasMore: false };
  }

  /** Subscribes what is missing and renews what expires soon. */
  async ensure(options: ReadOptions = {}): Promise<{ created: number; renewed: number }> {
    const call = {
      operation: 'subscription.ensure',
      lane: options.lane ?? ('low' as const),
      ...(options.signal !== undefined && { signal: options.signal }),
    };
    const existing = await this.#client.list('subscriptions', call);
    const ours = existing.filter((s) => s.notificationUrl === this.#options.notificationUrl);
    let created = 0;
    let renewed = 0;
    const renewBefore = this.#now() + (this.#options.renewWithinMs ?? 86_400_000);
    for (const company of await this.#options.companyIds()) {
      for (const set of SUBSCRIBED_SETS) {
        const resource = `/api/v2.0/companies(${company})/${set}`;
        const sub = ours.find((s) => s.resource === resource);
        const expired =
          sub !== undefined && Date.parse(String(sub.expirationDateTime)) <= this.#now();
        if (sub && expired) {
          // Business Central no longer notifies it: replace it (the handshake runs again).
          await this.#client.request('DELETE', `subscriptions('${String(sub.subscriptionId)}')`, {
            ...call,
            ifMatch: String(sub['@odata.etag']),
            allowNotFound: true,
          });
        }
        if (!sub || expired) {
          await this.#client.request('POST', 'subscriptions', {
            ...call,
            body: {
              notificationUrl: this.#options.notificationUrl,
              resource,
              clientState: this.#options.clientState,
            },
          });
          created += 1;
        } else if (Date.parse(String(sub.expirationDateTime)) <= renewBefore) {
          await this.#client.request('PATCH', `subscriptions('${String(sub.subscriptionId)}')`, {
            ...call,
            body: {},
            ifMatch: String(sub['@odata.etag']),
          });
          renewed += 1;
        }
      }
    }
    return { created, renewed };
  }
}
