import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { makeEnvelope } from '../../model/event-envelope.ts';
import { AuthError, ValidationError } from '../../model/revsync-error.ts';
import type { VendorEvent, WebhookSource } from '../ports.ts';
import { COMPANY_BILLING_PROPERTIES, DEAL_BILLING_PROPERTIES } from './mapper.ts';

/** Options of {@link createWebhookSource}. */
export interface HubspotWebhookOptions {
  /** The app's client secret. */
  clientSecret: string;
  /** The target URL exactly as registered in the app (HubSpot signs it). */
  webhookUrl: string;
  /** How old a delivery may be (default 5 minutes, as HubSpot asks). */
  toleranceMs?: number;
  now?: () => number;
}

/** One event of a delivery. */
const WebhookEvent = z.looseObject({
  eventId: z.union([z.number(), z.string()]),
  subscriptionId: z.union([z.number(), z.string()]),
  portalId: z.union([z.number(), z.string()]),
  occurredAt: z.number(),
  subscriptionType: z.string(),
  attemptNumber: z.number().optional(),
  objectId: z.union([z.number(), z.string()]),
  propertyName: z.string().optional(),
  propertyValue: z.string().optional(),
});
const Delivery = z.array(WebhookEvent);

/** What revsync writes itself: a change of only these is its own write-back coming round again. */
const OWN = new Set<string>([
  ...COMPANY_BILLING_PROPERTIES,
  ...DEAL_BILLING_PROPERTIES,
  'hs_lastmodifieddate',
]);

const TYPES: Record<string, string> = {
  'company.creation': 'hubspot.company.creation',
  'company.propertyChange': 'hubspot.company.property_change',
  'deal.creation': 'hubspot.deal.creation',
  'deal.propertyChange': 'hubspot.deal.property_change',
};

function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Webhooks v3: `X-HubSpot-Signature-v3` is base64 HMAC-SHA256 of `POST` + the target URL + the
 * raw body + `X-HubSpot-Request-Timestamp`, keyed by the app's client secret; a delivery older
 * than five minutes is refused (replay). A delivery is an array of events; company and deal
 * creations and property changes become events (`hubspot.<object>.creation|property_change`,
 * id `<portal>:<subscription>:<eventId>`), changes of revsync's own write-back properties and
 * other objects' events are dropped.
 */
export function createWebhookSource(options: HubspotWebhookOptions): WebhookSource {
  const tolerance = options.toleranceMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  return {
    verify(rawBody, headers) {
      const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
      const signature = header(headers, 'x-hubspot-signature-v3');
      const timestamp = header(headers, 'x-hubspot-request-timestamp');
      if (!signature || !timestamp) {
        throw new AuthError(
          'hubspot webhook without X-HubSpot-Signature-v3 / X-HubSpot-Request-Timestamp',
          {
            system: 'hubspot',
          },
        );
      }
      const at = Number(timestamp);
      if (!Number.isFinite(at) || Math.abs(now() - at) > tolerance) {
        throw new AuthError(
          `hubspot webhook timestamp ${timestamp} is outside the 5-minute window`,
          {
            system: 'hubspot',
          },
        );
      }
      const expected = createHmac('sha256', options.clientSecret)
        .update(`POST${options.webhookUrl}${body}${timestamp}`)
        .digest();
      const given = Buffer.from(signature, 'base64');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new AuthError('hubspot webhook signature does not match', { system: 'hubspot' });
      }
      let parsed: z.infer<typeof Delivery>;
      try {
        parsed = Delivery.parse(JSON.parse(body));
      } catch (error) {
        throw new ValidationError('hubspot webhook body is not an array of events', {
          system: 'hubspot',
          cause: error,
        });
      }
      // One event per record and delivery: a creation arrives with a change of every property it
      // was created with, and each would only make the flows re-read the same record.
      const seen = new Set<string>();
      const creationFirst = (e: { subscriptionType: string }) =>
        e.subscriptionType.endsWith('.creation') ? 0 : 1;
      const relevant = parsed
        .filter((e) => TYPES[e.subscriptionType] !== undefined)
        .filter(
          (e) => !(e.subscriptionType.endsWith('propertyChange') && OWN.has(e.propertyName ?? '')),
        )
        .sort((a, b) => creationFirst(a) - creationFirst(b));
      return relevant.flatMap((e): VendorEvent[] => {
        const type = TYPES[e.subscriptionType]!;
        const key = `${e.subscriptionType.split('.')[0] ?? ''}:${String(e.objectId)}`;
        if (seen.has(key)) return [];
        seen.add(key);
        return [
          makeEnvelope<Record<string, unknown>>({
            id: `${e.portalId}:${e.subscriptionId}:${e.eventId}`,
            type,
            source: 'hubspot',
            subject: String(e.objectId),
            time: new Date(e.occurredAt).toISOString(),
            data: e,
          }),
        ];
      });
    },
  };
}
