import Stripe from 'stripe';
import type { VendorEvent, WebhookSource } from '../ports.ts';
import { AuthError, ValidationError } from '../../model/revsync-error.ts';
import { toVendorEvent } from './mapper.ts';

/** Options of {@link createStripeWebhookSource}. */
export interface StripeWebhookOptions {
  /** The endpoint's signing secret (`whsec_…`). */
  secret: string;
  /** Oldest signature timestamp accepted, in seconds (Stripe's default: 300). */
  toleranceSeconds?: number;
}

/** Stripe's signature tolerance. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Verifies Stripe webhook deliveries with the SDK (`Stripe-Signature: t=…,v1=…`, HMAC-SHA256
 * of `t.rawBody`, any of several `v1` while a secret rolls) and turns each into one
 * {@link VendorEvent} (`stripe.<event type>`, subject the object's id). A missing, bad or stale
 * signature throws `AuthError`; a signed body that is not a Stripe event throws
 * `ValidationError`.
 */
export function createStripeWebhookSource(options: StripeWebhookOptions): WebhookSource {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  return {
    verify(rawBody, headers): VendorEvent[] {
      const header = headerValue(headers, 'stripe-signature');
      if (header === undefined) {
        throw new AuthError('stripe webhook without a Stripe-Signature header', {
          system: 'stripe',
        });
      }
      let event: unknown;
      try {
        event = Stripe.webhooks.constructEvent(rawBody, header, options.secret, tolerance);
      } catch (caught) {
        if (caught instanceof Stripe.errors.StripeSignatureVerificationError) {
          throw new AuthError(`stripe webhook signature refused: ${caught.message}`, {
            system: 'stripe',
            cause: caught,
          });
        }
        throw new ValidationError('stripe webhook body is not JSON', {
          system: 'stripe',
          cause: caught,
        });
      }
      return [toVendorEvent(event)];
    },
  };
}

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return Array.isArray(value) ? value.join(',') : value;
  }
  return undefined;
}
