import { timingSafeEqual } from 'node:crypto';
import type { VendorEvent, WebhookSource } from '../ports.ts';
import { AuthError, ValidationError } from '../../model/revsync-error.ts';
import { toVendorEvent } from './events.ts';

/** Options of {@link createChargebeeWebhookSource}. */
export interface ChargebeeWebhookOptions {
  username: string;
  password: string;
  /** Events older than this are refused as replays (default 3 days: Chargebee retries for about 2). */
  maxAgeSeconds?: number;
  /** For tests: the time now in ms. */
  now?: () => number;
}

export const DEFAULT_MAX_AGE_SECONDS = 3 * 24 * 3600;

/**
 * Verifies Chargebee webhook deliveries: HTTP Basic auth with the user name and password set on
 * the site's webhook (compared in constant time), a body that is one Chargebee event, and an
 * event not older than `maxAgeSeconds` (a replayed old delivery). Basic auth proves the sender
 * knows the credentials, not that the body is unchanged, so nothing here is trusted as state:
 * the flows re-read every object by id before acting ("notify, then fetch"), and the events
 * poller reads the same events from the API.
 */
export function createChargebeeWebhookSource(options: ChargebeeWebhookOptions): WebhookSource {
  const expected = Buffer.from(`${options.username}:${options.password}`);
  const maxAge = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const now = options.now ?? Date.now;
  return {
    verify(rawBody, headers): VendorEvent[] {
      const header = headerValue(headers, 'authorization');
      if (header === undefined || !/^basic /i.test(header)) {
        throw new AuthError('chargebee webhook without Basic authorization', {
          system: 'chargebee',
        });
      }
      const given = Buffer.from(Buffer.from(header.slice(6).trim(), 'base64').toString('utf8'));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new AuthError('chargebee webhook credentials refused', { system: 'chargebee' });
      }
      let body: unknown;
      try {
        body = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
      } catch (caught) {
        throw new ValidationError('chargebee webhook body is not JSON', {
          system: 'chargebee',
          cause: caught,
        });
      }
      const event = toVendorEvent(body);
      const occurredAt = Date.parse(event.time ?? '');
      if (Number.isFinite(occurredAt) && now() - occurredAt > maxAge * 1000) {
        throw new AuthError(
          `chargebee webhook event ${event.id} is older than ${maxAge} s (a replay?)`,
          {
            system: 'chargebee',
          },
        );
      }
      return [event];
    },
  };
}

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
